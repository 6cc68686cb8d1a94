"""Schema and semantic errors name the line they point at (`file:LINE: dotted.path: ...`)."""

from __future__ import annotations

from pathlib import Path

from config_helpers import validate, write

from escalatui.config.lines import key_lines, line_of

TASK = '''\
name = "lines"
chain = ["a", "ghost"]
colour = "red"

[models.a]
provider = "sim"
responses = ["hi"]
temprature = 0.1

[[steps]]
name = "one"
prompt = """
this = "looks like a key" but is prompt text
[[steps]] neither is this
"""
  [[steps.checks]]
  kind = "contains"
  text = "x"

  [[steps.checks]]
  kind = "regex"
  pattern = "("

[[steps]]
name = "two"
prompt = "{steps.nine}"
retires = 2
  [[steps.checks]]
  kind = "judge"
  criteria = "c"
'''


def test_every_error_names_its_line(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, TASK)
    code, _, err = validate(capsys, path)
    assert code == 2
    # In file order, each unknown key with the key it most likely meant.
    assert err.splitlines() == [
        f"{path}:2: chain: unknown model 'ghost' (defined: a)",
        f"{path}:3: (top level): unknown key 'colour'",
        f"{path}:8: models.a: unknown key 'temprature'; did you mean `temperature`?",
        f"{path}:22: steps.0.checks.1.pattern: regex does not compile: missing ) at position 1",
        f"{path}:26: steps.1.prompt: {{steps.nine}}: no earlier step named 'nine'",
        f"{path}:27: steps.1: unknown key 'retires'; did you mean `retries`?",
        f"{path}:28: steps.1.checks.0.model: required key is missing",
    ]


def test_key_lines_follow_arrays_of_tables() -> None:
    lines = key_lines(TASK)
    assert lines[("steps", "0")] == 10
    assert lines[("steps", "0", "checks", "1")] == 20
    assert lines[("steps", "1", "checks", "0")] == 28
    assert lines[("steps", "0", "prompt")] == 12
    assert ("steps", "0", "this") not in lines  # inside a multi-line string
    assert line_of(["steps", "1", "checks", "0", "model"], lines) == 28
    assert line_of(["nowhere"], lines) is None


def test_quoted_dotted_and_inline_keys() -> None:
    text = 'a.b = 1\n"quoted key" = 2\n[models."x.y"]\nprovider = "sim"\nm = {k = 1}\n'
    lines = key_lines(text)
    assert lines[("a", "b")] == 1
    assert lines[("quoted key",)] == 2
    assert lines[("models", "x.y", "provider")] == 4
    assert line_of(["models", "x.y", "m", "k"], lines) == 5  # the inline table's own line
