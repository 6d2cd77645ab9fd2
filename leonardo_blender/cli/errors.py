"""Exit codes of the command line and the exceptions that carry them to ``app.main``."""

from __future__ import annotations

EXIT_OK = 0
"""Every object was textured and the output file saved."""
EXIT_FAILED = 1
"""At least one object was not textured (failed, cancelled, timed out) or the output could not be saved."""
EXIT_USAGE = 2
"""Bad arguments, missing file, no matching objects, bad manifest, no API key, bad shard: nothing was sent."""
EXIT_SETUP = 3
"""Blender or the add-on could not be set up (no ``bpy`` module, build or install failed), or a bug."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl+C or SIGTERM): running jobs were cancelled, finished work was saved."""

EXIT_CODES_HELP = """\
exit codes:
  0    every object was textured and the output file saved
  1    at least one object failed, timed out or was cancelled, or the output could not be
       saved (whatever succeeded is still saved)
  2    usage error: bad arguments, missing file, no matching objects, bad manifest, no API
       key, bad shard; nothing was sent to the service
  3    Blender or the add-on could not be set up (no bpy module, build or install failed),
       or an internal error (--debug shows the details)
  130  interrupted by Ctrl+C or SIGTERM (running jobs are cancelled, finished work is
       saved; a second Ctrl+C quits at once)"""


class CliError(Exception):
    """An outcome to report in one line (plus optional detail lines) and exit with ``exit_code``."""

    exit_code = EXIT_SETUP

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details or [])


class UsageError(CliError):
    """The command line, the input file or the manifest is wrong; nothing was sent (exit 2)."""

    exit_code = EXIT_USAGE


class SetupError(CliError):
    """Blender or the add-on could not be made ready (exit 3)."""

    exit_code = EXIT_SETUP


class InterruptedRunError(CliError):
    """Stopped by Ctrl+C or SIGTERM before the run could finish cleanly (exit 130)."""

    exit_code = EXIT_INTERRUPTED
