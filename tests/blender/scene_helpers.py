"""Scene building and rendering helpers for the Blender tests."""

from __future__ import annotations

import math
from pathlib import Path

import bpy
import numpy as np
from mathutils import Vector


def add_cube(name: str = "Crate", *, uvs: bool = True, location=(0.0, 0.0, 0.0)) -> bpy.types.Object:
    bpy.ops.mesh.primitive_cube_add(size=2.0, location=location)
    obj = bpy.context.active_object
    obj.name = name
    if not uvs:
        while obj.data.uv_layers:
            obj.data.uv_layers.remove(obj.data.uv_layers[0])
    select_only(obj)
    return obj


def select_only(*objects: bpy.types.Object) -> None:
    for other in bpy.context.view_layer.objects:
        other.select_set(False)
    for obj in objects:
        obj.select_set(True)
    if objects:
        bpy.context.view_layer.objects.active = objects[0]


def material_of(obj: bpy.types.Object) -> bpy.types.Material:
    index = obj.data.polygons[0].material_index
    return obj.material_slots[index].material


def linked_from(socket: bpy.types.NodeSocket) -> bpy.types.Node | None:
    return socket.links[0].from_node if socket.is_linked else None


def render_from(direction: tuple[float, float, float], path: Path, *, size: int = 48, samples: int = 8) -> np.ndarray:
    """Render the scene with Cycles (CPU) from ``direction`` (a unit vector from the origin towards
    the camera) and return the pixels as float RGB (0..1, display-referred, Standard view)."""
    scene = bpy.context.scene
    camera_data = bpy.data.cameras.new("TestCamera")
    camera_data.type = "ORTHO"
    camera_data.ortho_scale = 3.0
    camera = bpy.data.objects.new("TestCamera", camera_data)
    scene.collection.objects.link(camera)
    eye = Vector(direction).normalized() * 8.0
    camera.location = eye
    camera.rotation_euler = (-eye).to_track_quat("-Z", "Y" if abs(direction[2]) < 0.9 else "X").to_euler()
    scene.camera = camera
    world = bpy.data.worlds.new("TestWorld")  # even white light from everywhere: colours read true
    if bpy.app.version < (5, 0, 0):
        world.use_nodes = True
    nodes = world.node_tree.nodes
    background = next((n for n in nodes if n.type == "BACKGROUND"), None) or nodes.new("ShaderNodeBackground")
    background.inputs["Color"].default_value = (1.0, 1.0, 1.0, 1.0)
    background.inputs["Strength"].default_value = 1.0
    output = next((n for n in nodes if n.type == "OUTPUT_WORLD"), None) or nodes.new("ShaderNodeOutputWorld")
    if not output.inputs["Surface"].is_linked:
        world.node_tree.links.new(background.outputs["Background"], output.inputs["Surface"])
    scene.world = world
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = False
    scene.view_settings.view_transform = "Standard"
    scene.render.image_settings.file_format = "PNG"
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    image = bpy.data.images.load(str(path))
    pixels = np.array(image.pixels[:], dtype=np.float32).reshape(size, size, image.channels)[:, :, :3]
    bpy.data.images.remove(image)
    bpy.data.objects.remove(camera)
    return pixels


def centre_colour(pixels: np.ndarray, radius: int = 4) -> tuple[float, float, float]:
    h, w, _ = pixels.shape
    patch = pixels[h // 2 - radius : h // 2 + radius, w // 2 - radius : w // 2 + radius]
    return tuple(float(c) for c in np.median(patch.reshape(-1, 3), axis=0))


def direction_for_offset(offset: int) -> tuple[float, float, float]:
    """Where the model's front points for a ``front_rotation_offset`` (Blender axes)."""
    theta = math.radians(offset)
    return (math.sin(theta), -math.cos(theta), 0.0)
