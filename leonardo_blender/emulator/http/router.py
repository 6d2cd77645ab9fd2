"""API route table: which handler serves ``METHOD /template`` and with which variable schema."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..context import AppContext
from .messages import Request
from .routing import template_regex
from .schemas import Schema


@dataclass(frozen=True)
class Call:
    """One validated API call as a handler sees it."""

    args: dict[str, Any]
    request: Request
    route_key: str


Handler = Callable[[AppContext, Call], Any]


@dataclass(frozen=True)
class Route:
    """``rate_limited`` marks the create routes that have their own per-minute limit."""

    method: str
    template: str
    schema: Schema
    handler: Handler
    rate_limited: bool = False

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes = [(route, template_regex(route.template)) for route in routes]

    @property
    def routes(self) -> list[Route]:
        return [route for route, _ in self._routes]

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """``(route, path params, path_known)``; route None with path_known True means wrong method."""
        path_known = False
        for route, regex in self._routes:
            found = regex.match(path)
            if found is None:
                continue
            path_known = True
            if route.method == method:
                return route, found.groupdict(), True
        return None, {}, path_known
