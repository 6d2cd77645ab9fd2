"""Route keys and route patterns shared by the router, the fault injector and the hit counters.

A *route key* names what a request hit: ``"<METHOD> <template>"``.

* API host: the template is the path below ``/api/rest/v1`` with ``{name}`` placeholders, e.g.
  ``"GET /generations-texture/{id}"``.
* Upload host: ``"POST upload/model"`` or ``"POST upload/init-image"`` (``"POST upload/unknown"`` for a
  path that is not one of the emulator's buckets).
* CDN host: ``"GET cdn/<category>/<file name>"``, category one of ``models``, ``textures``,
  ``generations``, ``variations``, ``init-images``; e.g. ``"GET cdn/textures/albedo.jpg"``.

A *route pattern* (``FaultRule.route``, ``Emulator.count``) matches keys: the method part is a method
or ``*``; the template part is matched exactly, as a shell glob (``/generations-texture/*``,
``cdn/*/albedo.jpg``, ``*``), or, for the ``upload``/``cdn`` pseudo templates only, as a prefix of whole
segments (``"GET cdn"`` matches every CDN download, ``"GET cdn/textures"`` every texture map).
``"/cdn..."`` and ``"/upload..."`` are accepted as spellings of ``"cdn..."`` / ``"upload..."``. The
pattern ``"*"`` alone means ``"* *"``.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

HOST_PREFIXES = ("upload", "cdn")


def split_pattern(pattern: str) -> tuple[str, str]:
    """``"GET /me"`` -> ``("GET", "/me")``; raises ValueError for a pattern without a method part."""
    text = pattern.strip()
    if text == "*":
        return "*", "*"
    method, sep, template = text.partition(" ")
    template = template.strip()
    if not sep or not method or not template:
        raise ValueError(f"route {pattern!r} must look like 'METHOD /template' (e.g. 'POST /generations-texture')")
    return method.upper(), normalize_template(template)


def normalize_template(template: str) -> str:
    """Map ``/cdn/...`` and ``/upload/...`` spellings onto the pseudo templates ``cdn/...``/``upload/...``."""
    for prefix in HOST_PREFIXES:
        if template == "/" + prefix or template.startswith("/" + prefix + "/"):
            return template[1:]
    return template


def route_matches(pattern: str, route_key: str) -> bool:
    """Whether a route pattern matches a route key (see the module docstring)."""
    try:
        want_method, want_template = split_pattern(pattern)
        method, template = split_pattern(route_key)
    except ValueError:
        return False
    if want_method != "*" and want_method != method:
        return False
    if want_template == template or fnmatchcase(template, want_template):
        return True
    is_host_template = want_template.split("/", 1)[0] in HOST_PREFIXES
    return is_host_template and template.startswith(want_template.rstrip("/") + "/")


def template_regex(template: str) -> re.Pattern[str]:
    """Compile ``/models-3d/{id}`` into a regex with one named group per placeholder."""
    parts = re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*\})", template)
    regex = "".join(
        f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") and part.endswith("}") else re.escape(part) for part in parts
    )
    return re.compile(f"^{regex}$")
