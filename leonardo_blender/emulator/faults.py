"""Fault injection: :class:`FaultRule` describes one fault, :class:`FaultSet` holds and consumes them."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, fields
from typing import Any

from .http.routing import route_matches, split_pattern

KINDS = ("latency", "status", "drop", "failed_job", "corrupt_image", "oversized_image")

PHASE_BEFORE = "before"  # latency, and status/drop without after_processing
PHASE_AFTER = "after"  # status/drop with after_processing: the request was processed, the answer is lost
PHASE_JOB = "job"  # failed_job: consulted when a job is created
PHASE_CONTENT = "content"  # corrupt_image, oversized_image: consulted when the CDN serves a file


@dataclass(frozen=True)
class FaultRule:
    """One injected fault.

    ``route`` is a route pattern ``"METHOD template"`` (see :mod:`.http.routing`):

    * API routes use the template below ``/api/rest/v1``: ``"POST /generations-texture"``,
      ``"GET /generations-texture/{id}"``, ``"GET /generations-texture/*"`` (glob).
    * The upload ("S3") host: ``"POST upload"`` (every upload), ``"POST upload/model"``,
      ``"POST upload/init-image"``.
    * The CDN host: ``"GET cdn"`` (every download), ``"GET cdn/textures"`` (texture maps),
      ``"GET cdn/textures/albedo.jpg"``, ``"GET cdn/*/normal.jpg"``; categories are ``models``,
      ``textures``, ``generations``, ``variations``, ``init-images``. ``"/cdn"``/``"/upload"`` also work.
    * ``"* *"`` (or ``"*"``) matches every request on every host.

    ``kind``:

    * ``latency``: sleep ``seconds``, then serve normally.
    * ``status``: answer ``status`` (Hasura JSON body on the API, S3 XML on upload/CDN; ``message``
      overrides the text), with ``Retry-After: retry_after`` when given.
    * ``drop``: close the TCP connection without sending any response.
    * ``failed_job``: the next job created on a matching create route ends ``FAILED``.
    * ``corrupt_image``: matching CDN downloads serve undecodable bytes.
    * ``oversized_image``: matching CDN downloads serve the file padded with zeros to
      ``OVERSIZED_BYTES`` (257 MiB, just over the add-on's 256 MiB cap on a map).

    With ``after_processing=True`` a ``status``/``drop`` fault lets the request be processed first (the
    paid job IS created, the upload IS stored) and then sends the error or drops the connection instead
    of the real answer: the "response lost" case. ``times`` is how many matching requests (or jobs, or
    downloads) the rule applies to; ``-1`` means forever.
    """

    route: str
    kind: str
    times: int = 1
    status: int | None = None
    retry_after: float | None = None
    seconds: float | None = None
    after_processing: bool = False
    message: str | None = None

    def __post_init__(self) -> None:
        split_pattern(self.route)  # raises ValueError for a malformed route
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if not isinstance(self.times, int) or isinstance(self.times, bool) or (self.times < 1 and self.times != -1):
            raise ValueError("times must be a positive integer or -1 (forever)")
        if self.kind == "status" and (
            not isinstance(self.status, int) or isinstance(self.status, bool) or not 100 <= self.status <= 599
        ):
            raise ValueError("a 'status' fault needs status=<100..599>")
        if self.kind == "latency" and (self.seconds is None or self.seconds < 0):
            raise ValueError("a 'latency' fault needs seconds=<non-negative number>")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("retry_after must be >= 0")
        if self.after_processing and self.kind not in ("status", "drop"):
            raise ValueError("after_processing only applies to 'status' and 'drop' faults")

    @property
    def phase(self) -> str:
        if self.kind == "failed_job":
            return PHASE_JOB
        if self.kind in ("corrupt_image", "oversized_image"):
            return PHASE_CONTENT
        if self.kind in ("status", "drop") and self.after_processing:
            return PHASE_AFTER
        return PHASE_BEFORE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        """Build a rule from JSON (the control route); unknown keys raise ValueError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown FaultRule fields: {', '.join(unknown)}")
        if "route" not in data or "kind" not in data:
            raise ValueError("a fault needs 'route' and 'kind'")
        return cls(**data)


_POSITIONAL = {"status": "status", "latency": "seconds"}
_NUMBER_FIELDS = {"times": int, "status": int, "retry_after": float, "seconds": float}


def parse_fault_spec(spec: str) -> FaultRule:
    """Parse the CLI form ``ROUTE:KIND[:ARG...]``.

    Each ARG is ``name=value`` (``times``, ``status``, ``retry_after``, ``seconds``, ``after_processing``,
    ``message``; ``message=`` takes the rest of the spec, colons included) or, once, a bare value for the
    kind's main parameter (``status`` for ``status``, ``seconds`` for ``latency``). Examples::

        "POST /generations-texture:status:429:retry_after=1:times=2"
        "GET /generations-texture/{id}:latency:0.5"
        "POST /generations-texture:drop:after_processing=true"
        "GET cdn/textures:corrupt_image:times=-1"
    """
    parts = spec.split(":")
    if len(parts) < 2:
        raise ValueError(f"fault {spec!r} must look like ROUTE:KIND[:ARG...]")
    route, kind, args = parts[0], parts[1].strip(), parts[2:]
    values: dict[str, Any] = {"route": route, "kind": kind}
    positional_used = False
    for index, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        if not eq:
            if positional_used or kind not in _POSITIONAL:
                raise ValueError(f"unexpected bare argument {arg!r} in fault {spec!r}")
            name, value, positional_used = _POSITIONAL[kind], arg, True
        name = name.strip()
        if name == "message":
            values["message"] = ":".join([value, *args[index + 1 :]])
            break
        if name == "after_processing":
            values[name] = value.strip().lower() in ("1", "true", "yes", "on")
        elif name in _NUMBER_FIELDS:
            values[name] = _NUMBER_FIELDS[name](value)
        else:
            raise ValueError(f"unknown fault argument {name!r} in {spec!r}")
    return FaultRule(**values)


class FaultSet:
    """The active fault rules of one emulator (thread-safe). Matching rules are consumed in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[list[Any]] = []  # [rule, remaining]

    def add(self, rule: FaultRule) -> FaultRule:
        if not isinstance(rule, FaultRule):
            raise TypeError("add() takes a FaultRule")
        with self._lock:
            self._rules.append([rule, rule.times])
        return rule

    def clear(self) -> int:
        """Remove every rule; returns how many were active."""
        with self._lock:
            count = len(self._rules)
            self._rules.clear()
            return count

    def active(self) -> list[tuple[FaultRule, int]]:
        """``(rule, remaining)`` pairs, ``remaining`` being -1 for rules that never run out."""
        with self._lock:
            return [(rule, remaining) for rule, remaining in self._rules]

    def __len__(self) -> int:
        with self._lock:
            return len(self._rules)

    def take(self, phase: str, route_key: str) -> list[FaultRule]:
        """Consume and return the rules of ``phase`` that match ``route_key``.

        Every matching ``latency`` rule is returned; of the other kinds only the first match is taken
        (one answer can only fail in one way).
        """
        taken: list[FaultRule] = []
        with self._lock:
            terminal_taken = False
            for entry in self._rules:
                rule, remaining = entry
                if rule.phase != phase or not route_matches(rule.route, route_key):
                    continue
                if rule.kind != "latency":
                    if terminal_taken:
                        continue
                    terminal_taken = True
                taken.append(rule)
                if remaining > 0:
                    entry[1] = remaining - 1
            self._rules = [entry for entry in self._rules if entry[1] != 0]
        return taken

    def take_one(self, phase: str, route_key: str) -> FaultRule | None:
        """Consume the first non-latency rule of ``phase`` matching ``route_key``."""
        for rule in self.take(phase, route_key):
            if rule.kind != "latency":
                return rule
        return None


def apply_latency(rules: list[FaultRule]) -> FaultRule | None:
    """Sleep for every ``latency`` rule taken; return the status/drop rule to answer with, if any."""
    for rule in rules:
        if rule.kind == "latency":
            time.sleep(rule.seconds or 0.0)
    return next((rule for rule in rules if rule.kind != "latency"), None)
