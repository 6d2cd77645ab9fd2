"""Build the installable extension zip with Blender's own ``bl_pkg`` build command.

    python scripts/build_extension.py [--output-dir dist]

Stages ``leonardo_blender/`` (without the emulator, which needs Pillow and is a development tool)
together with the top-level ``blender_manifest.toml`` into a temporary folder, validates the manifest
with Blender's validator, writes ``dist/leonardo_blender-<version>.zip`` (manifest at the zip root
beside the package's ``__init__.py``) and prints its path on the last line. Needs the ``bpy`` module
(imported here before ``bl_pkg``, which it puts on ``sys.path``).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "leonardo_blender"
MANIFEST = ROOT / "blender_manifest.toml"
EXCLUDED_DIRS = {"__pycache__", "emulator", "cli"}  # dev tools: they need a checkout (and Pillow)


def manifest_version() -> str:
    return str(tomllib.loads(MANIFEST.read_text(encoding="utf-8"))["version"])


def stage(staging_root: Path) -> Path:
    """Copy the package and the manifest into ``staging_root/leonardo_blender``."""
    target = staging_root / "leonardo_blender"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        PACKAGE,
        target,
        ignore=lambda directory, names: [n for n in names if n in EXCLUDED_DIRS or n.endswith((".pyc", ".pyo"))],
    )
    shutil.copy2(MANIFEST, target / "blender_manifest.toml")
    return target


def _bl_pkg():  # type: ignore[no-untyped-def]
    import bpy  # noqa: F401  first: importing bpy puts Blender's bundled add-ons (bl_pkg) on sys.path

    # isort: split
    import bl_pkg

    return bl_pkg


def _cli(args: list[str]) -> int:
    """``bl_pkg``'s ``extension`` command, in-process (what ``blender --command extension ...`` runs).

    Its ``main()`` replaces the SIGINT handler for good with one that only sets a flag, so after a
    build Ctrl-C would be ignored for the rest of the process (the demo's Blender, a pytest session):
    the handler is put back.
    """
    previous = signal.getsignal(signal.SIGINT)
    try:
        return int(_bl_pkg().cli_extension(args))
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def validate(path: Path) -> int:
    return _cli(["validate", str(path)])


def build(output_dir: Path, staging_root: Path | None = None) -> Path:
    """Build the zip into ``output_dir`` and return its path; raises on any validation error."""
    staging_root = staging_root or ROOT / "build" / "extension"
    staged = stage(staging_root)
    output_dir.mkdir(parents=True, exist_ok=True)  # bl_pkg's build does not create it
    if validate(staged) != 0:
        raise RuntimeError("blender_manifest.toml does not pass Blender's validator (see above)")
    zip_path = output_dir / f"leonardo_blender-{manifest_version()}.zip"
    if zip_path.exists():
        zip_path.unlink()
    status = _cli(["build", "--source-dir", str(staged), "--output-filepath", str(zip_path)])
    if status != 0 or not zip_path.is_file():
        raise RuntimeError(f"Blender's extension build failed (status {status})")
    return zip_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="leonardo-build-") as staging:
        zip_path = build(args.output_dir.resolve(), staging_root=Path(staging))
    print(zip_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
