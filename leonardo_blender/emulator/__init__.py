"""Local emulator of Leonardo.AI's REST API v1 (the demo's default backend and the tests' target).

``Emulator(EmulatorConfig(...))`` serves the API at ``emu.base_url`` plus an upload ("S3") host and a
CDN host, all on 127.0.0.1; ``FaultRule`` injects latency, errors, dropped connections, failed jobs and
corrupt downloads. Run it standalone with ``python -m leonardo_blender.emulator --port 8765``.
"""

from __future__ import annotations

from .config import DEMO_API_KEY, EmulatorConfig
from .emulator import Emulator
from .faults import FaultRule
from .records import RequestRecord

__all__ = ["DEMO_API_KEY", "Emulator", "EmulatorConfig", "FaultRule", "RequestRecord"]
