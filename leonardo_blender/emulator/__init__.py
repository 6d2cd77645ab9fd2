"""Local emulator of Leonardo.AI's REST API v1 (the demo's default backend and the tests' target).

``Emulator(EmulatorConfig(...))`` serves the API at ``emu.base_url`` plus an upload ("S3") host and a
CDN host, all on 127.0.0.1; ``FaultRule`` injects latency, errors, dropped connections, failed jobs and
corrupt downloads. Run it standalone with ``python -m leonardo_blender.emulator --port 8765``.

Layout: the core is at the top (``config``, ``emulator``, ``context``, ``state``, ``jobs``, ``faults``,
``keys``, ``pricing``, ``model_families``, ``concurrency``, ``hostile``, ``__main__``); ``http/`` holds
the servers, hosts, routing, validation, errors and records; ``routes/`` one module per endpoint
group; ``content/`` what is served as files (images, texture maps, controlnet codes, OBJ parsing).
``palette`` at the top is an alias of ``content.palette`` kept for older imports.
"""

from __future__ import annotations

from .config import DEMO_API_KEY, HOSTILE_MODES, EmulatorConfig
from .content.controlnet_images import controlnet_code_blue, position_code
from .content.palette import nearest_side
from .emulator import Emulator
from .faults import FaultRule
from .http.records import RequestRecord

__all__ = [
    "DEMO_API_KEY",
    "HOSTILE_MODES",
    "Emulator",
    "EmulatorConfig",
    "FaultRule",
    "RequestRecord",
    "controlnet_code_blue",
    "nearest_side",
    "position_code",
]
