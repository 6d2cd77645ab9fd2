"""What the emulator serves as files: procedural images, texture maps, controlnet codes, OBJ parsing.

* ``images``: generated images (seamless with ``tiling``), variations, corrupt bytes, image checks
* ``controlnet_images``: the position code of Depth-to-Image generations (``controlnet_code_blue``)
* ``texture_maps``: side-coloured PBR maps rasterised in the uploaded mesh's UVs
* ``palette``: the side colours and :func:`~.palette.nearest_side`; ``obj_mesh``: the OBJ parser
"""
