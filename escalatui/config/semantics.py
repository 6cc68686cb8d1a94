"""Checks a schema cannot express: names that must exist, regexes, placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from escalatui.config.errors import Problem
from escalatui.config.models import CheckModel, ModelSpec, Task
from escalatui.config.template import TemplateError, parse

# Provider facts the loader needs without importing the clients (config sits below them).
# They copy the client classes' `needs_base_url` and `needs_model`; tests/clients/test_registry.py
# fails when the two drift apart.
NEEDS_BASE_URL = frozenset({"openai", "llama-swap"})
NEEDS_MODEL = frozenset({"openai", "openrouter", "ollama", "llama-swap", "lmstudio"})


def semantic_problems(task: Task, base_dir: Path) -> list[Problem]:
    """Everything that would make the task fail before any model is called."""
    problems: list[Problem] = []
    for name, spec in task.models.items():
        problems += model_problems(f"models.{name}", spec, base_dir)
    # The task's chain is reported once, not again for every step that uses it.
    problems += _chain_problems("chain", task.chain or [], task)
    seen: set[str] = set()
    for i, step in enumerate(task.steps):
        where = f"steps.{i}"
        if step.name in seen:
            problems.append(Problem(f"{where}.name", f"duplicate step name '{step.name}'"))
        if not task.chain_for(step):
            problems.append(
                Problem(
                    f"{where}.chain", "empty chain: give the step or the task at least one model"
                )
            )
        if step.chain is not None:
            problems += _chain_problems(f"{where}.chain", step.chain, task)
        problems += _placeholder_problems(f"{where}.prompt", step.prompt, i, seen)
        for j, check in enumerate(step.checks):
            problems += _check_problems(f"{where}.checks.{j}", check, task)
        seen.add(step.name)
    try:
        names = set(parse(task.feedback_template).placeholders)
        for bad in sorted(names - {"feedback", "answer"}):
            problems.append(
                Problem(
                    "feedback_template",
                    f"unknown placeholder '{{{bad}}}' (known: {{feedback}}, {{answer}})",
                )
            )
    except TemplateError as exc:
        problems.append(Problem("feedback_template", str(exc)))
    return problems


def _names(task: Task) -> str:
    return ", ".join(sorted(task.models)) or "none"


def _chain_problems(where: str, chain: list[str], task: Task) -> list[Problem]:
    return [
        Problem(where, f"unknown model '{model}' (defined: {_names(task)})")
        for model in chain
        if model not in task.models
    ]


def _placeholder_problems(where: str, text: str, index: int, earlier: set[str]) -> list[Problem]:
    try:
        names = parse(text).placeholders
    except TemplateError as exc:
        return [Problem(where, str(exc))]
    problems = []
    for name in names:
        if name == "input":
            continue
        if name == "previous":
            if index == 0:
                problems.append(
                    Problem(where, "{previous} in the first step: there is no previous step")
                )
            continue
        if name.startswith("item.") and len(name) > len("item."):
            continue  # a batch item's field: checked against the inputs file by `batch`
        if name.startswith("steps."):
            ref = name.removeprefix("steps.")
            if ref not in earlier:
                problems.append(Problem(where, f"{{{name}}}: no earlier step named '{ref}'"))
            continue
        problems.append(
            Problem(
                where,
                f"unknown placeholder '{{{name}}}' (known: {{input}}, "
                "{previous}, {steps.NAME}, {item.KEY}; write {{ }} for literal braces)",
            )
        )
    return problems


def _check_problems(where: str, check: CheckModel, task: Task) -> list[Problem]:
    return [Problem(f"{where}.{key}", message) for key, message in check.problems(task.models)]


def model_problems(where: str, spec: ModelSpec, base_dir: Path) -> list[Problem]:
    """What would stop a model from being called: missing base_url or id, no sim answers..."""
    problems = []
    if spec.provider in NEEDS_BASE_URL and not spec.base_url:
        problems.append(
            Problem(f"{where}.base_url", f"provider '{spec.provider}' needs a base_url")
        )
    if spec.provider in NEEDS_MODEL and not spec.model:
        problems.append(Problem(f"{where}.model", "required: the provider's model id"))
    if spec.provider == "sim" and not (spec.responses or spec.respond):
        problems.append(Problem(where, "a sim model needs `responses` or `respond`"))
    if spec.respond and not re.fullmatch(r"[\w.]+:\w+", spec.respond):
        problems.append(Problem(f"{where}.respond", "expected 'module:function'"))
    if spec.provider == "embedded" and spec.model:
        gguf = Path(spec.model).expanduser()
        if not gguf.is_absolute():
            gguf = (base_dir / gguf).absolute()
        if not gguf.is_file():
            problems.append(Problem(f"{where}.model", f"GGUF file not found: {gguf}"))
    if spec.base_url and not re.match(r"https?://", spec.base_url):
        problems.append(Problem(f"{where}.base_url", "must start with http:// or https://"))
    return problems
