"""``--shard i/n``: split one batch over n machines with no overlap and no gap, whatever the order.

A work item is (file name, object name). It belongs to shard ``k`` (1-based) when
``int(sha256(file name + "\\0" + object name), 16) % n == k - 1``. The file *name* (not its folder) is
used so that machines that mount the same files at different paths still agree. Each item lands in
exactly one of the n shards, independently of the other items and of the order they are listed in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, file_name: str, object_name: str) -> bool:
        return shard_of(file_name, object_name, self.count) == self.index


ALL = Shard(1, 1)


def parse_shard(spec: str) -> Shard:
    """``"2/8"`` -> ``Shard(2, 8)``; ``ValueError`` with the reason for anything else."""
    match = _SPEC.match(spec or "")
    if not match:
        raise ValueError(f"{spec!r} is not of the form i/n (for example 2/8)")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1:
        raise ValueError(f"{spec!r}: n must be at least 1")
    if not 1 <= index <= count:
        raise ValueError(f"{spec!r}: i must be from 1 to {count} (shards are numbered from 1)")
    return Shard(index, count)


def shard_of(file_name: str, object_name: str, count: int) -> int:
    """The 1-based shard that (file name, object name) belongs to among ``count`` shards."""
    digest = hashlib.sha256(f"{file_name}\0{object_name}".encode()).hexdigest()
    return int(digest, 16) % count + 1


def select(shard: Shard, file_name: str, object_names: Iterable[str]) -> list[str]:
    """The object names of ``file_name`` that belong to ``shard``, sorted."""
    return [name for name in sorted(object_names) if shard.holds(file_name, name)]
