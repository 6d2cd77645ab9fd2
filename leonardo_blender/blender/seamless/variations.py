"""``leonardo.seamless_variation``: upscale a seamless candidate, or remove its background (paid).

The request becomes a step of the candidate's own job: a new candidate is appended to the record with
``status="REQUESTED"`` and the job is resumed on the shared machinery, which sends it once, records it
the moment it is accepted, polls ``GET /variations/{id}``, downloads the result and swaps it into the
material (the derived maps follow). Cancel and Resume in the Jobs list work as for any job.
"""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from ...core.jobs import Candidate, JobState
from ...core.pipeline.seamless_variations import NOBG, REQUESTED, UNIVERSAL_UPSCALER, UPSCALE, check_variation
from .. import addon, online
from ..texturing import records, texture_jobs
from ..texturing.operators import NO_KEY_MESSAGE
from . import applying, catalog
from .choosing import shown_job
from .properties import UPSCALER_STYLE_IDS, UPSCALER_STYLE_ITEMS

KIND_ITEMS = [
    (UPSCALE, "Upscale", "POST /variations/upscale: Leonardo's upscaler, twice the size"),
    (UNIVERSAL_UPSCALER, "Universal Upscale", "POST /variations/universal-upscaler, with style, creativity and size"),
    (NOBG, "Remove Background", "POST /variations/nobg: a cut-out for decals"),
]


def price(context: bpy.types.Context, kind: str) -> tuple[int, bool]:
    """(credits, known) of a variation of the chosen candidate: the calculator's answer for the universal
    upscaler, what the service charged last time for the others (they have no calculator entry)."""
    state = context.window_manager.leonardo.seamless
    if kind == UNIVERSAL_UPSCALER:
        known = state.universal_cost >= 0 and state.universal_cost_key == catalog.question(context.scene).upscale_key
        return state.universal_cost, known
    cost = state.upscale_cost if kind == UPSCALE else state.nobg_cost
    return cost, cost >= 0


class LEONARDO_OT_seamless_variation(bpy.types.Operator):
    """Upscale the chosen candidate or remove its background (paid; the result replaces it in the material)"""

    bl_idname = "leonardo.seamless_variation"
    bl_label = "Seamless Variation"
    bl_options = {"REGISTER"}

    kind: EnumProperty(name="Kind", items=KIND_ITEMS, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    job_id: StringProperty(options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]
    index: IntProperty(name="Candidate", description="-1: the chosen one", default=-1, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    upscaler_style: EnumProperty(name="Style", items=UPSCALER_STYLE_ITEMS, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    creativity: IntProperty(name="Creativity", default=3, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    multiplier: FloatProperty(name="Multiplier", default=1.5, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    wait: BoolProperty(options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]
    timeout: FloatProperty(default=0.0, min=0.0, options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return online.poll_online(cls, context)

    def _options(self, context: bpy.types.Context) -> dict[str, object]:
        if self.kind != UNIVERSAL_UPSCALER:
            return {}
        panel = context.scene.leonardo.seamless
        given = self.properties.is_property_set
        style = self.upscaler_style if given("upscaler_style") else panel.upscaler_style
        return {
            "style": UPSCALER_STYLE_IDS[style],
            "creativity": int(self.creativity if given("creativity") else panel.creativity),
            "multiplier": round(float(self.multiplier if given("multiplier") else panel.multiplier), 2),
        }

    def execute(self, context: bpy.types.Context) -> set[str]:
        reason = online.why_offline() or (None if addon.settings().has_key else NO_KEY_MESSAGE)
        if reason:
            self.report({"ERROR"}, reason)
            return {"CANCELLED"}
        job = shown_job(context, self.job_id)
        if job is None or not job.candidates:
            self.report({"ERROR"}, "Generate a seamless material first")
            return {"CANCELLED"}
        if texture_jobs.is_running(job.id):
            self.report({"WARNING"}, "The job is still running; wait for it (or cancel it) first")
            return {"CANCELLED"}
        source = job.chosen if self.index < 0 else int(self.index)
        options = self._options(context)
        try:
            check_variation(job, self.kind, source, options)
        except ValueError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        # a request never sent (cancelled before it went out) is replaced, not sent as well
        while job.candidates[-1].status == REQUESTED:  # the source is a finished one, never popped
            job.candidates.pop()
        job.candidates.append(
            Candidate(image_id="", transform=self.kind, source=source, options=options, status=REQUESTED)
        )
        if job.state in (JobState.DOWNLOADED, JobState.APPLIED):
            job.move_to(JobState.DOWNLOADING)
        job.note = ""
        records.write_record(job)
        applying.show_candidates(job, bpy.data.scenes.get(job.scene_name) or context.scene)
        problem = texture_jobs.resume(job)
        if problem:
            self.report({"ERROR"}, problem)
            return {"CANCELLED"}
        label = dict((k, n) for k, n, _ in KIND_ITEMS)[self.kind]
        if not self.wait:
            self.report({"INFO"}, f"{label} of candidate {source + 1} on its way; the material follows when done")
            return {"FINISHED"}
        timeout = self.timeout or (addon.settings().job_timeout + 300.0)
        if not texture_jobs.wait([job.id], timeout):
            texture_jobs.cancel(job.id)
            self.report({"ERROR"}, f"Gave up waiting after {timeout:.0f} s; resume the job from the Jobs list later")
            return {"CANCELLED"}
        done = records.load_job(job.id)
        if done is None or done.state is not JobState.APPLIED or done.candidates[-1].status != "DONE":
            self.report({"ERROR"}, (done.note or done.status_text()) if done else "The job was lost")
            return {"CANCELLED"}
        self.report({"INFO"}, f"{label} done: '{done.material_name}' uses it now")
        return {"FINISHED"}
