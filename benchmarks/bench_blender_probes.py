"""What the benchmark's Blender child reads beside the add-on: its own memory and the emulator's counts.

``memory_kib`` reads ``/proc/self/status`` (RSS, peak RSS), ``reset_peak_rss`` resets the peak so a
job's own peak shows, and ``emulator_stats`` asks the emulator how many requests of each kind it saw.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from typing import Any


def emulator_stats() -> dict[str, Any]:
    origin = os.environ["LEONARDO_API_BASE_URL"].split("/api/", 1)[0]
    with urllib.request.urlopen(origin + "/_emulator/stats", timeout=10) as answer:
        return json.loads(answer.read())


def memory_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux: ``echo 5 > /proc/self/clear_refs``)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return memory_kib("VmHWM") <= memory_kib("VmRSS") + 1024
