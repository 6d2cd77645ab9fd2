"""Run the demo: the emulator (or the live service), then headless Blender texturing a mesh.

Plain Python: the Blender side runs in a child process (``demo_blender.py``) so that this process
can own the emulator and the temporary folders, and report on both. Bad input ends in one line on
stderr and a non-zero exit status, before Blender starts whenever it can be seen from here.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leonardo_blender.api.models import SEED_MAX  # noqa: E402
from leonardo_blender.api.transport import DEFAULT_BASE_URL  # noqa: E402
from leonardo_blender.emulator import DEMO_API_KEY  # noqa: E402

PROG = "scripts/demo"
#: --engine choices and the operator's engine identifiers.
ENGINES = {"auto": "AUTO", "texture": "TEXTURE_API", "projection": "PROJECTION"}
BLEND_MAGICS = (b"BLENDER", b"\x1f\x8b", b"\x28\xb5\x2f\xfd")  # plain, gzip- and zstd-compressed .blend
OUTPUT_NAME = "leonardo_demo.blend"


class DemoError(Exception):
    """Bad input or a failed step: one line for the user, no traceback."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """One line on stderr (argparse would print the usage first)."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _bounded_int(low: int, high: int, what: str):  # type: ignore[no-untyped-def]
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number from {low} to {high}, not {text!r}")
        return value

    return parse


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not -1 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(
            f"the seed must be -1 (random) or a whole number from 0 to {SEED_MAX} (the service's maximum), not {text!r}"
        )
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value <= 3600):
        raise argparse.ArgumentTypeError(f"must be a number of seconds from 0 to 3600, not {text!r}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog=PROG, description="Texture a mesh headless in Blender with the Leonardo add-on")
    parser.add_argument("--live", action="store_true", help="use the real Leonardo service (LEONARDO_API_KEY)")
    parser.add_argument("--mesh", type=Path, help=".obj or .blend to texture (default: Suzanne); never modified")
    parser.add_argument("--prompt", default="weathered bronze statue, green patina", help="what the texture shows")
    parser.add_argument(
        "--engine",
        choices=tuple(ENGINES),
        default="auto",
        help="auto: Leonardo's 3D texture endpoint, falling back to projection where the service has none; "
        "texture: that endpoint only; projection: depth-guided images projected and baked into the UVs",
    )
    parser.add_argument(
        "--withdrawn",
        action="store_true",
        help="emulator: answer the 3D texture endpoint like the live service (gone), so auto falls back",
    )
    parser.add_argument(
        "--facing",
        type=int,
        default=0,
        choices=(-90, 0, 90, 180),
        help="front_rotation_offset: which way the model faces (0 = -Y)",
    )
    parser.add_argument("--preview", action="store_true", help="texture one side only (cheaper)")
    parser.add_argument("--seed", type=_seed, default=-1, help=f"-1 (random) or 0 to {SEED_MAX}")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "demo", help="output folder (default: out/demo)")
    parser.add_argument(
        "--resolution", type=_bounded_int(16, 8192, "the resolution"), default=512, help="render size in pixels"
    )
    parser.add_argument(
        "--samples", type=_bounded_int(1, 4096, "the samples"), default=32, help="Cycles samples per pixel"
    )
    parser.add_argument("--job-seconds", type=_seconds, default=3.0, help="emulator: how long a job takes")
    parser.add_argument(
        "--seamless",
        metavar="PROMPT",
        help="instead: generate a seamless tileable material from PROMPT and render it on a tiled floor "
        "(outputs in out/demo_seamless unless --out is given)",
    )
    args = parser.parse_args(argv)
    if args.seamless is not None:
        if not args.seamless.strip():
            parser.error('--seamless needs a prompt, e.g. --seamless "mossy cobblestone"')
        if args.mesh is not None or args.preview or args.engine != "auto" or args.withdrawn:
            parser.error(
                "--seamless makes a material for a floor: it takes no --mesh, --preview, --engine or --withdrawn"
            )
        if args.out == ROOT / "out" / "demo":
            args.out = ROOT / "out" / "demo_seamless"
    if args.live and args.withdrawn:
        parser.error("--withdrawn is an emulator switch; it cannot be combined with --live")
    return args


def check_mesh(path: Path, out: Path) -> Path:
    """The input file, resolved, if the demo can read it (DemoError otherwise)."""
    if not path.exists():
        raise DemoError(f"--mesh {path}: no such file")
    if not path.is_file():
        raise DemoError(f"--mesh {path}: not a file")
    suffix = path.suffix.lower()
    if suffix not in (".obj", ".blend"):
        raise DemoError(f"--mesh {path}: must be a .obj or .blend file")
    try:
        with path.open("rb") as handle:
            head = handle.read(64 * 1024)
            if suffix == ".blend":
                if not head.startswith(BLEND_MAGICS):
                    raise DemoError(f"--mesh {path}: not a Blender file")
            else:
                _check_obj(path, head, handle)
    except OSError as exc:
        raise DemoError(f"--mesh {path}: cannot read it ({exc.strerror or exc})") from None
    resolved = path.resolve()
    if resolved == (out / OUTPUT_NAME).resolve():
        raise DemoError(f"--mesh {path}: is the demo's own output file; pick another --out folder")
    return resolved


def _check_obj(path: Path, head: bytes, handle) -> None:  # type: ignore[no-untyped-def]
    """A Wavefront OBJ is text with vertices ("v x y z") and faces ("f a b c")."""
    if b"\0" in head:
        raise DemoError(f"--mesh {path}: not a Wavefront OBJ text file")
    seen: set[bytes] = set()
    data = head
    while True:
        for line in data.splitlines():
            key = line.strip()[:2]
            if key in (b"v ", b"v\t", b"f ", b"f\t"):
                seen.add(key[:1])
        if seen == {b"v", b"f"}:
            return
        data = handle.read(1024 * 1024)
        if not data:
            break
    if not head.strip():
        raise DemoError(f"--mesh {path}: the file is empty")
    raise DemoError(f"--mesh {path}: no mesh in it (a Wavefront OBJ needs 'v' vertex and 'f' face lines)")


def prepare_out(out: Path) -> Path:
    out = out.expanduser().resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DemoError(f"--out {out}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise DemoError(f"--out {out}: the folder is not writable")
    return out


def start_emulator(job_seconds: float, withdrawn: bool) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        "-m",
        "leonardo_blender.emulator",
        "--port",
        "0",
        "--job-seconds",
        str(job_seconds),
        "--texture-size",
        "1024",
        "--api-key",
        DEMO_API_KEY,
    ]
    if withdrawn:
        command.append("--texture-api-withdrawn")
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        process.terminate()
        process.wait(timeout=10)
        raise DemoError(f"the emulator did not start (it printed {url!r})")
    return process, url


def blender_command(args: argparse.Namespace, out: Path, mesh: Path | None, work: Path) -> list[str]:
    command = [
        sys.executable,
        str(ROOT / "scripts" / "demo_blender.py"),
        "--out",
        str(out),
        "--work",
        str(work),
        "--prompt",
        args.prompt,
        "--engine",
        ENGINES[args.engine],
        "--facing",
        str(args.facing),
        "--seed",
        str(args.seed),
        "--resolution",
        str(args.resolution),
        "--samples",
        str(args.samples),
    ]
    if mesh is not None:
        command += ["--mesh", str(mesh)]
    if args.preview:
        command.append("--preview")
    return command


def seamless_command(args: argparse.Namespace, out: Path) -> list[str]:
    command = [sys.executable, str(ROOT / "scripts" / "demo_seamless_blender.py"), "--out", str(out)]
    command += ["--prompt", args.seamless, "--seed", str(args.seed), "--samples", str(args.samples)]
    return command


def run(args: argparse.Namespace) -> int:
    out = prepare_out(args.out)
    mesh = check_mesh(args.mesh, out) if args.mesh is not None else None
    env = dict(os.environ)
    if args.live and not env.get("LEONARDO_API_KEY"):
        raise DemoError("--live needs your key in LEONARDO_API_KEY")
    started = time.monotonic()
    # Blender's user folder (the installed add-on, its journal and exports) and the built zip live in
    # one temporary folder, removed whatever happens.
    with tempfile.TemporaryDirectory(prefix="leonardo-demo-") as temporary:
        work = Path(temporary)
        env["BLENDER_USER_RESOURCES"] = str(work / "user")  # read before bpy is imported
        emulator = None
        try:
            if args.live:
                env.setdefault("LEONARDO_API_BASE_URL", DEFAULT_BASE_URL)
                print(f"Using the live Leonardo service at {env['LEONARDO_API_BASE_URL']} (this costs credits)")
            else:
                emulator, url = start_emulator(args.job_seconds, args.withdrawn)
                env["LEONARDO_API_KEY"] = DEMO_API_KEY
                env["LEONARDO_API_BASE_URL"] = url
                withdrawn = " (3D texture endpoint withdrawn, as on the live service)" if args.withdrawn else ""
                print(f"Emulator running at {url}{withdrawn}", flush=True)
            command = seamless_command(args, out) if args.seamless else blender_command(args, out, mesh, work)
            child = subprocess.Popen(command, env=env, cwd=ROOT)
            try:
                status = child.wait()
            except KeyboardInterrupt:  # Ctrl-C reached Blender too: it stops and says so itself, once
                try:
                    status = child.wait(timeout=30)
                except (subprocess.TimeoutExpired, KeyboardInterrupt):
                    child.kill()
                    child.wait()
                    status = -1
                if status != 130:
                    print(f"{PROG}: interrupted", file=sys.stderr)
                status = 130
        finally:
            if emulator is not None:
                emulator.terminate()
                emulator.wait(timeout=10)
    if status == 0:
        print(f"Done in {time.monotonic() - started:.1f} s")
    # A failed child has said why on stderr, once; nothing to add.
    return status


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except DemoError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
