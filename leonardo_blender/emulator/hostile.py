"""Hostile answers: the API says nonsense on purpose, so the add-on's tests can prove it copes safely.

``EmulatorConfig.hostile`` is a comma-separated set of modes. They rewrite successful (200) answers of
the API host only, after the request was processed normally (jobs are made and charged as usual; the
emulator's own state stays truthful). Errors, the upload and CDN hosts and ``/_emulator`` are untouched.

* ``path-types``: every non-empty ``model_asset_texture_images`` list gets three extra entries whose
  ``type`` is one of :data:`HOSTILE_TYPES` (``../../evil``, ``/tmp/abs``, ``ALBEDO/../../x``) and whose
  ``url`` is the first entry's (a real, downloadable file). A client must never turn a type into a path.
* ``path-ids``: every string under a key ``id``, ``generationId``, ``modelId`` or ``userId`` (create
  answers, lookups, lists, ``/me``) is replaced by the next of :data:`HOSTILE_IDS`, starting again with
  ``../../etc`` in each answer, so a create answers e.g. ``{"sdGenerationJob": {"generationId":
  "../../etc", ...}}``. A client must never put an id into a file path or a URL unchecked.
* ``huge-json``: every GET answer is padded with a key ``emulatorPadding`` (a string of ``x``) to at
  least ``EmulatorConfig.hostile_json_bytes`` bytes (16 MiB by default); the JSON stays valid.
* ``wrong-types``: ``generated_images`` and ``model_asset_texture_images`` become the number 7,
  ``seed`` the JSON number ``1e999`` (Python reads it as ``inf``), ``apiCreditCost`` ``10**30``,
  ``status`` the number 1, ``modelFields``/``fields`` (JSON strings on the wire) the number 42 and
  ``apiSubscriptionTokens`` the string ``"10000"``.
* ``missing-albedo``: a finished texture generation lists its maps without the ``ALBEDO`` one.
* ``file-urls``: every map ``url`` of a texture generation becomes :data:`FILE_URL`, a local file
  link, which a client must never read (nor follow).
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

PATH_TYPES = "path-types"
PATH_IDS = "path-ids"
HUGE_JSON = "huge-json"
WRONG_TYPES = "wrong-types"
MISSING_ALBEDO = "missing-albedo"
FILE_URLS = "file-urls"

FILE_URL = "file:///etc/passwd"

HOSTILE_TYPES: tuple[str, ...] = ("../../evil", "/tmp/abs", "ALBEDO/../../x")
HOSTILE_IDS: tuple[str, ...] = ("../../etc", "a/b", "..\\..\\x", "/tmp/abs")
ID_KEYS = frozenset({"id", "generationId", "modelId", "userId"})
PADDING_KEY = "emulatorPadding"
HUGE_NUMBER = 10**30
_INFINITE_SEED = "\x00emulator-1e999\x00"  # placeholder swapped for the bare JSON number 1e999
_WRONG_TYPE_VALUES: dict[str, Any] = {
    "generated_images": 7,
    "model_asset_texture_images": 7,
    "seed": _INFINITE_SEED,
    "apiCreditCost": HUGE_NUMBER,
    "status": 1,
    "modelFields": 42,
    "fields": 42,
    "apiSubscriptionTokens": "10000",
}


def _walk(value: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    """Call ``visit`` on every JSON object in ``value``, parents before children."""
    if isinstance(value, dict):
        visit(value)
        for child in list(value.values()):
            _walk(child, visit)
    elif isinstance(value, list):
        for child in value:
            _walk(child, visit)


def _add_path_types(node: dict[str, Any]) -> None:
    images = node.get("model_asset_texture_images")
    if not isinstance(images, list) or not images or not isinstance(images[0], dict):
        return
    url = images[0].get("url")
    images.extend({"id": str(uuid.uuid4()), "type": kind, "url": url} for kind in HOSTILE_TYPES)


def _drop_albedo(node: dict[str, Any]) -> None:
    images = node.get("model_asset_texture_images")
    if isinstance(images, list):
        images[:] = [image for image in images if not (isinstance(image, dict) and image.get("type") == "ALBEDO")]


def _file_urls(node: dict[str, Any]) -> None:
    for image in node.get("model_asset_texture_images") or ():
        if isinstance(image, dict) and "url" in image:
            image["url"] = FILE_URL


def _replace_ids(ids: Iterator[str]) -> Callable[[dict[str, Any]], None]:
    def visit(node: dict[str, Any]) -> None:
        for key in list(node):  # in the answer's own key order, so the ids are reproducible
            if key in ID_KEYS and isinstance(node[key], str):
                node[key] = next(ids)

    return visit


def _wrong_types(node: dict[str, Any]) -> None:
    for key in _WRONG_TYPE_VALUES.keys() & node.keys():
        node[key] = _WRONG_TYPE_VALUES[key]


class Hostility:
    """Turns one successful API answer into its hostile form (or plain JSON when no mode is on)."""

    def __init__(self, modes: frozenset[str], json_bytes: int) -> None:
        self.modes = modes
        self.json_bytes = json_bytes

    def encode(self, method: str, payload: Any) -> bytes:
        """The body bytes of a 200 answer to ``method`` whose honest JSON value is ``payload``."""
        if not self.modes:
            return json.dumps(payload).encode()
        if PATH_TYPES in self.modes:
            _walk(payload, _add_path_types)
        if PATH_IDS in self.modes:
            _walk(payload, _replace_ids(itertools.cycle(HOSTILE_IDS)))
        if WRONG_TYPES in self.modes:
            _walk(payload, _wrong_types)
        if MISSING_ALBEDO in self.modes:
            _walk(payload, _drop_albedo)
        if FILE_URLS in self.modes:
            _walk(payload, _file_urls)
        text = json.dumps(payload).replace(json.dumps(_INFINITE_SEED), "1e999")
        if HUGE_JSON in self.modes and method == "GET" and isinstance(payload, dict):
            text = _padded(text, self.json_bytes)
        return text.encode()


def _padded(text: str, size: int) -> str:
    """``text`` (a JSON object) with an extra string member that makes it at least ``size`` bytes."""
    member = f'"{PADDING_KEY}": ""'
    missing = max(0, size - len(text) - len(member) - 2)
    opening = "{" if text == "{}" else text[:-1] + ", "
    return f'{opening}"{PADDING_KEY}": "{"x" * missing}"}}'
