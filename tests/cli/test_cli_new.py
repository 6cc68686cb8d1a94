"""`escalatui new`: the starter validates, runs, never overwrites, and `--provider` picks the
local tier."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from cli_helpers import escalatui, only_session
from conftest import needs_embedded

from escalatui.cli import main
from escalatui.config import load_task


def new(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.chdir(tmp_path)
    return main(["new", *argv])


def test_writes_a_starter_that_validates(tmp_path: Path, monkeypatch, capsys) -> None:
    assert new(tmp_path, monkeypatch, "capitals") == 0
    path = tmp_path / "capitals.toml"
    assert "wrote capitals.toml" in capsys.readouterr().out
    task = load_task(path).task
    assert task.name == "capitals"
    assert task.models["local"].provider == "embedded"
    # No key in the test environment: the chain's second tier is the simulated stand-in.
    assert task.chain == ["local", "cloud-sim"]
    assert task.models["cloud"].provider == "openrouter"
    kinds = [c.kind for c in task.steps[0].checks]
    assert kinds == ["json", "regex", "command"]
    text = path.read_text(encoding="utf-8")
    for optional in ('# kind = "contains"', '# kind = "judge"', '# kind = "python"'):
        assert optional in text  # offered, commented out
    assert main(["validate", str(path)]) == 0


def test_chain_uses_openrouter_when_the_key_is_set(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-test-0123456789")
    assert new(tmp_path, monkeypatch, "t") == 0
    assert load_task(tmp_path / "t.toml").task.chain == ["local", "cloud"]
    assert new(tmp_path, monkeypatch, "u", "--cloud", "sim") == 0
    assert load_task(tmp_path / "u.toml").task.chain == ["local", "cloud-sim"]


@pytest.mark.parametrize("provider", ["ollama", "lmstudio", "llama-swap", "openai"])
def test_provider_picks_the_local_tier(tmp_path: Path, monkeypatch, provider: str) -> None:
    assert new(tmp_path, monkeypatch, "t.toml", "--provider", provider) == 0
    local = load_task(tmp_path / "t.toml").task.models["local"]
    assert local.provider == provider
    assert local.model


def test_refuses_to_overwrite(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "mine.toml").write_text("precious", encoding="utf-8")
    assert new(tmp_path, monkeypatch, "mine") == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "mine.toml").read_text(encoding="utf-8") == "precious"


@pytest.mark.parametrize("name", ["a\nb", "bad\x1b[31m", "  "])
def test_refuses_a_name_that_is_not_printable(tmp_path: Path, monkeypatch, name: str) -> None:
    assert new(tmp_path, monkeypatch, name) == 2
    assert list(tmp_path.iterdir()) == []


def test_a_name_with_quotes_still_gives_valid_toml(tmp_path: Path, monkeypatch) -> None:
    assert new(tmp_path, monkeypatch, 'say "hi"') == 0
    assert load_task(tmp_path / 'say "hi".toml').task.name == 'say "hi"'


def test_starter_runs_and_escalates_to_the_cloud_tier(tmp_path: Path, session_dir: Path) -> None:
    """The local tier swapped for a sim that answers badly: the starter's checks reject it and
    its cloud tier (the simulated stand-in) is accepted."""
    assert escalatui("new", "t", cwd=tmp_path).returncode == 0
    path = tmp_path / "t.toml"
    text = path.read_text(encoding="utf-8")
    local = text[text.index("[models.local]") : text.index("[models.cloud]")]
    path.write_text(
        text.replace(local, '[models.local]\nprovider = "sim"\nresponses = ["Paris!"]\n\n'),
        encoding="utf-8",
    )
    done = escalatui("run", path, "--headless", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    attempts = [r for r in only_session(session_dir) if r["type"] == "attempt"]
    assert [(a["model"], a["verdict"]) for a in attempts] == [
        ("local", "retry"),
        ("local", "escalate"),
        ("cloud-sim", "accept"),
    ]
    assert done.stdout.rstrip().endswith('{"capital": "Paris"}')


@needs_embedded
@pytest.mark.embedded
@pytest.mark.timeout(180)
def test_starter_runs_as_written_on_the_embedded_model(tmp_path: Path, session_dir: Path) -> None:
    assert escalatui("new", "t", cwd=tmp_path).returncode == 0
    done = escalatui("run", "t.toml", "--headless", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    attempts = [r for r in only_session(session_dir) if r["type"] == "attempt"]
    assert attempts[0]["provider"] == "embedded"
    assert attempts[-1]["verdict"] == "accept"
    assert tomllib.loads((tmp_path / "t.toml").read_text(encoding="utf-8"))["name"] == "t"


def test_every_provider_offered_has_a_starter_tier() -> None:
    from escalatui.cli import STARTER_PROVIDERS
    from escalatui.starter import LOCAL_TIERS

    assert set(STARTER_PROVIDERS) == set(LOCAL_TIERS)
