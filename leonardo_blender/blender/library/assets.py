"""The Model Assets panel's operators: list every 3D model asset of the account (all pages), delete
them (with confirmation, several at once), link an object to one, import one's mesh.

Network work runs through ``tasks`` on workers; results are shown in ``WindowManager.leonardo``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bpy

from ...api.client import LeonardoClient
from ...api.errors import LeonardoError
from ...core.fingerprint import LINKED
from .. import addon, online, tasks
from ..properties import runtime


@dataclass(frozen=True)
class AssetRow:
    id: str
    name: str
    created_at: str
    mesh_url: str


def linked_object_names(asset_id: str) -> list[str]:
    return sorted(o.name for o in bpy.data.objects if o.leonardo.model_asset_id == asset_id)


def active_row() -> bpy.types.PropertyGroup | None:
    state = runtime()
    if 0 <= state.assets_index < len(state.assets):
        return state.assets[state.assets_index]
    return None


def show_link_names() -> None:
    for row in runtime().assets:
        row.linked_objects = ", ".join(linked_object_names(row.asset_id))


# -- refresh --------------------------------------------------------------------------------------------


def _list_assets(client: LeonardoClient) -> list[AssetRow]:  # worker thread
    user_id = client.me().user_id
    return [
        AssetRow(a.id, a.name or "(unnamed)", (a.created_at or "")[:16].replace("T", " "), a.mesh_url or "")
        for a in client.model_assets(user_id)
    ]


def _show_assets(rows: list[AssetRow]) -> None:
    state = runtime()
    checked = {row.asset_id for row in state.assets if row.checked}
    state.assets.clear()
    for asset in rows:
        row = state.assets.add()
        row.name, row.asset_id, row.created_at, row.mesh_url = (
            asset.name,
            asset.id,
            asset.created_at,
            asset.mesh_url,
        )
        row.checked = asset.id in checked
    state.assets_index = min(state.assets_index, max(0, len(rows) - 1))
    show_link_names()
    state.assets_state = f"{len(rows)} model asset{'s' if len(rows) != 1 else ''}"
    state.assets_error = ""


def _assets_failed(message: str, action: str) -> None:
    state = runtime()
    state.assets_state = ""
    state.assets_error = message


def refresh_assets() -> str | None:
    reason = tasks.run("assets", _list_assets, _show_assets, _assets_failed)
    if reason is None:
        runtime().assets_state = "Loading…"
    return reason


class _NetworkOperator(bpy.types.Operator):
    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return online.poll_online(cls, context)

    def started(self, reason: str | None) -> set[str]:
        if reason:
            self.report({"ERROR"}, reason)
            return {"CANCELLED"}
        return {"FINISHED"}


class LEONARDO_OT_refresh_assets(_NetworkOperator):
    """List every 3D model asset on your Leonardo account"""

    bl_idname = "leonardo.refresh_assets"
    bl_label = "Refresh Model Assets"

    def execute(self, context: bpy.types.Context) -> set[str]:
        return self.started(refresh_assets())


# -- delete ---------------------------------------------------------------------------------------------


class LEONARDO_OT_delete_assets(_NetworkOperator):
    """Delete the ticked model assets (or the highlighted one) from your Leonardo account"""

    bl_idname = "leonardo.delete_assets"
    bl_label = "Delete Model Assets"
    bl_options = {"REGISTER"}

    def _targets(self) -> list[tuple[str, str]]:
        state = runtime()
        ticked = [(row.asset_id, row.name) for row in state.assets if row.checked]
        if ticked:
            return ticked
        row = active_row()
        return [(row.asset_id, row.name)] if row is not None else []

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        targets = self._targets()
        if not targets:
            self.report({"WARNING"}, "Tick or highlight the model assets to delete")
            return {"CANCELLED"}
        names = ", ".join(name for _, name in targets[:3]) + ("…" if len(targets) > 3 else "")
        return context.window_manager.invoke_confirm(
            self,
            event,
            title=f"Delete {len(targets)} model asset(s)?",
            message=f"{names}. This cannot be undone.",
        )

    def execute(self, context: bpy.types.Context) -> set[str]:
        targets = self._targets()
        if not targets:
            self.report({"WARNING"}, "Tick or highlight the model assets to delete")
            return {"CANCELLED"}
        ids = [asset_id for asset_id, _ in targets]

        def work(client: LeonardoClient) -> tuple[list[str], list[str]]:  # worker thread
            deleted, failed = [], []
            for asset_id in ids:
                try:
                    client.delete_model_asset(asset_id)
                    deleted.append(asset_id)
                except LeonardoError as exc:
                    failed.append(f"{asset_id[:8]}: {exc.message}")
            return deleted, failed

        def done(result: tuple[list[str], list[str]]) -> None:
            deleted, failed = result
            state = runtime()
            for index in reversed(range(len(state.assets))):
                if state.assets[index].asset_id in deleted:
                    state.assets.remove(index)
            for obj in bpy.data.objects:
                if obj.leonardo.model_asset_id in deleted:
                    obj.leonardo.model_asset_id = ""
                    obj.leonardo.mesh_fingerprint = ""
            state.assets_index = min(state.assets_index, max(0, len(state.assets) - 1))
            state.assets_state = f"Deleted {len(deleted)} model asset(s)"
            state.assets_error = "; ".join(failed)

        reason = tasks.run("delete-assets", work, done, _assets_failed)
        if reason is None:
            runtime().assets_state = f"Deleting {len(ids)}…"
        return self.started(reason)


# -- link and import --------------------------------------------------------------------------------------


class LEONARDO_OT_link_asset(bpy.types.Operator):
    """Use the highlighted model asset for the selected object: its next texture job uploads nothing"""

    bl_idname = "leonardo.link_asset"
    bl_label = "Link Selected Object"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        row = active_row()
        meshes = [o for o in context.selected_objects if o.type == "MESH"]
        if row is None or not meshes:
            self.report({"WARNING"}, "Highlight a model asset and select a mesh object")
            return {"CANCELLED"}
        for obj in meshes:
            obj.leonardo.model_asset_id = row.asset_id
            obj.leonardo.mesh_fingerprint = LINKED
        show_link_names()
        self.report({"INFO"}, f"Linked {', '.join(o.name for o in meshes)} to '{row.name}'")
        return {"FINISHED"}


class LEONARDO_OT_unlink_asset(bpy.types.Operator):
    """Forget the selected objects' model assets: their next texture job uploads them again"""

    bl_idname = "leonardo.unlink_asset"
    bl_label = "Unlink Selected Objects"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        for obj in context.selected_objects:
            obj.leonardo.model_asset_id = ""
            obj.leonardo.mesh_fingerprint = ""
        show_link_names()
        return {"FINISHED"}


class LEONARDO_OT_import_asset(_NetworkOperator):
    """Download the highlighted model asset's mesh and add it to the scene"""

    bl_idname = "leonardo.import_asset"
    bl_label = "Import Mesh"

    def execute(self, context: bpy.types.Context) -> set[str]:
        row = active_row()
        if row is None:
            self.report({"WARNING"}, "Highlight a model asset first")
            return {"CANCELLED"}
        asset_id, name = row.asset_id, row.name
        destination = addon.user_dir("imports") / f"{asset_id}.obj"
        scene_name = context.scene.name

        def work(client: LeonardoClient) -> Path:  # worker thread; a fresh meshUrl (links expire)
            url = client.model_asset(asset_id).mesh_url
            if not url:
                raise LeonardoError("This model asset has no mesh to download", action="")
            return client.files.download(url, destination, expect_image=False, what="mesh")

        def done(path: Path) -> None:
            import_obj(path, name, asset_id, bpy.data.scenes.get(scene_name))
            runtime().assets_state = f"Imported '{name}'"
            show_link_names()

        reason = tasks.run(f"import-{asset_id}", work, done, _assets_failed)
        if reason is None:
            runtime().assets_state = f"Downloading '{name}'…"
        return self.started(reason)


def import_obj(path: Path, name: str, asset_id: str, scene: bpy.types.Scene | None) -> bpy.types.Object | None:
    """Main thread: import an OBJ written by the service's convention (-Z forward, Y up)."""
    before = set(bpy.data.objects)
    bpy.ops.wm.obj_import(filepath=str(path), forward_axis="NEGATIVE_Z", up_axis="Y")
    added = [o for o in bpy.data.objects if o not in before and o.type == "MESH"]
    if not added:
        return None
    obj = added[0]
    obj.name = name
    obj.leonardo.model_asset_id = asset_id
    obj.leonardo.mesh_fingerprint = LINKED
    if scene is not None and obj.name not in scene.objects:
        scene.collection.objects.link(obj)
    return obj
