"""Used by write-function.toml's command check: run the model's Python code, then the test
lines given as arguments. Exit 0 when every test passes; otherwise print what failed (that
output becomes the feedback for the next attempt).

The answer's code runs in this process, like any test you would run on code you were given:
run tasks like this one only where that is acceptable.
"""

from __future__ import annotations

import re
import sys
import traceback

_FENCE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.S)


def code_of(answer: str) -> str:
    """The code in an answer: its fenced blocks, or the whole answer when it has none."""
    blocks = _FENCE.findall(answer)
    return "\n".join(blocks) if blocks else answer


def main(tests: list[str]) -> int:
    code = code_of(sys.stdin.read())
    namespace: dict[str, object] = {"__name__": "answer"}
    try:
        exec(compile(code, "<answer>", "exec"), namespace)
    except BaseException:  # the answer's own failure, reported as feedback
        print("The code does not run:\n" + traceback.format_exc(limit=0).strip())
        return 1
    failed = 0
    for test in tests:
        try:
            exec(compile(test, "<test>", "exec"), namespace)
        except AssertionError:
            failed += 1
            print(f"Test failed: {test}")
        except BaseException as exc:
            failed += 1
            print(f"Test raised {type(exc).__name__}: {exc}: {test}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
