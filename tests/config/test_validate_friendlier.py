"""`validate` helps a person fix a file: the key they meant, and a warning (not an error) for
a tier whose API key is not set."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_helpers import GOOD, problems, validate, write

from escalatui.config import ConfigError, load_user_config

CLOUD = """
name = "t"
chain = ["local", "strong"]

[models.local]
provider = "sim"
responses = ["hi"]

[models.strong]
provider = "openrouter"
model = "openai/gpt-4o-mini"

[[steps]]
name = "one"
prompt = "Say {input}"
"""


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('provider = "sim"', 'provider = "simm"', "did you mean `sim`?"),
        (
            'name = "one"',
            'name = "one"\nretrys = 1',
            "unknown key 'retrys'; did you mean `retries`?",
        ),
        ('name = "t"', 'name = "t"\napproval = "manul"', "did you mean `manual`?"),
        (
            'prompt = "Say {input}"',
            'prompt = "x"\n[[steps.checks]]\nkind = "regx"\npattern = "a"',
            "unknown check kind 'regx' (one of: contains, regex, json, command, judge, python); "
            "did you mean `regex`?",
        ),
        (
            'prompt = "Say {input}"',
            'prompt = "x"\n[[steps.checks]]\nkind = "json"\nshema = {}',
            "unknown key 'shema'; did you mean `schema`?",
        ),
    ],
)
def test_a_misspelling_gets_the_closest_known_name(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    [problem] = problems(write(tmp_path, GOOD.replace(old, new)))
    assert problem.endswith(expected)


def test_nothing_is_suggested_when_nothing_is_close(tmp_path: Path) -> None:
    [problem] = problems(write(tmp_path, GOOD.replace('name = "t"', 'name = "t"\nzzz = 1')))
    assert problem == "(top level): unknown key 'zzz'"


def test_user_config_keys_are_suggested_from_the_user_config(tmp_path: Path) -> None:
    path = write(tmp_path, '[kyes]\nopenrouter = "sk-or-0123456789"\n', "config.toml")
    with pytest.raises(ConfigError) as caught:
        load_user_config(path)
    assert "did you mean `keys`?" in caught.value.render()
    assert "sk-or-0123456789" not in caught.value.render()


def test_missing_key_is_a_warning_and_exit_0(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, CLOUD)
    code, out, err = validate(capsys, path)
    assert code == 0
    assert out == f"{path}: ok\n"
    assert err == (
        f"{path}:9: warning: models.strong: OPENROUTER_API_KEY is not set: "
        "tier `strong` will fail\n"
    )


def test_no_warning_when_the_key_is_in_the_environment_or_the_config(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    path = write(tmp_path, CLOUD)
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-test-0123456789")
    assert validate(capsys, path) == (0, f"{path}: ok\n", "")
    monkeypatch.delenv("OPENROUTER_API_KEY")
    (isolated_env / "config.toml").write_text('[keys]\nopenrouter = "sk-or-cfg-0123456789"\n')
    assert validate(capsys, path) == (0, f"{path}: ok\n", "")


def test_unused_models_and_keyless_local_servers_are_not_warned_about(
    tmp_path: Path, capsys
) -> None:
    text = CLOUD.replace('chain = ["local", "strong"]', 'chain = ["local", "ollama"]')
    text += '\n[models.ollama]\nprovider = "ollama"\nmodel = "qwen2.5:0.5b"\n'
    path = write(tmp_path, text)
    assert validate(capsys, path) == (0, f"{path}: ok\n", "")


def test_a_judge_without_its_key_is_warned_about(tmp_path: Path, capsys) -> None:
    text = CLOUD.replace('chain = ["local", "strong"]', 'chain = ["local"]')
    text += '\n  [[steps.checks]]\n  kind = "judge"\n  model = "strong"\n  criteria = "c"\n'
    code, _, err = validate(capsys, write(tmp_path, text))
    assert code == 0
    assert "OPENROUTER_API_KEY is not set: judge `strong` will fail" in err


def test_an_explicit_key_variable_that_is_unset_is_warned_about(tmp_path: Path, capsys) -> None:
    text = GOOD.replace(
        '[models.a]\nprovider = "sim"\nresponses = ["hi"]',
        '[models.a]\nprovider = "openai"\nbase_url = "http://127.0.0.1:9"\nmodel = "m"\n'
        'api_key_env = "MY_SERVER_KEY_FOR_TEST"',
    )
    code, _, err = validate(capsys, write(tmp_path, text))
    assert code == 0
    assert "MY_SERVER_KEY_FOR_TEST is not set: tier `a` gets no key" in err
