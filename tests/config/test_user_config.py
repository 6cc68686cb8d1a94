"""The user config (ESCALATUI_CONFIG): shared models merged under the task's own, and a
corrupt file that stops everything with its path and is never rewritten."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from config_helpers import GOOD, validate, write

from escalatui.config import load_task, load_user_config

SHARED = """
[models.strong]
provider = "sim"
responses = ["from the user config"]
label = "shared"

[models.a]
provider = "sim"
responses = ["user version of a"]
"""


@pytest.fixture
def config_path() -> Path:
    return Path(os.environ["ESCALATUI_CONFIG"])


def test_user_models_are_merged_and_the_task_wins(tmp_path: Path, config_path: Path) -> None:
    config_path.write_text(SHARED)
    task = write(tmp_path, GOOD.replace('chain = ["a"]', 'chain = ["a", "strong"]'))
    loaded = load_task(task, load_user_config(config_path))
    assert loaded.task.models["strong"].label == "shared"
    assert loaded.task.models["a"].responses == ["hi"]  # the task's own [models.a]


def test_validate_uses_the_user_config(tmp_path: Path, capsys, config_path: Path) -> None:
    task = write(tmp_path, GOOD.replace('chain = ["a"]', 'chain = ["a", "strong"]'))
    code, _, err = validate(capsys, task)
    assert code == 2 and "unknown model 'strong'" in err
    config_path.write_text(SHARED)
    assert validate(capsys, task) == (0, f"{task}: ok\n", "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[models.x\n", ":1:10: TOML syntax: "),
        ("models = 3\n", ":1: models: expected a table"),
        ("colour = 'red'\n", ":1: (top level): unknown key 'colour'"),
        (
            "[models.x]\nprovider = 'sim'\n",
            ":1: models.x: a sim model needs `responses` or `respond`",
        ),
        ("[models.x]\nprovider = 'openai'\nmodel = 'm'\n", ":1: models.x.base_url: provider"),
    ],
)
def test_corrupt_user_config_stops_with_its_path_and_is_not_rewritten(
    tmp_path: Path, capsys, config_path: Path, text: str, expected: str
) -> None:
    config_path.write_text(text)
    before = config_path.stat()
    code, out, err = validate(capsys, write(tmp_path, GOOD))
    assert code == 2 and out == ""
    assert err.startswith(f"{config_path}{expected}")
    assert config_path.read_text() == text
    assert config_path.stat().st_mtime_ns == before.st_mtime_ns


def test_user_config_gguf_paths_are_relative_to_the_config(
    tmp_path: Path, config_path: Path
) -> None:
    (config_path.parent / "models").mkdir()
    (config_path.parent / "models" / "m.gguf").write_bytes(b"GGUF")
    config_path.write_text("[models.local]\nprovider = 'embedded'\nmodel = 'models/m.gguf'\n")
    elsewhere = tmp_path / "tasks"
    elsewhere.mkdir()
    task = write(elsewhere, GOOD.replace('chain = ["a"]', 'chain = ["local"]'))
    loaded = load_task(task, load_user_config(config_path))
    assert loaded.task.models["local"].model == str(config_path.parent / "models" / "m.gguf")


def test_a_key_of_the_wrong_type_is_not_echoed(capsys, tmp_path: Path, config_path: Path) -> None:
    canary = "sk-or-v1-CANARYCANARY0123456789"
    config_path.write_text(f"[keys]\nopenrouter = ['{canary}']\n")
    code, _, err = validate(capsys, write(tmp_path, GOOD))
    assert code == 2 and "keys.openrouter" in err
    assert canary not in err


def test_missing_user_config_is_an_empty_one(config_path: Path) -> None:
    assert not config_path.exists()
    assert load_user_config(config_path).models == {}
    assert not config_path.exists()  # reading never creates it
