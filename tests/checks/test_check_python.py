"""The `python` check: `module:function` next to the task file; None passes, a string is the
feedback; raising, a timeout or an odd return value is a check error, never a pass."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

from escalatui.config.models import PythonCheck
from escalatui.engine.checks.pycall import check_python

CHECKS = """
import sys
import time

def ok(answer):
    return None

def needs_fn(answer):
    return None if "fn" in answer else "Write a function."

def with_context(answer, context):
    return None if context["input"] in answer else f"Mention {context['input']}."

def boom(answer):
    raise ValueError("bad state")

def slow(answer):
    time.sleep(30)

def odd(answer):
    return 42

def exits(answer):
    sys.exit(3)

def rejects(answer):
    return False
"""


def module_beside(directory: Path) -> str:
    """A uniquely named module of check functions in `directory` (imports are cached)."""
    name = f"checks_{uuid.uuid4().hex[:8]}"
    (directory / f"{name}.py").write_text(CHECKS)
    return name


def py(call: str, **kw: object) -> PythonCheck:
    return PythonCheck.model_validate({"kind": "python", "call": call, **kw})


async def test_none_passes_and_a_string_is_the_feedback(tmp_path: Path) -> None:
    mod = module_beside(tmp_path)
    assert (await check_python(py(f"{mod}:ok"), "x", {}, tmp_path)).passed
    failed = await check_python(py(f"{mod}:needs_fn"), "def f", {}, tmp_path)
    assert not failed.passed and failed.error is None
    assert failed.feedback == "Write a function."
    assert (await check_python(py(f"{mod}:needs_fn"), "fn f", {}, tmp_path)).passed


async def test_false_fails_with_a_default_feedback(tmp_path: Path) -> None:
    mod = module_beside(tmp_path)
    outcome = await check_python(py(f"{mod}:rejects"), "x", {}, tmp_path)
    assert not outcome.passed and outcome.feedback == f"{mod}:rejects rejected the answer."


async def test_context_is_passed_to_two_argument_functions(tmp_path: Path) -> None:
    mod = module_beside(tmp_path)
    check = py(f"{mod}:with_context")
    assert (await check_python(check, "about cats", {"input": "cats"}, tmp_path)).passed
    failed = await check_python(check, "about dogs", {"input": "cats"}, tmp_path)
    assert failed.feedback == "Mention cats."


async def test_raising_is_a_check_error(tmp_path: Path) -> None:
    mod = module_beside(tmp_path)
    outcome = await check_python(py(f"{mod}:boom"), "x", {}, tmp_path)
    assert not outcome.passed and not outcome.config_error
    assert outcome.error == f"{mod}:boom raised ValueError: bad state"


async def test_sys_exit_is_a_check_error_not_the_end_of_the_run(tmp_path: Path) -> None:
    mod = module_beside(tmp_path)
    outcome = await check_python(py(f"{mod}:exits"), "x", {}, tmp_path)
    assert not outcome.passed and outcome.error and "SystemExit" in outcome.error


async def test_a_strange_return_value_is_a_check_error(tmp_path: Path) -> None:
    mod = module_beside(tmp_path)
    outcome = await check_python(py(f"{mod}:odd"), "x", {}, tmp_path)
    assert not outcome.passed
    assert outcome.error == f"{mod}:odd returned int; expected None or a feedback string"


async def test_timeout_is_a_check_error(tmp_path: Path) -> None:
    mod = module_beside(tmp_path)
    outcome = await check_python(py(f"{mod}:slow", timeout_s=0.2), "x", {}, tmp_path)
    assert not outcome.passed
    assert outcome.error == f"{mod}:slow timed out after 0.2s"


def test_a_hung_check_does_not_keep_the_process_alive(tmp_path: Path) -> None:
    """The thread running a stuck function cannot be killed; it must not block the exit."""
    mod = module_beside(tmp_path)
    script = textwrap.dedent(
        f"""
        import asyncio
        from pathlib import Path
        from escalatui.config.models import PythonCheck
        from escalatui.engine.checks.pycall import check_python
        check = PythonCheck(kind="python", call="{mod}:slow", timeout_s=0.2)
        outcome = asyncio.run(check_python(check, "x", {{}}, Path({str(tmp_path)!r})))
        print(outcome.error)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=20
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{mod}:slow timed out after 0.2s"


async def test_missing_module_or_function_is_a_config_error(tmp_path: Path) -> None:
    mod = module_beside(tmp_path)
    for call in ("no_such_module_xyz:f", f"{mod}:no_such_function"):
        outcome = await check_python(py(call), "x", {}, tmp_path)
        assert not outcome.passed and outcome.config_error
        assert outcome.error and outcome.error.startswith(f"cannot load {call}: ")
