"""Command line: ``python -m leonardo_blender.emulator --port N [options]`` runs one emulator until stopped.

The first stdout line is exactly the API base URL (flushed), so a parent process can read it; every
request is then logged to stderr as one line (host, method, path, status; never a header). Ctrl-C or
SIGTERM stop it cleanly with exit status 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from types import FrameType

from .config import CONCURRENCY_MODES, DEMO_API_KEY, HOSTILE_MODES, EmulatorConfig
from .emulator import Emulator
from .faults import parse_fault_spec


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m leonardo_blender.emulator",
        description="Local emulator of the Leonardo.AI REST API (listens on 127.0.0.1 only).",
    )
    parser.add_argument("--port", type=int, default=0, help="API port (0 = pick a free one)")
    parser.add_argument("--api-key", default=None, help=f"key clients must send (default: the demo key {DEMO_API_KEY})")
    parser.add_argument("--job-seconds", type=float, default=2.0, help="minimum time a job stays PENDING")
    parser.add_argument("--texture-size", type=int, default=1024, help="edge length of texture maps in pixels")
    parser.add_argument("--credits", type=int, default=10_000, help="starting API credit balance")
    parser.add_argument(
        "--texture-api-withdrawn",
        action="store_true",
        help="answer POST /generations-texture with the routing 404 the live service gave in May 2026",
    )
    parser.add_argument(
        "--concurrency-mode",
        choices=CONCURRENCY_MODES,
        default="off",
        help="what a create beyond the concurrency slots gets: no limit, a 429, or a queued job",
    )
    parser.add_argument("--concurrency-slots", type=int, default=10, help="paid jobs a user may have PENDING")
    parser.add_argument(
        "--hostile",
        default="",
        metavar="MODE[,MODE...]",
        help=f"answer nonsense on purpose for security tests; modes: {', '.join(HOSTILE_MODES)}",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="ROUTE:KIND[:ARG...]",
        help="inject a fault, e.g. 'POST /generations-texture:status:429:retry_after=1:times=2' (repeatable)",
    )
    return parser


def _stderr_line(line: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """The :class:`EmulatorConfig` the parsed command line asks for (ValueError if it is invalid)."""
    return EmulatorConfig(
        api_key=args.api_key,
        job_seconds=args.job_seconds,
        texture_size=args.texture_size,
        credits=args.credits,
        port=args.port,
        texture_api_withdrawn=args.texture_api_withdrawn,
        concurrency_mode=args.concurrency_mode,
        concurrency_slots=args.concurrency_slots,
        hostile=args.hostile,
    )


def _switches(config: EmulatorConfig) -> list[str]:
    """One phrase per non-default behaviour switch, for the start-up log."""
    switches = []
    if config.texture_api_withdrawn:
        switches.append("POST /generations-texture answers the routing 404 (withdrawn)")
    if config.concurrency_mode != "off":
        switches.append(f"concurrency {config.concurrency_mode} beyond {config.concurrency_slots} slots")
    if config.hostile_modes:
        switches.append("hostile answers: " + ", ".join(sorted(config.hostile_modes)))
    return switches


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
        rules = [parse_fault_spec(spec) for spec in args.fault]
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emulator = Emulator(config, log=_stderr_line)
    try:
        emulator.start()
    except OSError as exc:
        print(f"cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 1
    try:
        for rule in rules:
            emulator.faults.add(rule)
        print(emulator.base_url, flush=True)
        key_note = "the demo API key " + DEMO_API_KEY if args.api_key is None else "the API key given with --api-key"
        _stderr_line(f"Leonardo emulator ready at {emulator.base_url}; clients must send {key_note}")
        _stderr_line(f"upload host {emulator.upload_origin}, CDN host {emulator.cdn_origin}; stop with Ctrl-C")
        switches = _switches(config)
        if switches:
            _stderr_line("switches: " + "; ".join(switches))
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
        _stderr_line("Leonardo emulator stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
