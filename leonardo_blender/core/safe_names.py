"""Turn untrusted strings (map types, prompts, names from the service) into safe file names.

``safe_file_stem`` maps any text to one harmless file-name component: no separators, no ``..``, no
NUL or control characters, no leading dot, no trailing dot or space, no Windows device name, and a
bounded length, on every platform. ``path_inside`` joins a name to a folder and refuses any result
that resolves outside it (absolute names, ``..``, symlinks that lead out).

Pure ``pathlib``; no ``bpy``.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

#: Device names Windows reserves in every folder, with or without an extension (``nul.jpg`` too).
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {f"COM{i}" for i in range(10)} | {f"LPT{i}" for i in range(10)}
)

#: Room is left for an extension and a ``.part`` suffix within the usual 255-byte limit.
DEFAULT_MAX_BYTES = 120

_KEEP_PUNCTUATION = frozenset(" ._-()+,=@")
_SPACES = re.compile(r"\s+")
_JOINS = re.compile(r"[ ._-]*_[ ._-]*")  # a run of separators that contains a replaced character
_DOTS = re.compile(r"\.{2,}")
_EDGE = " ._-"


def _is_reserved(stem: str) -> bool:
    return stem.split(".", 1)[0].strip(" ").upper() in WINDOWS_RESERVED


def _truncate(stem: str, max_bytes: int) -> str:
    encoded = stem.encode("utf-8")
    if len(encoded) <= max_bytes:
        return stem
    return encoded[:max_bytes].decode("utf-8", errors="ignore").rstrip(_EDGE)


def _clean(text: str, max_bytes: int) -> str:
    text = unicodedata.normalize("NFKC", text)
    stem = "".join(ch if (ch.isalnum() or ch in _KEEP_PUNCTUATION) and ch.isprintable() else "_" for ch in text)
    stem = _SPACES.sub(" ", stem)
    stem = _JOINS.sub("_", stem)
    stem = _DOTS.sub(".", stem)  # no '..' anywhere, not even inside a name
    stem = _truncate(stem.strip(_EDGE), max_bytes)
    if stem and _is_reserved(stem):
        stem = _truncate("_" + stem, max_bytes)
    return stem


def safe_file_stem(text: object, fallback: str = "file", *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """A single safe file-name component made from ``text`` (``fallback`` when nothing usable is left).

    ``"../../evil"`` gives ``"evil"``, ``"/tmp/abs"`` gives ``"tmp_abs"``, ``"ALBEDO/../../x"`` gives
    ``"ALBEDO_x"``, ``"NUL"`` gives ``"_NUL"``. Letters and digits of any script are kept; anything
    else that could matter to a file system becomes ``_``. At most ``max_bytes`` UTF-8 bytes.
    """
    if max_bytes < 8:
        raise ValueError("max_bytes must be at least 8")
    stem = _clean(text, max_bytes) if isinstance(text, str) else ""
    if stem:
        return stem
    backup = _clean(fallback, max_bytes) if isinstance(fallback, str) else ""
    return backup or "file"


def path_inside(folder: str | Path, name: str | Path) -> Path:
    """``folder / name`` resolved, or ``ValueError`` unless it lies strictly inside ``folder``.

    Symlinks are followed on both sides, so a link inside the folder that points out is refused too.
    """
    text = str(name)
    if not text or "\x00" in text or "\x00" in str(folder):
        raise ValueError("A file name must not be empty or contain NUL bytes")
    root = Path(folder).resolve()
    candidate = (root / name).resolve()
    if candidate == root or not candidate.is_relative_to(root):
        raise ValueError(f"{text[:80]!r} is not a name inside {str(root)[:200]!r}")
    return candidate
