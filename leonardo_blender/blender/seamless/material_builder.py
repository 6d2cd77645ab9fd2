"""The tiling material of a seamless job: repeating image textures fed by one Mapping node.

Wiring (sockets by name, the same from 4.2 to 5.0; nodes are found again by their names):

    Texture Coordinate (UV, or Object for box projection) -> Mapping (Scale = tiles) -> every image
    ALBEDO (sRGB, extension REPEAT)          -> Base Color (its alpha -> Alpha for a cut-out decal)
    ROUGHNESS (Non-Color)                    -> Roughness
    NORMAL (Non-Color) -> Normal Map (tangent space, the active UV map) -> Normal          (UV)
    DISPLACEMENT (Non-Color) -> Bump -> Normal: tangents need UVs, so box projection bumps   (Box)
    DISPLACEMENT -> Displacement node -> Material Output Displacement (bump by default; with box
                    projection only when True Displacement is on, or it would bump twice)

Switching candidates or re-deriving swaps the images in place; the Mapping node keeps its scale.
Main thread only.
"""

from __future__ import annotations

from collections.abc import Mapping

import bpy

from .. import material as materials

COORDINATES = "Leonardo Coordinates"
MAPPING = "Leonardo Mapping"
IMAGE_NODES = {
    "ALBEDO": "Leonardo Albedo",
    "ROUGHNESS": "Leonardo Roughness",
    "NORMAL": "Leonardo Normal",
    "DISPLACEMENT": "Leonardo Height",
}
NORMAL_MAP = "Leonardo Normal Map"
BUMP = "Leonardo Bump"
DISPLACEMENT = "Leonardo Displacement"
BSDF = "Leonardo BSDF"
OUTPUT = "Leonardo Output"
PROJECTION_KEY = "leonardo_projection"
DISPLACEMENT_SCALE = 0.02
BOX_BLEND = 0.2
_ROWS = {"ALBEDO": 400, "ROUGHNESS": 100, "NORMAL": -200, "DISPLACEMENT": -500}


def build(
    name: str,
    maps: Mapping[str, str],
    *,
    scale: float,
    projection: str,
    decal: bool,
    normal_strength: float,
    true_displacement: bool,
    tags: Mapping[str, str],
) -> bpy.types.Material:
    """A new tiling material from ``maps`` ({type: file path}, all four types)."""
    material = materials.new_node_material(name)
    tree = material.node_tree
    nodes, links = tree.nodes, tree.links
    nodes.clear()

    def add(kind: str, node_name: str, x: float, y: float) -> bpy.types.Node:
        node = nodes.new(kind)
        node.name = node.label = node_name
        node.location = (x, y)
        return node

    output = add("ShaderNodeOutputMaterial", OUTPUT, 500, 300)
    bsdf = add("ShaderNodeBsdfPrincipled", BSDF, 100, 300)
    links.new(bsdf.outputs["BSDF"], output.inputs["Surface"])
    add("ShaderNodeTexCoord", COORDINATES, -1100, 100)
    mapping = add("ShaderNodeMapping", MAPPING, -900, 100)
    mapping.vector_type = "POINT"
    mapping.inputs["Scale"].default_value = (scale, scale, scale)
    for map_type, node_name in IMAGE_NODES.items():
        image_node = add("ShaderNodeTexImage", node_name, -600, _ROWS[map_type])
        image_node.extension = "REPEAT"
        links.new(mapping.outputs["Vector"], image_node.inputs["Vector"])
    links.new(nodes[IMAGE_NODES["ALBEDO"]].outputs["Color"], bsdf.inputs["Base Color"])
    links.new(nodes[IMAGE_NODES["ROUGHNESS"]].outputs["Color"], bsdf.inputs["Roughness"])
    normal_map = add("ShaderNodeNormalMap", NORMAL_MAP, -250, -200)
    normal_map.space = "TANGENT"
    links.new(nodes[IMAGE_NODES["NORMAL"]].outputs["Color"], normal_map.inputs["Color"])
    bump = add("ShaderNodeBump", BUMP, -250, -450)
    links.new(nodes[IMAGE_NODES["DISPLACEMENT"]].outputs["Color"], bump.inputs["Height"])
    displacement = add("ShaderNodeDisplacement", DISPLACEMENT, 250, -500)
    displacement.inputs["Midlevel"].default_value = 0.5
    displacement.inputs["Scale"].default_value = DISPLACEMENT_SCALE
    links.new(nodes[IMAGE_NODES["DISPLACEMENT"]].outputs["Color"], displacement.inputs["Height"])

    set_images(material, maps, decal=decal, normal_strength=normal_strength)
    set_projection(material, projection, true_displacement=true_displacement)
    for key, value in tags.items():
        material[key] = value
    material.use_fake_user = True  # a paid result is never garbage-collected on save
    return material


def is_seamless(material: bpy.types.Material | None) -> bool:
    return material is not None and material.node_tree is not None and MAPPING in material.node_tree.nodes


def mapping_node(material: bpy.types.Material) -> bpy.types.Node | None:
    return material.node_tree.nodes.get(MAPPING) if is_seamless(material) else None


def set_images(material: bpy.types.Material, maps: Mapping[str, str], *, decal: bool, normal_strength: float) -> None:
    """Load ``maps`` into the image nodes. A cut-out (background removed) shows once, its alpha linked;
    a tile repeats."""
    nodes, links = material.node_tree.nodes, material.node_tree.links
    for map_type, node_name in IMAGE_NODES.items():
        node = nodes[node_name]
        path = maps[map_type]
        current = node.image
        if current is None or bpy.path.abspath(current.filepath) != path:
            node.image = materials.load_image(path, f"{material.name} {map_type.lower()}", color=map_type == "ALBEDO")
        node.extension = "CLIP" if decal else "REPEAT"
    albedo, bsdf = nodes[IMAGE_NODES["ALBEDO"]], nodes[BSDF]
    for link in list(bsdf.inputs["Alpha"].links):
        links.remove(link)
    if decal:
        links.new(albedo.outputs["Alpha"], bsdf.inputs["Alpha"])
    nodes[BUMP].inputs["Strength"].default_value = min(1.0, max(0.0, normal_strength / 2.0))


def set_projection(material: bpy.types.Material, projection: str, *, true_displacement: bool) -> None:
    """UV: UV coordinates and a tangent-space normal map. Box: object coordinates projected from six
    sides, and a bump from the height map instead (tangent space needs UVs)."""
    nodes, links = material.node_tree.nodes, material.node_tree.links
    box = projection == "BOX"
    coordinates, mapping, bsdf, output = nodes[COORDINATES], nodes[MAPPING], nodes[BSDF], nodes[OUTPUT]
    links.new(coordinates.outputs["Object" if box else "UV"], mapping.inputs["Vector"])
    for node_name in IMAGE_NODES.values():
        nodes[node_name].projection = "BOX" if box else "FLAT"
        nodes[node_name].projection_blend = BOX_BLEND
    links.new(nodes[BUMP if box else NORMAL_MAP].outputs["Normal"], bsdf.inputs["Normal"])
    for link in list(output.inputs["Displacement"].links):
        links.remove(link)
    if true_displacement or not box:
        links.new(nodes[DISPLACEMENT].outputs["Displacement"], output.inputs["Displacement"])
    material.displacement_method = "BOTH" if true_displacement else "BUMP"
    material[PROJECTION_KEY] = "BOX" if box else "UV"


def projection_of(material: bpy.types.Material) -> str:
    return str(material.get(PROJECTION_KEY, "UV"))
