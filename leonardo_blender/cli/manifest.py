"""Read and validate a manifest: per-object (or per-file) prompts and settings, as CSV or JSON.

CSV has a header row; JSON is a list of objects. Columns / keys (case-insensitive; ``-`` or a space
may stand for ``_``):

    object           object name or fnmatch pattern (blank: every mesh)
    prompt           required, unless --prompt gives a default
    negative_prompt  seed  facing  preview  preview_side  engine      optional; blank: the flag's value
    file             the .blend the row is for (blank: every file)

The whole manifest is checked before anything is sent; every bad row is reported with its line
number (``ManifestError`` lists them all). Rows for other files are checked too, since one manifest
usually serves a whole batch.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import values
from .errors import UsageError
from .job_settings import JobSettings

COLUMNS = ("object", "prompt", "negative_prompt", "seed", "facing", "preview", "preview_side", "engine", "file")


class ManifestError(UsageError):
    """The manifest cannot be used; ``details`` holds one ``path:line: problem`` per bad row."""


@dataclass(frozen=True)
class ManifestRow:
    line: int
    pattern: str  # fnmatch pattern of object names ("*": every mesh)
    file: str  # "" when the row is for every file
    settings: JobSettings


def normalise_key(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def load(path: Path, defaults: JobSettings) -> list[ManifestRow]:
    """Every row of the manifest at ``path``, with ``defaults`` (the flags) filled in for blank cells."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"manifest {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read manifest {path}: {exc}") from None
    records = _json_records(path, text) if _is_json(path, text) else _csv_records(path, text)
    if not records:
        raise ManifestError(f"manifest {path} has no rows")
    rows: list[ManifestRow] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for line, record in records:
        key = _row_key(record)
        if key is not None and key in seen:
            problems.append(f"{path}:{line}: repeats the object {key[0]!r} of line {seen[key]}")
            continue
        if key is not None:
            seen[key] = line
        try:
            rows.append(_row(line, record, defaults, path.name))
        except ValueError as exc:
            problems.append(f"{path}:{line}: {exc}")
    if problems:
        count = len(problems)
        raise ManifestError(
            f"manifest {path.name} has {count} bad row{'s' * (count != 1)}; nothing was sent", details=problems
        )
    return rows


def _is_json(path: Path, text: str) -> bool:
    suffix = path.suffix.lower()
    if suffix in (".json", ".csv"):
        return suffix == ".json"
    return text.lstrip().startswith("[")


def _csv_records(path: Path, text: str) -> list[tuple[int, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    records: list[tuple[int, Any]] = []
    end = 0
    try:
        for cells in reader:
            start, end = end + 1, reader.line_num
            if not any(cell.strip() for cell in cells) or cells[0].lstrip().startswith("#"):
                continue  # blank lines and comments
            if header is None:
                header = [normalise_key(cell) for cell in cells]
                unknown = [name for name in header if name not in COLUMNS]
                if unknown:
                    raise ManifestError(
                        f"manifest {path.name}: unknown column(s) {', '.join(map(repr, unknown))} in the header "
                        f"on line {start}; allowed: {', '.join(COLUMNS)}"
                    )
                doubled = sorted({name for name in header if header.count(name) > 1})
                if doubled:
                    raise ManifestError(f"manifest {path.name}: column(s) {', '.join(doubled)} appear twice")
                continue
            if len(cells) > len(header):
                records.append((start, ValueError(f"{len(cells)} cells, but the header has {len(header)} columns")))
                continue
            records.append((start, dict(zip(header, cells, strict=False))))
    except csv.Error as exc:
        raise ManifestError(f"manifest {path.name}: line {reader.line_num}: {exc}") from None
    if header is None:
        raise ManifestError(f"manifest {path.name} is empty (a CSV manifest needs a header row)")
    return records


def _json_records(path: Path, text: str) -> list[tuple[int, Any]]:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"manifest {path.name}: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    decoder = json.JSONDecoder()
    index = _skip_space(text, 0)
    if not text.startswith("[", index):
        raise ManifestError(f"manifest {path.name} must be a JSON list of objects ([{{...}}, ...])")
    index = _skip_space(text, index + 1)
    records: list[tuple[int, Any]] = []
    while not text.startswith("]", index):
        line = text.count("\n", 0, index) + 1
        value, index = decoder.raw_decode(text, index)
        records.append((line, value))
        index = _skip_space(text, index)
        if text.startswith(",", index):
            index = _skip_space(text, index + 1)
    return records


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _row_key(record: Any) -> tuple[str, str] | None:
    """(object pattern, file) of a row, to find rows that say the same thing twice."""
    if not isinstance(record, dict):
        return None
    fields = {normalise_key(str(k)): v for k, v in record.items()}
    pattern, file = fields.get("object"), fields.get("file")
    return (
        "*" if values.is_blank(pattern) else str(pattern).strip(),
        "" if values.is_blank(file) else str(file).strip(),
    )


def _row(line: int, record: Any, defaults: JobSettings, manifest_name: str) -> ManifestRow:
    if isinstance(record, ValueError):  # a CSV row that could not even be read as cells
        raise record
    if not isinstance(record, dict):
        raise ValueError(f"expected an object with 'object' and 'prompt', not {type(record).__name__}")
    fields: dict[str, Any] = {}
    for key, value in record.items():
        name = normalise_key(str(key))
        if name not in COLUMNS:
            raise ValueError(f"unknown key {key!r}; allowed: {', '.join(COLUMNS)}")
        fields[name] = value
    problems: list[str] = []

    def cell(name: str, parse: Callable[[Any], Any]) -> Any:
        value = fields.get(name)
        if values.is_blank(value):
            return None
        try:
            return parse(value)
        except ValueError as exc:
            problems.append(str(exc))
            return None

    pattern = cell("object", lambda v: values.parse_name(v, "object"))
    file = cell("file", lambda v: values.parse_name(v, "file"))
    prompt = cell("prompt", values.parse_prompt)
    if values.is_blank(fields.get("prompt")) and not defaults.prompt:
        problems.append("no prompt (fill in the prompt, or give --prompt as the default)")
    negative = cell("negative_prompt", values.parse_negative_prompt)
    seed = cell("seed", _seed_cell)
    facing = cell("facing", values.parse_facing)
    preview = cell("preview", lambda v: values.parse_bool(v, "preview"))
    side = cell("preview_side", values.parse_preview_side)
    engine = cell("engine", values.parse_engine)
    if problems:
        raise ValueError("; ".join(problems))
    settings = replace(
        defaults,
        prompt=prompt or defaults.prompt,
        negative_prompt=defaults.negative_prompt if negative is None else negative,
        seed=defaults.seed if seed is None else (None if seed == -1 else seed),
        facing=defaults.facing if facing is None else facing,
        preview=defaults.preview if preview is None else preview,
        preview_side=defaults.preview_side if side is None else side,
        engine=defaults.engine if engine is None else engine,
        source=f"{manifest_name}:{line}",
    )
    if side is not None and not settings.preview:
        raise ValueError("preview_side is set but preview is off (set preview to true, or give --preview)")
    return ManifestRow(line=line, pattern=pattern or "*", file=file or "", settings=settings)


def _seed_cell(value: Any) -> int:
    """A seed cell: the seed, or -1 for an explicit random seed (blank cells never get here)."""
    seed = values.parse_seed(value)
    return -1 if seed is None else seed
