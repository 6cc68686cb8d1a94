"""Load task files and the user config, reporting every problem at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from escalatui.config.errors import ConfigError, Problem
from escalatui.config.lines import key_lines, line_of
from escalatui.config.models import CHECK_KINDS, ModelSpec, Task, UserConfig
from escalatui.config.partial import clean_loc, partial_task, under
from escalatui.config.reading import read_toml_text
from escalatui.config.semantics import model_problems, semantic_problems
from escalatui.config.suggest import did_you_mean, keys_of, literal_values, model_at

__all__ = ["LoadedTask", "load_task", "load_user_config", "validation_problems"]

_KINDS = ", ".join(CHECK_KINDS)
_TABLE_ERRORS = ("dict_type", "model_type", "model_attributes_type")


@dataclass(frozen=True)
class LoadedTask:
    """A validated task with the user config's models merged in (the task's own win)."""

    path: Path
    task: Task


def validation_problems(
    exc: ValidationError, text: str = "", root: type[BaseModel] = Task
) -> list[Problem]:
    """Pydantic errors as dotted paths (`steps.1.checks.0.pattern`), unknown keys by name (with
    the known key they most likely meant), each with the file line it points at when `text`
    (the file) shows it."""
    lines = key_lines(text)
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in clean_loc(err)]
        where = ".".join(loc) or "(top level)"
        kind = err["type"]
        if kind == "extra_forbidden":
            where = ".".join(loc[:-1]) or "(top level)"
            table = model_at(err["loc"][:-1], root)
            message = f"unknown key '{loc[-1]}'"
            message += did_you_mean(loc[-1], keys_of(table)) if table else ""
        elif kind == "literal_error" and loc and isinstance(err.get("input"), str):
            message = err["msg"]
            values = literal_values(model_at(err["loc"][:-1], root), loc[-1])
            message += did_you_mean(err["input"], values)
        elif kind == "missing":
            message = "required key is missing"
        elif kind == "union_tag_not_found":
            message = f"required key 'kind' is missing (one of: {_KINDS})"
        elif kind == "union_tag_invalid":
            message = f"unknown check kind '{(err.get('ctx') or {}).get('tag', '?')}' "
            message += f"(one of: {_KINDS})"
            message += did_you_mean(str((err.get("ctx") or {}).get("tag", "")), CHECK_KINDS)
        elif kind in _TABLE_ERRORS:
            message = "expected a table"
        else:
            message = err["msg"]
        problems.append(Problem(where, message, line_of(loc, lines)))
    return problems


def _with_lines(problems: list[Problem], text: str) -> list[Problem]:
    """Semantic problems with the line their dotted path points at."""
    lines = key_lines(text)
    return [
        Problem(p.where, p.message, p.line or line_of(p.where.split("."), lines)) for p in problems
    ]


def load_user_config(path: Path) -> UserConfig:
    """The user config, or an empty one when the file does not exist. Its models are checked
    here, against its own directory, so a broken shared model names this file."""
    if not path.exists():
        return UserConfig()
    data, text = read_toml_text(path)
    try:
        user = UserConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(path, validation_problems(exc, text, UserConfig)) from None
    problems = []
    for name, spec in user.models.items():
        problems += model_problems(f"models.{name}", spec, path.parent)
    if problems:
        raise ConfigError(path, _with_lines(problems, text))
    return user.model_copy(update={"models": _absolute_gguf_paths(user.models, path.parent)})


def load_task(path: Path | str, user: UserConfig | None = None) -> LoadedTask:
    """Read, validate and resolve a task file; raise ConfigError listing every problem: schema
    errors and, beside them, the semantic errors of the parts that did validate."""
    path = Path(path)
    data, text = read_toml_text(path)
    try:
        task = Task.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc, text)
        partial = partial_task(data, exc)
        if partial is not None:
            stand_in, replaced = partial
            semantic = semantic_problems(_merged(stand_in, user), base_dir=path.parent)
            problems += _with_lines([p for p in semantic if not under(p.where, replaced)], text)
        raise ConfigError(path, problems) from None
    task = _merged(task, user)
    problems = semantic_problems(task, base_dir=path.parent)
    if problems:
        raise ConfigError(path, _with_lines(problems, text))
    models = _absolute_gguf_paths(task.models, path.parent)
    return LoadedTask(path=path, task=task.model_copy(update={"models": models}))


def _merged(task: Task, user: UserConfig | None) -> Task:
    """The user config's models added to the task's (the task's own win)."""
    if not user or not user.models:
        return task
    return task.model_copy(update={"models": {**user.models, **task.models}})


def _absolute_gguf_paths(specs: dict[str, ModelSpec], base_dir: Path) -> dict[str, ModelSpec]:
    """Embedded GGUF paths are relative to the file that names them; make them absolute once."""
    models = {}
    for name, spec in specs.items():
        if spec.provider == "embedded" and spec.model:
            gguf = Path(spec.model).expanduser()
            gguf = gguf if gguf.is_absolute() else (base_dir / gguf).resolve()
            spec = spec.model_copy(update={"model": str(gguf)})
        models[name] = spec
    return models
