"""The API's endpoints, one module per endpoint group; :data:`ROUTES` is the whole route table.

* ``account``: ``/me``, the pricing calculator, prompt helpers, ``/platformModels``, ``/elements``
* ``models``: 3D model assets (upload slot, list, get, delete)
* ``textures``: texture generations (create, get, list by model, delete)
* ``generations`` (+ ``generation_schema``, ``controlnets``): image generations
* ``init_images``: init image upload slots, get, delete
* ``variations``: upscale, unzoom, background removal, universal upscaler
* ``checks``: prompt, seed and id checks the groups share
"""

from __future__ import annotations

from ..http.router import Route
from .account import ROUTES as ACCOUNT_ROUTES
from .generations import ROUTES as GENERATION_ROUTES
from .init_images import ROUTES as INIT_IMAGE_ROUTES
from .models import ROUTES as MODEL_ROUTES
from .textures import ROUTES as TEXTURE_ROUTES
from .variations import ROUTES as VARIATION_ROUTES

ROUTES: list[Route] = [
    *ACCOUNT_ROUTES,
    *MODEL_ROUTES,
    *TEXTURE_ROUTES,
    *GENERATION_ROUTES,
    *INIT_IMAGE_ROUTES,
    *VARIATION_ROUTES,
]
