"""Which engine textures the next job, and what Blender remembers about the texture endpoint.

``AUTO`` tries Leonardo's 3D texture endpoint first. When the service answers it with the routing 404
("Endpoint not found"), the job falls back to projection and this module remembers it for as long as
Blender runs: later AUTO jobs go straight to projection, and the user is told once, in plain words,
in the panel and through ``self.report``. Main thread only; nothing here is saved.
"""

from __future__ import annotations

from ...core.jobs import ENGINE_AUTO, ENGINE_PROJECTION, ENGINE_TEXTURE_API, TextureJob
from ...core.pipeline import FALLBACK_NOTE

_texture_api_gone = False
_note_reported = False


def texture_api_unavailable() -> bool:
    return _texture_api_gone


def effective_engine(requested: str) -> str:
    """The engine a new job will start with (AUTO resolves here once the endpoint is known to be gone)."""
    if requested == ENGINE_AUTO and _texture_api_gone:
        return ENGINE_PROJECTION
    return requested


def needs_obj_export(requested: str) -> bool:
    return effective_engine(requested) in (ENGINE_AUTO, ENGINE_TEXTURE_API)


def needs_mesh_capture(requested: str) -> bool:
    """Only a job that starts with projection captures the mesh on the main thread; an AUTO job that
    falls back reads its exported OBJ on the worker instead (``core.obj_arrays``)."""
    return effective_engine(requested) == ENGINE_PROJECTION


def observe(job: TextureJob) -> None:
    """Main thread, for every snapshot: learn that the endpoint is gone when an AUTO job fell back."""
    global _texture_api_gone
    if job.params.engine == ENGINE_AUTO and job.engine_used == ENGINE_PROJECTION and job.note == FALLBACK_NOTE:
        _texture_api_gone = True


def note() -> str:
    """What the panel says about the engines ("" when there is nothing to say)."""
    return FALLBACK_NOTE if _texture_api_gone else ""


def take_unreported_note() -> str:
    """The note, the first time it is asked for after it became true ("" afterwards): for ``self.report``."""
    global _note_reported
    if not _texture_api_gone or _note_reported:
        return ""
    _note_reported = True
    return FALLBACK_NOTE


def forget() -> None:
    """On unregister: a re-enabled add-on asks the service again."""
    global _texture_api_gone, _note_reported
    _texture_api_gone = False
    _note_reported = False
