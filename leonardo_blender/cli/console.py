"""Where the command line's text goes, and keeping Blender's own output out of it.

* ``Console`` writes results to stdout and messages and progress to stderr, through private copies
  of file descriptors 1 and 2, so that nothing Blender prints can end up between them.
* ``capture_native_output()`` points descriptors 1 and 2 (what Blender's C code and any ``print``
  use) at a log file while Blender runs, or with ``--debug`` at stderr, so stdout carries only what
  the command means to say (with ``--json``: JSON lines and nothing else). ``take_lines()`` hands
  over what was logged since the last call, to relay the add-on's warnings.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

PROGRAM = "leonardo-cli"


class Console:
    def __init__(self, out: TextIO, err: TextIO, *, err_is_tty: bool) -> None:
        self.out = out
        self.err = err
        self.err_is_tty = err_is_tty

    @classmethod
    def from_process(cls) -> Console:
        """Private copies of this process's stdout and stderr (taken before anything redirects them)."""
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8", errors="replace", closefd=True)
        err = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace", closefd=True)
        return cls(out, err, err_is_tty=os.isatty(2))

    def result(self, text: str) -> None:
        """A result line on stdout."""
        self.out.write(text + "\n")
        self.out.flush()

    def message(self, text: str) -> None:
        """A line for the user on stderr."""
        self.err.write(text + "\n")
        self.err.flush()

    def warning(self, text: str) -> None:
        self.message(f"{PROGRAM}: warning: {text}")

    def error(self, text: str) -> None:
        self.message(f"{PROGRAM}: error: {text}")

    def close(self) -> None:
        for stream in (self.out, self.err):
            with contextlib.suppress(OSError, ValueError):
                stream.close()


class NativeOutput:
    """Descriptors 1 and 2 pointed elsewhere for a while; see ``capture_native_output``."""

    def __init__(self, log_path: Path | None) -> None:
        self.log_path = log_path
        self._offset = 0

    def take_lines(self) -> list[str]:
        """Lines logged since the last call (none with ``--debug``, where nothing is logged)."""
        if self.log_path is None:
            return []
        with contextlib.suppress(OSError), self.log_path.open("rb") as log:
            log.seek(self._offset)
            data = log.read()
            end = data.rfind(b"\n") + 1  # whole lines only
            self._offset += end
            return data[:end].decode("utf-8", "replace").splitlines()
        return []


@contextlib.contextmanager
def capture_native_output(log_path: Path, *, debug: bool) -> Iterator[NativeOutput]:
    """Send descriptors 1 and 2 to ``log_path`` (with ``debug``: both to stderr) until the block ends."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = os.dup(1), os.dup(2)
    log = None
    try:
        if debug:
            os.dup2(2, 1)
        else:
            log = log_path.open("ab")
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
        yield NativeOutput(None if debug else log_path)
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
        if log is not None:
            log.close()
