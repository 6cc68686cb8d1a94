"""When a task fails the schema, stand in for what failed so the semantic checks still run on
the rest: `validate` then reports every error at once, not schema errors first and the
semantic ones (unknown model, bad regex, unknown placeholder) only after they are fixed."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from escalatui.config.models import CHECK_KINDS, ModelSpec, Step, Task

Loc = list[str | int]
# Stand-ins with no semantic problems of their own.
_MODEL: dict[str, Any] = {"provider": "sim", "responses": [""]}
_CHECK: dict[str, Any] = {"kind": "contains", "text": ""}
# Top-level fields whose removal would make other parts look wrong (every step would have an
# empty chain, every chain unknown models): give up on semantic checks instead.
_LOAD_BEARING = ("chain", "models", "steps")


def clean_loc(err: ErrorDetails) -> Loc:
    """The error's location without the tag a discriminated union inserts (checks.0.regex.x)."""
    loc = list(err["loc"])
    return [
        p
        for i, p in enumerate(loc)
        if not (i >= 2 and loc[i - 2] == "checks" and isinstance(loc[i - 1], int))
        or p not in CHECK_KINDS
    ]


def partial_task(data: Any, exc: ValidationError) -> tuple[Task, set[str]] | None:
    """The task with stand-ins for what failed, and the dotted paths stood in for (semantic
    problems under them are not worth reporting); None when too much is wrong to go on."""
    if not isinstance(data, dict):
        return None
    data = copy.deepcopy(data)
    replaced: set[str] = set()
    step_names: dict[int, str] = {}
    for err in exc.errors():
        loc = clean_loc(err)
        head = loc[0] if loc else None
        if head == "steps" and len(loc) >= 2 and isinstance(data.get("steps"), list):
            i = loc[1]
            if f"steps.{i}" in replaced:
                continue
            step = data["steps"][i]
            if len(loc) >= 4 and loc[2] == "checks" and isinstance(loc[3], int):
                step["checks"][loc[3]] = dict(_CHECK)
                replaced.add(f"steps.{i}.checks.{loc[3]}")
            elif _drop_field(step, loc[2:3], Step, err):
                replaced.add(f"steps.{i}.{loc[2]}")
            else:
                if isinstance(step, dict) and isinstance(step.get("name"), str):
                    step_names[int(i)] = step["name"]
                data["steps"][i] = {"name": f"_step{i}", "prompt": ""}
                replaced.add(f"steps.{i}")
        elif head == "models" and len(loc) >= 2 and isinstance(data.get("models"), dict):
            name = loc[1]
            if f"models.{name}" in replaced:
                continue
            if _drop_field(data["models"][name], loc[2:3], ModelSpec, err):
                replaced.add(f"models.{name}.{loc[2]}")
            else:
                data["models"][name] = dict(_MODEL)
                replaced.add(f"models.{name}")
        elif head is None or head in _LOAD_BEARING:
            return None
        elif head == "name":
            data["name"] = "?"
        elif not _drop_field(data, loc[:1], Task, err):
            return None
    try:
        task = Task.model_validate(data)
    except ValidationError:
        return None
    # Invalid step names are put back so `{steps.NAME}` references to them are not reported.
    steps = [
        s.model_copy(update={"name": step_names[i]}) if i in step_names else s
        for i, s in enumerate(task.steps)
    ]
    return task.model_copy(update={"steps": steps}), replaced


def _drop_field(item: Any, field: Loc, model: type[BaseModel], err: ErrorDetails) -> bool:
    """Remove an unknown key, or a bad value that has a default; False when the item itself or
    a required field is wrong (the caller stands in for the whole item)."""
    if not isinstance(item, dict) or not field:
        return False
    key = field[0]
    known = model.model_fields.get(str(key))
    if err["type"] == "extra_forbidden" or (known is not None and not known.is_required()):
        item.pop(key, None)
        return True
    return False


def under(where: str, replaced: set[str]) -> bool:
    """Whether `where` is one of the paths stood in for, or inside one."""
    return any(where == r or where.startswith(r + ".") for r in replaced)
