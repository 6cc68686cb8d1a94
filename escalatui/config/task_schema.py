"""The JSON Schema of task files, for editors (`escalatui schema`; see docs/reference.md,
"Editor support"). Generated from the same pydantic models that validate the files."""

from __future__ import annotations

from typing import Any

from escalatui import __version__
from escalatui.config.models import Task

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def task_json_schema() -> dict[str, Any]:
    """The schema: keys by their TOML names (`schema`, not `json_schema`), descriptions from the
    field docstrings, enums from the Literal types, no unknown keys anywhere."""
    schema = Task.model_json_schema(by_alias=True, mode="validation")
    schema["title"] = "escalatui task file"
    schema["description"] = (
        f"A task file for escalatui {__version__}: models, a chain cheapest first, steps and "
        "their checks. Reference: docs/reference.md in the escalatui repository."
    )
    return {"$schema": DIALECT, **_for_toml(schema)}


def _for_toml(node: Any) -> Any:
    """TOML has no null: an optional key is one that may be left out, so `anyOf [X, null]`
    becomes X and `default: null` goes. Docstring line breaks become spaces."""
    if isinstance(node, list):
        return [_for_toml(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _for_toml(v) for k, v in node.items()}
    options = out.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1:
            del out["anyOf"]
            out = {**kept[0], **out}
        else:
            out["anyOf"] = kept
    if "default" in out and out["default"] is None:
        del out["default"]
    if isinstance(out.get("description"), str):
        out["description"] = " ".join(out["description"].split())
    return out
