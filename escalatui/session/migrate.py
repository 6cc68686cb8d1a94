"""Bring records of older schema versions up to the current one, so old sessions replay.

Schema 1 is the first released schema, so MIGRATIONS is empty. When schema 2 comes, add
`MIGRATIONS[1] = function(record) -> record` that turns a schema-1 record into schema 2.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CURRENT = 1
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def migrate(record: dict[str, Any], schema: int | None) -> dict[str, Any]:
    """The record as schema CURRENT would write it; ValueError for a schema it cannot read."""
    version = CURRENT if schema is None else schema
    if version > CURRENT:
        raise ValueError(
            f"schema {version} is newer than this escalatui reads ({CURRENT}); upgrade escalatui"
        )
    while version < CURRENT:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ValueError(f"schema {version} is not supported")
        record = step(record)
        version += 1
    return record
