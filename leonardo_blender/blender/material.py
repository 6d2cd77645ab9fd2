"""Build a Principled BSDF material from the service's maps and put it on the object.

Wiring (sockets by name; identical from 4.2 to 5.0):
    ALBEDO (sRGB)            -> Base Color
    ROUGHNESS (Non-Color)    -> Roughness
    NORMAL (Non-Color)       -> Normal Map node (tangent space, exported UV map) -> Normal
    DISPLACEMENT (Non-Color) -> Displacement node -> Material Output Displacement (bump by default)
    HDRP_MASK (Non-Color)    -> Separate Color: R metallic -> Metallic, G occlusion multiplied
                                into the base colour
All image nodes read the UV map that was exported, through one UV Map node.

Each generation is its own material. The object's own materials are kept: the generated material goes
into one extra slot ("the Leonardo slot") that all faces use, and the previous per-face material
indices are saved in a face attribute so they can be restored. Switching between generations just
swaps the material in that slot; generated materials keep a fake user so none is lost on save.
"""

from __future__ import annotations

from collections.abc import Mapping

import bpy
import numpy as np

COLOR_MAPS = {"ALBEDO"}
ORIGINAL_INDEX_ATTRIBUTE = "leonardo_original_material_index"
MATERIAL_INDEX = "material_index"  # Blender's built-in face attribute behind ``polygon.material_index``
MATERIAL_TAG = "leonardo_job_id"

_X = {"tex": -900, "mix": -450, "util": -450, "bsdf": -150, "out": 250}
_ROW = {"ALBEDO": 400, "HDRP_MASK": 120, "ROUGHNESS": -160, "NORMAL": -440, "DISPLACEMENT": -720}


def new_node_material(name: str) -> bpy.types.Material:
    material = bpy.data.materials.new(name)
    if bpy.app.version < (5, 0, 0):
        material.use_nodes = True
    return material


def load_image(path: str, name: str, *, color: bool) -> bpy.types.Image:
    image = bpy.data.images.load(path, check_existing=True)
    image.name = name
    image.colorspace_settings.name = "sRGB" if color else "Non-Color"
    return image


def build_material(
    name: str,
    maps: Mapping[str, str],
    *,
    uv_map: str = "",
    true_displacement: bool = False,
    displacement_scale: float = 0.05,
    tags: Mapping[str, str] | None = None,
) -> bpy.types.Material:
    """A new material wired from ``maps`` ({type: file path}); missing maps are simply left out."""
    material = new_node_material(name)
    tree = material.node_tree
    nodes, links = tree.nodes, tree.links
    nodes.clear()

    output = nodes.new("ShaderNodeOutputMaterial")
    output.location = (_X["out"], 300)
    bsdf = nodes.new("ShaderNodeBsdfPrincipled")
    bsdf.location = (_X["bsdf"], 300)
    links.new(bsdf.outputs["BSDF"], output.inputs["Surface"])

    uv_node = nodes.new("ShaderNodeUVMap")
    uv_node.location = (_X["tex"] - 300, 0)
    uv_node.uv_map = uv_map

    def texture(map_type: str) -> bpy.types.ShaderNodeTexImage:
        node = nodes.new("ShaderNodeTexImage")
        node.image = load_image(maps[map_type], f"{name} {map_type.lower()}", color=map_type in COLOR_MAPS)
        node.label = map_type.title()
        node.location = (_X["tex"], _ROW.get(map_type, 0))
        links.new(uv_node.outputs["UV"], node.inputs["Vector"])
        return node

    albedo_socket = None
    if "ALBEDO" in maps:
        albedo_socket = texture("ALBEDO").outputs["Color"]
    if "HDRP_MASK" in maps:
        mask = texture("HDRP_MASK")
        split = nodes.new("ShaderNodeSeparateColor")
        split.location = (_X["util"], _ROW["HDRP_MASK"])
        links.new(mask.outputs["Color"], split.inputs["Color"])
        links.new(split.outputs["Red"], bsdf.inputs["Metallic"])
        if albedo_socket is not None:
            multiply = nodes.new("ShaderNodeMix")
            multiply.data_type = "RGBA"
            multiply.blend_type = "MULTIPLY"
            multiply.label = "Ambient Occlusion"
            multiply.location = (_X["mix"], _ROW["ALBEDO"] - 100)
            multiply.inputs["Factor"].default_value = 1.0
            links.new(albedo_socket, _socket(multiply.inputs, "A_Color"))
            links.new(split.outputs["Green"], _socket(multiply.inputs, "B_Color"))
            albedo_socket = _socket(multiply.outputs, "Result_Color")
    if albedo_socket is not None:
        links.new(albedo_socket, bsdf.inputs["Base Color"])
    if "ROUGHNESS" in maps:
        links.new(texture("ROUGHNESS").outputs["Color"], bsdf.inputs["Roughness"])
    if "NORMAL" in maps:
        normal_map = nodes.new("ShaderNodeNormalMap")
        normal_map.space = "TANGENT"
        normal_map.uv_map = uv_map
        normal_map.location = (_X["util"], _ROW["NORMAL"])
        links.new(texture("NORMAL").outputs["Color"], normal_map.inputs["Color"])
        links.new(normal_map.outputs["Normal"], bsdf.inputs["Normal"])
    if "DISPLACEMENT" in maps:
        displacement = nodes.new("ShaderNodeDisplacement")
        displacement.location = (_X["out"] - 200, _ROW["DISPLACEMENT"])
        displacement.inputs["Midlevel"].default_value = 0.5
        displacement.inputs["Scale"].default_value = displacement_scale
        links.new(texture("DISPLACEMENT").outputs["Color"], displacement.inputs["Height"])
        links.new(displacement.outputs["Displacement"], output.inputs["Displacement"])
        material.displacement_method = "BOTH" if true_displacement else "BUMP"

    for key, value in (tags or {}).items():
        material[key] = value
    material.use_fake_user = True  # a paid result is never garbage-collected on save
    return material


def _socket(sockets: bpy.types.NodeInputs | bpy.types.NodeOutputs, identifier: str) -> bpy.types.NodeSocket:
    for socket in sockets:
        if socket.identifier == identifier:
            return socket
    raise KeyError(identifier)


# -- putting it on the object ---------------------------------------------------------------------------


def is_generated(material: bpy.types.Material | None) -> bool:
    return material is not None and MATERIAL_TAG in material


def leonardo_slot_index(obj: bpy.types.Object) -> int | None:
    for index, slot in enumerate(obj.material_slots):
        if is_generated(slot.material):
            return index
    return None


def assign(obj: bpy.types.Object, material: bpy.types.Material) -> None:
    """Make ``material`` the one every face of ``obj`` shows, keeping the earlier materials.

    Per-face indices go through the ``material_index`` attribute's fast path (about 1 ms for a million
    faces, where ``polygons.foreach_set`` takes half a second and would freeze the main thread)."""
    mesh = obj.data
    index = leonardo_slot_index(obj)
    if index is not None:
        obj.material_slots[index].material = material  # a variant: swap the slot's material, nothing else
        return
    mesh.materials.append(material)
    index = len(obj.material_slots) - 1
    if obj.mode == "EDIT":  # the user is editing: the faces live in the edit BMesh, not in the mesh
        _assign_in_edit_mode(mesh, index)
        return
    _remember_original_indices(mesh)
    _write_face_indices(mesh, np.full(len(mesh.polygons), index, dtype=np.int32))
    mesh.update()


def _assign_in_edit_mode(mesh: bpy.types.Mesh, index: int) -> None:
    import bmesh

    edit = bmesh.from_edit_mesh(mesh)
    layers = edit.faces.layers.int
    original = layers.get(ORIGINAL_INDEX_ATTRIBUTE) or layers.new(ORIGINAL_INDEX_ATTRIBUTE)
    for face in edit.faces:
        face[original] = face.material_index
        face.material_index = index
    bmesh.update_edit_mesh(mesh)


def _read_face_indices(mesh: bpy.types.Mesh) -> np.ndarray:
    indices = np.zeros(len(mesh.polygons), dtype=np.int32)
    attribute = mesh.attributes.get(MATERIAL_INDEX)
    if attribute is not None:  # absent means every face uses slot 0
        attribute.data.foreach_get("value", indices)
    return indices


def _write_face_indices(mesh: bpy.types.Mesh, indices: np.ndarray) -> None:
    attribute = mesh.attributes.get(MATERIAL_INDEX) or mesh.attributes.new(MATERIAL_INDEX, "INT", "FACE")
    attribute.data.foreach_set("value", indices)


def _remember_original_indices(mesh: bpy.types.Mesh) -> None:
    if ORIGINAL_INDEX_ATTRIBUTE in mesh.attributes:
        return
    indices = _read_face_indices(mesh)
    attribute = mesh.attributes.new(ORIGINAL_INDEX_ATTRIBUTE, "INT", "FACE")
    attribute.data.foreach_set("value", indices)


def restore_original(obj: bpy.types.Object) -> bool:
    """Give the faces their materials from before the first generation; drop the Leonardo slot."""
    mesh = obj.data
    index = leonardo_slot_index(obj)
    if index is None:
        return False
    if obj.mode == "EDIT":
        import bmesh

        edit = bmesh.from_edit_mesh(mesh)
        original = edit.faces.layers.int.get(ORIGINAL_INDEX_ATTRIBUTE)
        for face in edit.faces:
            face.material_index = face[original] if original is not None else 0
        if original is not None:
            edit.faces.layers.int.remove(original)
        bmesh.update_edit_mesh(mesh)
        mesh.materials.pop(index=index)
        return True
    attribute = mesh.attributes.get(ORIGINAL_INDEX_ATTRIBUTE)
    indices = np.zeros(len(mesh.polygons), dtype=np.int32)
    if attribute is not None:
        attribute.data.foreach_get("value", indices)
        mesh.attributes.remove(attribute)
    mesh.materials.pop(index=index)
    indices[indices >= len(mesh.materials)] = 0
    _write_face_indices(mesh, indices)
    mesh.update()
    return True
