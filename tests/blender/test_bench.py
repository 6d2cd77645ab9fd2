"""The benchmark suite runs end to end: ``scripts/bench --quick`` exactly as a user runs it.

No timing is asserted (benchmarks print figures; tests don't time): only that the command succeeds
and prints its table with every row and the machine it ran on.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Every row of a quick run: 1 stall (two sizes), 2 export, 3 completion overhead (first, second and
#: fixed-interval rows for each of the two job lengths), 4 download, 5 batch (two slot counts), 6 memory,
#: 7 projection.
QUICK_ROWS = ("1a", "1b", "2a", "2b", "2c", "2d", "3a", "3b", "3c", "3d", "3e", "3f", "4", "5a", "5b", "6", "7")


@pytest.mark.slow
def test_quick_bench_prints_every_row():
    env = dict(os.environ)
    for name in ("LEONARDO_API_KEY", "LEONARDO_API_BASE_URL", "BLENDER_USER_RESOURCES"):
        env.pop(name, None)
    process = subprocess.run(
        ["scripts/bench", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-6000:]
    table = process.stdout
    rows = dict(re.findall(r"^\| (\w+) \|.*\| (met|missed|info|error) \|$", table, re.M))
    assert sorted(rows) == sorted(QUICK_ROWS), table
    assert "error" not in rows.values(), table
    assert re.search(r"^Machine: CPU .+; Cores \d+.*; RAM .+; OS .+; Blender 5\.\d", table, re.M), table
    assert (ROOT / "out" / "bench" / "latest-quick.md").read_text(encoding="utf-8") == table
