"""The key tables of docs/reference.md, generated from the pydantic models, so every key is
documented with the type, default and description it really has.

`python -m escalatui.config.reference docs/reference.md` rewrites the generated blocks of that
file in place (between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`); `--check`
only says whether they are current. Everything outside the blocks is hand-written prose.
"""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt, MinLen
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from escalatui.config.models import (
    CHECK_MODELS,
    ModelSpec,
    Provider,
    Step,
    Task,
    UserConfig,
)

# Every table of the reference: block name -> the model whose keys it lists.
TABLES: dict[str, type[BaseModel]] = {
    "task": Task,
    "step": Step,
    "model": ModelSpec,
    **{f"check-{kind}": model for kind, model in CHECK_MODELS.items()},
    "user-config": UserConfig,
}

# What each provider needs and assumes. A new provider in the `Provider` enum has no row here,
# and generating the reference fails until it gets one.
PROVIDER_FACTS: dict[str, tuple[str, str, str]] = {
    # provider: (base_url default, `model`, key)
    "embedded": (
        "in-process llama.cpp on 127.0.0.1",
        "a GGUF path (default SmolLM2-135M)",
        "none",
    ),
    "openai": ("required (`/v1` optional)", "required", "`OPENAI_API_KEY` for api.openai.com"),
    "openrouter": ("`https://openrouter.ai/api/v1`", "required", "`OPENROUTER_API_KEY` (required)"),
    "ollama": ("`http://127.0.0.1:11434`", "required", "none"),
    "llama-swap": ("required", "required", "none"),
    "lmstudio": ("`http://127.0.0.1:1234`", "required", "none"),
    "sim": ("none (built in)", "optional", "none"),
}

_BLOCK = re.compile(r"(<!-- generated:([\w-]+) -->\n)(.*?)(<!-- /generated:\2 -->)", re.S)
_LONG_DEFAULT = 40


def type_name(annotation: Any) -> str:
    """A TOML-flavoured name for a field's type (`string`, `array of strings`, ...)."""
    origin = get_origin(annotation)
    args = [a for a in get_args(annotation) if a is not type(None)]
    if origin in (Union, types.UnionType):
        return " or ".join(type_name(a) for a in args)
    if origin is Literal:
        return " | ".join(f'`"{a}"`' for a in get_args(annotation))
    if origin is list:
        item = args[0]
        if isinstance(item, type) and issubclass(item, BaseModel) or get_origin(item) is not None:
            return "array of tables"
        return f"array of {_plural(type_name(item))}"
    if origin is dict:
        value = args[1]
        if isinstance(value, type) and issubclass(value, BaseModel):
            return "table of tables, one per name"
        return f"table of {_plural(type_name(value))}" if value is not Any else "table"
    if annotation is SecretStr:
        return "string (secret)"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    names = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if annotation in names:
        return names[annotation]
    # A discriminated union of checks (Annotated[Union[...], Field(...)]).
    return "table"


def _plural(name: str) -> str:
    return {"string": "strings", "integer": "integers", "number": "numbers"}.get(name, name)


def default_text(field: FieldInfo) -> str:
    """The default as it would be written in TOML, `required`, or `unset`."""
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    else:
        value = field.default
    if value is None:
        return "unset"
    if isinstance(value, dict) and not value:
        return "`{}` (none)"
    if isinstance(value, list) and not value:
        return "`[]` (none)"
    text = json.dumps(value)
    if len(text) > _LONG_DEFAULT:
        return "see below"
    return f"`{text}`"


def limits_text(field: FieldInfo) -> str:
    """Bounds on the value (`≥ 0`, `≤ 20`, at least 1 item) and a pattern, if any."""
    parts = []
    for m in field.metadata:
        if isinstance(m, Ge):
            parts.append(f"≥ {m.ge}")
        elif isinstance(m, Gt):
            parts.append(f"> {m.gt}")
        elif isinstance(m, Le):
            parts.append(f"≤ {m.le}")
        elif isinstance(m, Lt):
            parts.append(f"< {m.lt}")
        elif isinstance(m, MinLen):
            parts.append(f"at least {m.min_length}")
        elif getattr(m, "pattern", None):
            parts.append(f"matches `{m.pattern}`")
    return ", ".join(parts)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def key_table(model: type[BaseModel]) -> str:
    """A markdown table of a model's keys: key, type, default, meaning."""
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        key = field.alias or name
        kind = type_name(field.annotation)
        limits = limits_text(field)
        if limits:
            kind += f" ({limits})"
        meaning = field.description or ""
        rows.append(
            f"| `{key}` | {_cell(kind)} | {_cell(default_text(field))} | {_cell(meaning)} |"
        )
    return "\n".join(rows) + "\n"


def provider_table() -> str:
    """One row per provider: its base_url default, `model`, key, and the keys only it reads."""
    rows = [
        "| provider | `base_url` | `model` | API key | keys only it reads |",
        "|---|---|---|---|---|",
    ]
    for provider in get_args(Provider):
        base_url, model, key = PROVIDER_FACTS[provider]
        own = [
            f"`{name}`"
            for name, field in ModelSpec.model_fields.items()
            if (field.description or "").lower().startswith(provider + ":")
        ]
        rows.append(f"| `{provider}` | {base_url} | {model} | {key} | {', '.join(own) or '—'} |")
    return "\n".join(rows) + "\n"


def blocks() -> dict[str, str]:
    """Every generated block, by name."""
    found = {name: key_table(model) for name, model in TABLES.items()}
    found["providers"] = provider_table()
    return found


def render(text: str) -> str:
    """`text` (docs/reference.md) with every generated block replaced by its current content."""
    generated = blocks()

    def fill(m: re.Match[str]) -> str:
        name = m.group(2)
        if name not in generated:
            raise KeyError(f"docs/reference.md names an unknown generated block '{name}'")
        return m.group(1) + generated[name] + m.group(4)

    return _BLOCK.sub(fill, text)


def main(argv: list[str]) -> int:
    """Rewrite (or with `--check`, compare) the generated blocks of the given file."""
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"] or ["docs/reference.md"]
    stale = 0
    for name in paths:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if new == text:
            continue
        if check:
            stale += 1
            print(f"{path}: generated key tables are out of date", file=sys.stderr)
        else:
            path.write_text(new, encoding="utf-8")
            print(f"{path}: updated")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
