"""Bring records of older schema versions up to the current one, so old sessions replay.

Schema 2 writes each text once: an attempt's answer in its deltas (or `attempt_ended`), its
prompt in `attempt_started`; the `awaiting`, `attempt`, `step_finished` and `run` records leave
them out or refer to the attempt (escalatui/session/resolve.py). A schema-1 record holds every
text itself, which schema 2 allows too, so it only has to say what schema 1 left to a default:
an `attempt` record without `prompt` had an empty prompt (schema 2 would take the prompt of its
`attempt_started`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CURRENT = 2


def _from_schema_1(record: dict[str, Any]) -> dict[str, Any]:
    if record.get("type") == "attempt" and "prompt" not in record:
        return {**record, "prompt": ""}
    return record


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_schema_1}


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
