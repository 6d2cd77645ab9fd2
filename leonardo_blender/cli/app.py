"""``main()``: run one command from start to end and turn every outcome into an exit code.

Order matters: everything that can be checked without Blender (arguments, the input file, the
manifest, the API key) is checked first, so usage errors are instant and nothing is ever sent for a
batch that cannot run as a whole. Exceptions become one-line messages (``--debug`` adds tracebacks
and Blender's own output); the codes are in ``errors``.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from types import FrameType

from . import manifest
from .batch import Batch
from .blend_file import BlendFile
from .blender_session import BlenderSession
from .console import Console
from .errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_SETUP, CliError
from .options import Options, check_service_environment, parse
from .plan import Plan, make_plan
from .progress import make_progress
from .report import ObjectResult, summary


def _terminate(number: int, frame: FrameType | None) -> None:
    """SIGTERM outside the job loop: unwind like Ctrl+C, so that the temporary folder is removed."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    console = Console.from_process()
    debug = "--debug" in argv
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return _texture(parse(argv), console)
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except CliError as exc:
        if debug:
            traceback.print_exc(file=console.err)
        console.error(exc.message)
        for detail in exc.details:
            console.message(f"  {detail}")
        return exc.exit_code
    except KeyboardInterrupt:
        console.error("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: one line, and the traceback with --debug
        if debug:
            traceback.print_exc(file=console.err)
        console.error(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the details)")
        return EXIT_SETUP
    finally:
        console.close()


def _texture(options: Options, console: Console) -> int:
    started = time.monotonic()
    rows = manifest.load(options.manifest, options.defaults) if options.manifest else None
    check_service_environment()
    with BlenderSession(debug=options.debug) as session:
        assert session.addon is not None
        blend = BlendFile(session.bpy)
        plan = make_plan(
            options.blend,
            blend.open(options.blend),
            patterns=options.patterns,
            defaults=options.defaults,
            rows=rows,
            manifest_path=options.manifest,
            shard=options.shard,
        )
        for warning in plan.warnings:
            console.warning(warning)
        if not plan.items:
            console.message(
                f"shard {options.shard} holds none of the {plan.matched} selected object(s) of "
                f"{options.blend.name}; nothing to do, nothing written"
            )
            return EXIT_OK
        _warn_about_unfinished_jobs(console, options, blend)
        blend.save_as(options.out)
        session.go_online()  # only now: opening the file must not resume the jobs saved in it
        console.message(_announcement(options, plan))
        progress = make_progress(console.err, terminal=console.err_is_tty)
        batch = Batch(session.bpy, session.addon, blend, session.native, progress)
        tracked = batch.run(plan.items, parallel=options.parallel, timeout=options.timeout)
        problem = blend.save()
        progress.close()
        if blend.checkpoint_problem:
            console.warning(f"a checkpoint save failed: {blend.checkpoint_problem}")
        output = None if problem else str(options.out.resolve())
        file = str(options.blend.resolve())
        results = [batch.result(entry, file=file, output=output) for entry in tracked]
    _report(console, options, results, output=output, problem=problem, seconds=time.monotonic() - started)
    if batch.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if output and all(r.ok for r in results) else EXIT_FAILED


def _announcement(options: Options, plan: Plan) -> str:
    shard = "" if options.shard.count == 1 else f" (shard {options.shard}: {len(plan.items)} of {plan.matched})"
    count = len(plan.items)
    return f"Texturing {count} object{'s' * (count != 1)} of {options.blend.name}{shard} -> {options.out}"


def _warn_about_unfinished_jobs(console: Console, options: Options, blend: BlendFile) -> None:
    unfinished = blend.unfinished_jobs()
    if unfinished:
        console.warning(
            f"{options.blend.name} has {len(unfinished)} unfinished job(s) from an earlier session "
            f"({', '.join(sorted(set(unfinished)))}); they are left as they are: open the output in "
            "Blender to resume them without paying again"
        )


def _report(
    console: Console,
    options: Options,
    results: list[ObjectResult],
    *,
    output: str | None,
    problem: str | None,
    seconds: float,
) -> None:
    for result in results:
        console.result(result.to_json() if options.json else result.line())
        if not result.ok:
            console.error(result.line())
    if problem:
        console.error(f"could not save {options.out}: {problem}")
    else:
        maps = Path(output or options.out).parent / "textures" / "leonardo"
        saved = f"Saved {output} (maps in {maps})"
        if options.json:
            console.message(saved)
        else:
            console.result(saved)
    console.message(summary(results, seconds))
