"""The command line: the argument parser with its help text, and the checked ``Options`` it yields.

Everything here runs before Blender starts, so a usage error costs a fraction of a second and sends
nothing. ``parse()`` raises ``UsageError`` (exit 2) with a one-line message for anything wrong.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from . import values
from .errors import EXIT_CODES_HELP, UsageError
from .job_settings import JobSettings
from .shard import ALL, Shard, parse_shard

PROG = "python -m leonardo_blender.cli"
ENV_API_KEY = "LEONARDO_API_KEY"
ENV_BASE_URL = "LEONARDO_API_BASE_URL"
DEFAULT_PARALLEL = 10

DESCRIPTION = """\
Texture the meshes of .blend files with Leonardo.AI from a shell, a script or a render farm.

Run it with the Python that has Blender's bpy module (Python 3.11), for example
.venv/bpy-5.0/bin/python. Each run builds the add-on from this checkout, installs it into a
temporary Blender user folder (your own Blender settings are never read or changed; the folder
is removed at the end) and drives the add-on's own operators, as a click in its panel would."""

ENVIRONMENT_HELP = f"""\
environment (the same variables the add-on reads):
  {ENV_API_KEY}       your API key (app.leonardo.ai > API Access); required
  {ENV_BASE_URL}  the API URL (default https://cloud.leonardo.ai/api/rest/v1), e.g.
                         the local emulator's URL

online access: running this command is your consent to go online. It turns on Blender's
"Allow Online Access" for this run only, uploads the selected meshes to Leonardo.AI and
spends credits (a full texture costs 150, a preview 30; projection costs per view)."""

TEXTURE_DESCRIPTION = """\
Open BLEND, texture the selected mesh objects with Leonardo.AI (one job per object, several
at a time), wait while showing progress, and save the result to --out. Each object gets its
own material; its earlier materials are kept. The texture maps are written beside the output
file, in //textures/leonardo/<prompt>-<job>/."""

TEXTURE_EPILOG = f"""\
selecting objects:
  --objects takes Blender object names or fnmatch patterns (* ? [abc]), case-sensitive,
  comma-separated or repeated: --objects "Crate*,Barrel" --objects "Lamp.0[0-4]". Only mesh
  objects of the scene that opens with the file are considered; hidden ones are skipped
  with a warning (the add-on textures visible objects only). A pattern that matches
  nothing is a warning; when nothing matches at all, that is a usage error.

manifest (--manifest jobs.csv or jobs.json):
  Per-object settings for a batch. CSV with a header row, or a JSON list of objects:
      object,prompt,seed,facing
      Crate.001,oak planks,42,90
      Crate.*,rusty iron,,
      *,mossy stone,,
  Columns/keys: object (a name or pattern; blank = every mesh), prompt, and optionally
  negative_prompt, seed, facing, preview, preview_side, engine and file (the .blend the row
  is for, by name or path; rows for other files are skipped). Blank cells take the value of
  the matching flag, so the flags are the defaults. Each mesh gets the first row that
  matches it; meshes that no row matches are not textured. The whole manifest is checked
  before anything is sent, and every bad row is reported with its line number.

sharding (--shard i/n, i from 1 to n):
  Split one batch over n machines: each runs the same command with its own i. The work
  items (file name, object name) are sorted, and an item belongs to shard i when
  sha256("<file name>\\0<object name>") mod n == i-1, so the shards never overlap, leave
  nothing out and do not depend on the order of anything. --shard 1/1 is everything. A
  shard with no objects in this file does nothing, writes nothing and exits 0.

output:
  --out defaults to <name>.textured.blend beside BLEND (overwritten if it exists); BLEND
  itself is only overwritten when --out names it. The output is saved before the first job
  starts (so maps go beside it from the start) and again as jobs are accepted, so a killed
  run loses nothing paid for: open the output in Blender and its unfinished jobs resume.
  Progress goes to stderr: a progress bar on a terminal (done, running, queued, failed,
  credits), one line per change of state otherwise. Results go to stdout: one line per
  object, or with --json one JSON object per line with the keys object, state (APPLIED,
  FAILED or CANCELLED), material, seed, cost, error, engine, job_id, file, output, prompt
  and nothing else on stdout.

{ENVIRONMENT_HELP}

{EXIT_CODES_HELP}

examples:
  {PROG} texture scene.blend --prompt "weathered oak" --objects "Crate*"
  {PROG} texture scene.blend --manifest jobs.csv --out textured/scene.blend --json
  {PROG} texture scene.blend --manifest jobs.csv --shard 3/8 --timeout 3600"""


@dataclass(frozen=True)
class Options:
    blend: Path
    out: Path
    patterns: list[str] | None
    manifest: Path | None
    shard: Shard
    defaults: JobSettings
    json: bool
    timeout: float | None
    parallel: int
    debug: bool


class _Parser(argparse.ArgumentParser):
    """argparse that raises ``UsageError`` instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see --help)")


def _typed(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__.removeprefix("parse_")
    return convert


def _positive_float(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of seconds") from None
    if not number > 0:
        raise ValueError(f"{text!r} must be more than 0 seconds")
    return number


def _positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError(f"{text!r} must be a whole number of at least 1")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog=PROG,
        description=DESCRIPTION,
        formatter_class=formatter,
        epilog=ENVIRONMENT_HELP + "\n\n" + EXIT_CODES_HELP + f"\n\nsee {PROG} texture --help for the options",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", parser_class=_Parser)
    texture = commands.add_parser(
        "texture",
        usage=f"{PROG} texture BLEND [--objects PATTERNS | --manifest FILE] [--prompt TEXT] [options]",
        help="texture mesh objects of a .blend file and save the result",
        description=TEXTURE_DESCRIPTION,
        epilog=TEXTURE_EPILOG,
        formatter_class=formatter,
    )
    texture.add_argument("blend", metavar="BLEND", type=Path, help="the .blend file to texture")

    what = texture.add_argument_group("what to texture")
    what.add_argument(
        "--objects",
        action="append",
        metavar="PATTERNS",
        help="mesh objects to texture: names or fnmatch patterns, comma-separated or repeated (default: every mesh)",
    )
    what.add_argument("--manifest", type=Path, metavar="FILE", help="per-object settings from a .csv or .json file")
    what.add_argument("--shard", type=_typed(parse_shard), default=ALL, metavar="I/N", help="only slice I of N (1/1)")

    how = texture.add_argument_group("texture settings (a manifest's cells override them)")
    how.add_argument("--prompt", metavar="TEXT", help="what the texture looks like (required without --manifest)")
    how.add_argument("--negative-prompt", metavar="TEXT", default="", help="what to avoid")
    how.add_argument(
        "--seed", type=_typed(values.parse_seed), metavar="N", help="a seed for repeatable results (default: random)"
    )
    how.add_argument(
        "--facing",
        type=_typed(values.parse_facing),
        default=0,
        metavar="{-90,0,90,180}",
        help="which way the models face: 0 = -Y (Blender's Front view, the default), 90 = +X, -90 = -X, 180 = +Y",
    )
    how.add_argument(
        "--engine",
        type=_typed(values.parse_engine),
        default="AUTO",
        metavar="{auto,texture,projection}",
        help="texture: Leonardo's 3D texture generation; projection: depth-guided images from several views "
        "baked into the UVs; auto (default): texture, or projection where the service no longer offers it",
    )
    how.add_argument("--preview", action="store_true", help="a cheaper one-side preview instead of the full texture")
    how.add_argument(
        "--preview-side",
        type=_typed(values.parse_preview_side),
        metavar="{front,back,left,right}",
        help="with --preview: the side to texture (default front)",
    )
    how.add_argument(
        "--view-size",
        type=_typed(values.parse_view_size),
        default=1024,
        metavar="PX",
        help="projection: pixels per generated view (default 1024)",
    )
    how.add_argument(
        "--bake-size",
        type=_typed(values.parse_bake_size),
        default=2048,
        metavar="PX",
        help="projection: size of the baked maps (default 2048)",
    )

    out = texture.add_argument_group("output and running")
    out.add_argument(
        "--out", type=Path, metavar="FILE.blend", help="where to save (default: <name>.textured.blend beside BLEND)"
    )
    out.add_argument("--json", action="store_true", help="one JSON object per object on stdout, and nothing else")
    out.add_argument(
        "--timeout",
        type=_typed(_positive_float),
        metavar="S",
        help="give up after S seconds in all: cancel what still runs, save the rest (default: no limit)",
    )
    out.add_argument(
        "--parallel",
        type=_typed(_positive_int),
        default=DEFAULT_PARALLEL,
        metavar="N",
        help=f"at most N objects in progress at a time (default {DEFAULT_PARALLEL}); the add-on also keeps "
        "paid jobs within the account's concurrency slots and queues the rest",
    )
    out.add_argument("--debug", action="store_true", help="show Blender's own output and Python tracebacks")
    return parser


def split_patterns(given: list[str] | None) -> list[str] | None:
    if not given:
        return None
    patterns = [part.strip() for item in given for part in item.split(",") if part.strip()]
    if not patterns:
        raise UsageError("--objects is empty; give object names or patterns, or leave it out for every mesh")
    return patterns


def default_out(blend: Path) -> Path:
    return blend.with_name(f"{blend.stem}.textured.blend")


def parse(argv: list[str]) -> Options:
    """Parse and check ``argv`` (without the program name). ``--help`` exits through ``SystemExit(0)``."""
    args = build_parser().parse_args(argv)
    if args.command is None:
        raise UsageError(f"give a command: texture (see {PROG} --help)")
    blend: Path = args.blend.expanduser()
    if not blend.exists():
        raise UsageError(f"{blend} does not exist")
    if not blend.is_file():
        raise UsageError(f"{blend} is not a file")
    if args.manifest is None and args.prompt is None:
        raise UsageError("give --prompt (what the texture looks like), or --manifest with a prompt per object")
    prompt = ""
    if args.prompt is not None:
        try:
            prompt = values.parse_prompt(args.prompt)
        except ValueError as exc:
            raise UsageError(f"--prompt: {exc}") from None
    try:
        negative = values.parse_negative_prompt(args.negative_prompt)
    except ValueError as exc:
        raise UsageError(f"--negative-prompt: {exc}") from None
    if args.preview_side is not None and not args.preview and args.manifest is None:
        raise UsageError("--preview-side needs --preview")
    out = args.out.expanduser() if args.out is not None else default_out(blend)
    if out.suffix.lower() != ".blend":
        raise UsageError(f"--out {out} must end in .blend")
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; give a .blend file name")
    defaults = JobSettings(
        prompt=prompt,
        negative_prompt=negative,
        seed=args.seed,
        facing=args.facing,
        preview=args.preview,
        preview_side=args.preview_side or "front",
        engine=args.engine,
        view_size=args.view_size,
        bake_size=args.bake_size,
    )
    return Options(
        blend=blend,
        out=out,
        patterns=split_patterns(args.objects),
        manifest=args.manifest.expanduser() if args.manifest is not None else None,
        shard=args.shard,
        defaults=defaults,
        json=args.json,
        timeout=args.timeout,
        parallel=args.parallel,
        debug=args.debug,
    )


def check_service_environment(environ: Mapping[str, str] | None = None) -> None:
    """The API key must be set and the API URL (when set) safe for it; ``UsageError`` otherwise."""
    from ..api.errors import LeonardoError
    from ..api.urls import check_api_base_url

    environ = os.environ if environ is None else environ
    if not environ.get(ENV_API_KEY, "").strip():
        raise UsageError(f"no API key: set {ENV_API_KEY} (app.leonardo.ai > API Access)")
    base_url = environ.get(ENV_BASE_URL, "").strip()
    if base_url:
        try:
            check_api_base_url(base_url)
        except LeonardoError as exc:
            raise UsageError(f"{ENV_BASE_URL}: {exc}") from None
