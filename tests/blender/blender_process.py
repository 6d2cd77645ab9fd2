"""Run Python code in a separate headless Blender process (the bpy module), like ``blender -b``.

The child shares this session's Blender user folder, where the add-on zip is installed, and enables
the add-on the way Blender does at startup for an enabled extension.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

PRELUDE = """
import bpy, addon_utils
addon_utils.enable("bl_ext.user_default.leonardo_blender", default_set=False)
bpy.context.preferences.system.use_online_access = True   # as `blender -b --online-mode`
"""


def child_env(emulator, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["LEONARDO_API_KEY"] = emulator.api_key
    env["LEONARDO_API_BASE_URL"] = emulator.base_url
    env.update(extra)
    return env


def start(code: str, env: dict[str, str]) -> subprocess.Popen[str]:
    script = PRELUDE + textwrap.dedent(code)
    return subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def run(code: str, env: dict[str, str], timeout: float = 180) -> str:
    process = start(code, env)
    output, _ = process.communicate(timeout=timeout)
    if process.returncode != 0:
        raise AssertionError(f"Blender child failed ({process.returncode}):\n{output[-4000:]}")
    return output


def run_until_printed_then_kill(code: str, env: dict[str, str], marker: str) -> None:
    """Start ``code``, wait until it prints a line starting with ``marker``, then SIGKILL it.

    SIGKILL leaves no handler, atexit or finally clause a chance to clean up: a crash, as far as the
    add-on can tell.
    """
    process = start(code, env)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(marker):
                break
        else:
            raise AssertionError(f"the Blender child never printed {marker!r} (exit {process.wait()})")
        process.kill()
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
