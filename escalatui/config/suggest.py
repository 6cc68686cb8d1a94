""" "did you mean `retries`?": the known name closest to a misspelt key, check kind or value."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any, get_args

from pydantic import BaseModel

from escalatui.config.models import (
    CHECK_KINDS,
    CHECK_MODELS,
    ModelSpec,
    Step,
    Task,
    UserConfig,
)


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known name a typo most likely meant, or None when nothing is close."""
    found = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    if not found and word.lower() in {k.lower() for k in known}:
        found = [k for k in known if k.lower() == word.lower()]
    return found[0] if found else None


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """` (did you mean `x`?)`, or nothing."""
    match = closest(word, known)
    return f"; did you mean `{match}`?" if match else ""


def keys_of(model: type[BaseModel]) -> list[str]:
    """The keys a file may write for a model (aliases, such as `schema`, as written)."""
    return [field.alias or name for name, field in model.model_fields.items()]


def model_at(loc: Sequence[Any], root: type[BaseModel] = Task) -> type[BaseModel] | None:
    """The model of the table at a pydantic error location (with the check-kind tag that a
    discriminated union puts in it: `steps.0.checks.1.regex`)."""
    model: type[BaseModel] | None = root
    i = 0
    while i < len(loc) and model is not None:
        part = loc[i]
        if part == "models" and model in (Task, UserConfig):
            model, i = ModelSpec, i + 2
        elif part == "steps" and model is Task:
            model, i = Step, i + 2
        elif part == "checks" and model is Step:
            kind = loc[i + 2] if i + 2 < len(loc) else None
            model, i = CHECK_MODELS.get(str(kind)), i + 3
        else:
            return None
    return model


def literal_values(model: type[BaseModel] | None, key: str) -> list[str]:
    """The allowed values of an enum-like key (`provider`, `approval`), else none."""
    field = model.model_fields.get(key) if model else None
    if field is None:
        return []
    values = get_args(field.annotation)
    nested = [a for v in values for a in get_args(v)]  # `Approval | None`
    return [v for v in values + tuple(nested) if isinstance(v, str)]


__all__ = ["CHECK_KINDS", "closest", "did_you_mean", "keys_of", "literal_values", "model_at"]
