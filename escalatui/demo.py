"""The bundled demo: its task file, the check that verifies the arithmetic, and the simulated
strong model used when no OpenRouter key is set."""

from __future__ import annotations

import ast
import json
import operator
import os
import re
from typing import Any

from escalatui import paths
from escalatui.config import LoadedTask, load_task
from escalatui.engine.checks.text import extract_json

_OPS: dict[type, Any] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.USub: operator.neg,
}
_EXPR = re.compile(r"[-+*/().\d\s]+")


def evaluate(question: str) -> float | None:
    """The value of the arithmetic in a question ("What is 17 * 23?"), or None."""
    found = max(_EXPR.findall(question.replace("×", "*")), key=len, default="").strip()
    try:
        return _eval(ast.parse(found, mode="eval").body) if found else None
    except (SyntaxError, ValueError, ZeroDivisionError):
        return None


def _eval(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.left), _eval(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.operand))
    raise ValueError("not plain arithmetic")


def check_answer(answer: str, context: dict[str, Any]) -> str | None:
    """None when the JSON answer equals the arithmetic in the input, else feedback."""
    expected = evaluate(str(context.get("input", "")))
    if expected is None:
        return None  # not arithmetic we can verify; the JSON check still applies
    try:
        got = json.loads(extract_json(answer)).get("answer")
    except (ValueError, AttributeError):
        return None  # not a JSON object: the demo's json check already says so
    if isinstance(got, int | float) and abs(got - expected) < 1e-6:
        return None
    return f"{got!r} is wrong. Compute the arithmetic step by step, then give the number."


def solve(messages: list[dict[str, str]]) -> str:
    """The simulated strong model: reads the question and answers it correctly."""
    text = next((m["content"] for m in messages if m["role"] == "user"), "")
    question = re.search(r"Question:(.*)", text)
    value = evaluate(question.group(1) if question else text)
    if value is None:
        return json.dumps({"answer": None, "note": "simulated model: not arithmetic"})
    return json.dumps({"answer": int(value) if float(value).is_integer() else value})


def demo_task() -> LoadedTask:
    """The demo task; its strong tier is OpenRouter when a key is set, else simulated."""
    loaded = load_task(paths.examples_dir() / "demo.toml")
    strong = "strong-openrouter" if os.environ.get("OPENROUTER_API_KEY") else "strong-sim"
    task = loaded.task.model_copy(update={"chain": ["smollm2", strong]})
    return LoadedTask(loaded.path, task)


def demo_note(loaded: LoadedTask) -> str:
    """One line telling the user which strong tier the demo runs, and how to change it."""
    chain = loaded.task.chain or []
    if chain and loaded.task.models[chain[-1]].provider == "sim":
        return (
            "demo: OPENROUTER_API_KEY is not set, so tier 2 is a SIMULATED model "
            "(set the key to use a real one on OpenRouter)"
        )
    return f"demo: tier 2 is {chain[-1]} on OpenRouter (uses your OPENROUTER_API_KEY)"
