"""`escalatui run TASK --headless [--json]` as a user runs it: output, options, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import escalatui, only_session, session_files, write_task
from fakeserver import FakeServer, Reply

pytestmark = pytest.mark.timeout(60)


def two_tier_task(tmp_path: Path, server: FakeServer, **extra: str) -> Path:
    lines = "\n".join(f"{k} = {v}" for k, v in extra.items())
    return write_task(
        tmp_path / "task.toml",
        f"""
name = "two-tier"
input = "What is 6*7?"
chain = ["cheap", "strong"]
{lines}

[models.cheap]
provider = "openai"
base_url = "{server.base_url}/v1"
model = "cheap-model"

[models.strong]
provider = "openai"
base_url = "{server.base_url}"
model = "strong-model"
price_in_per_mtok = 1.0
price_out_per_mtok = 2.0

[[steps]]
name = "answer"
prompt = "Q: {{input}}"

  [[steps.checks]]
  kind = "contains"
  text = "42"
  feedback = "CANARY: the answer is not 42"
""",
    )


def test_a_line_per_attempt_and_a_summary(
    server: FakeServer, tmp_path: Path, session_dir: Path
) -> None:
    usage = {"prompt_tokens": 11, "completion_tokens": 4, "cost": 0.0123}
    server.enqueue(Reply.text("It is 41", usage=usage), model="cheap-model")
    server.enqueue(
        Reply.text("It is 42", usage={"prompt_tokens": 1000, "completion_tokens": 500}),
        model="strong-model",
    )
    done = escalatui("run", two_tier_task(tmp_path, server), "--headless")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("run ") and "two-tier (1 step(s), approval auto)" in lines[0]
    assert lines[1] == "[answer] chain: cheap(openai) -> strong(openai)"
    first = next(line for line in lines if line.startswith("[answer] #1"))
    assert "tier 1 cheap (openai, warm?)" in first  # an openai server cannot say
    assert "11+4 tok $0.0123 -> escalate" in first
    assert "    feedback (sent with the next attempt): - CANARY: the answer is not 42" in lines
    second = next(line for line in lines if line.startswith("[answer] #2"))
    assert "tier 2 strong (openai, warm?)" in second
    assert "1000+500 tok $0.0020 -> accept" in second
    summary = next(line for line in lines if line.startswith("run accepted:"))
    assert summary.startswith("run accepted: 2 attempt(s), ") and summary.endswith("$0.0143")
    (log,) = session_files(session_dir)
    assert f"  session: {log}" in lines
    assert lines[-2:] == ["--- output ---", "It is 42"]
    # The feedback reached the strong tier's prompt.
    assert "CANARY: the answer is not 42" in server.chat_requests[1].json["messages"][0]["content"]


def test_json_mode_prints_one_event_per_line(
    server: FakeServer, tmp_path: Path, session_dir: Path
) -> None:
    server.enqueue(Reply.text("41"), Reply.text("42"))
    done = escalatui("run", two_tier_task(tmp_path, server), "--headless", "--json")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    types = [e["type"] for e in events]
    assert types[0] == "session" and types[-1] == "run"
    assert types.count("attempt") == 2
    attempts = [e for e in events if e["type"] == "attempt"]
    assert [(a["model"], a["verdict"]) for a in attempts] == [
        ("cheap", "escalate"),
        ("strong", "accept"),
    ]
    assert events[-1]["status"] == "accepted" and events[-1]["output"] == "42"
    assert "".join(e["text"] for e in events if e["type"] == "delta" and e["attempt"] == 2) == "42"
    # --json alone implies headless
    server.enqueue(Reply.text("42"))
    again = escalatui("run", two_tier_task(tmp_path, server), "--json")
    assert again.returncode == 0 and json.loads(again.stdout.splitlines()[-1])["type"] == "run"


def test_sim_models_show_cold_then_warm_and_simulated(tmp_path: Path) -> None:
    task = write_task(
        tmp_path / "t.toml",
        """
name = "sim"
chain = ["s"]
retries = 1
[models.s]
provider = "sim"
responses = ["no", "yes"]
[[steps]]
name = "a"
prompt = "p"
  [[steps.checks]]
  kind = "contains"
  text = "yes"
""",
    )
    done = escalatui("run", task, "--headless")
    assert done.returncode == 0, done.stderr
    attempt_lines = [line for line in done.stdout.splitlines() if line.startswith("[a] #")]
    assert "(sim, simulated, cold)" in attempt_lines[0] and "-> retry" in attempt_lines[0]
    assert "(sim, simulated, warm)" in attempt_lines[1] and "-> accept" in attempt_lines[1]
    assert "[a] chain: s(sim, simulated)" in done.stdout


def test_chain_exhausted_exits_1(server: FakeServer, tmp_path: Path, session_dir: Path) -> None:
    server.enqueue(Reply.text("41"), Reply.text("43"))
    done = escalatui("run", two_tier_task(tmp_path, server), "--headless")
    assert done.returncode == 1
    assert "run failed: 2 attempt(s)" in done.stdout
    assert "every model in the chain failed" in done.stdout
    # the last attempt's feedback goes nowhere, and the output says so by omission
    assert "    feedback: - CANARY: the answer is not 42" in done.stdout.splitlines()
    assert only_session(session_dir)[-1]["status"] == "failed"


def test_budget_exits_1(server: FakeServer, tmp_path: Path, session_dir: Path) -> None:
    server.enqueue(Reply.text("41", usage={"prompt_tokens": 1, "completion_tokens": 1, "cost": 1}))
    done = escalatui("run", two_tier_task(tmp_path, server, budget_usd="0.5"), "--headless")
    assert done.returncode == 1
    assert "run budget: 1 attempt(s)" in done.stdout
    assert len(server.chat_requests) == 1  # the strong tier was never called
    assert only_session(session_dir)[-1]["status"] == "budget"


def test_input_and_input_file(server: FakeServer, tmp_path: Path) -> None:
    task = two_tier_task(tmp_path, server)
    server.enqueue(Reply.text("42"), Reply.text("42"))
    assert escalatui("run", task, "--headless", "--input", "from the flag").returncode == 0
    source = tmp_path / "input.txt"
    source.write_text("from a file {not a placeholder}\nline two", encoding="utf-8")
    assert escalatui("run", task, "--headless", "--input-file", source).returncode == 0
    prompts = [r.json["messages"][0]["content"] for r in server.chat_requests]
    assert prompts == ["Q: from the flag", "Q: from a file {not a placeholder}\nline two"]


def test_approval_flag_is_logged_as_policy_headless(
    server: FakeServer, tmp_path: Path, session_dir: Path
) -> None:
    server.enqueue(Reply.text("41"), Reply.text("42"))
    done = escalatui("run", two_tier_task(tmp_path, server), "--headless", "--approval", "manual")
    assert done.returncode == 0, done.stderr
    log = only_session(session_dir)
    assert log[0]["approval"] == "manual"
    assert [r["decided_by"] for r in log if r["type"] == "attempt"] == ["policy", "policy"]
    assert "(by policy)" in done.stdout


def test_session_dir_flag_wins(server: FakeServer, tmp_path: Path, session_dir: Path) -> None:
    server.enqueue(Reply.text("42"))
    chosen = tmp_path / "chosen"
    done = escalatui("run", two_tier_task(tmp_path, server), "--headless", "--session-dir", chosen)
    assert done.returncode == 0, done.stderr
    assert len(session_files(chosen)) == 1
    assert not session_dir.exists() or session_files(session_dir) == []
    # also accepted before the subcommand
    server.enqueue(Reply.text("42"))
    done = escalatui("--session-dir", chosen, "run", two_tier_task(tmp_path, server), "--headless")
    assert done.returncode == 0 and len(session_files(chosen)) == 2


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('name = "x"\nsteps = [\n', "bad.toml:"),
        ('name = "x"\nchain = ["nope"]\n[[steps]]\nname = "a"\nprompt = "{input}"\n', "nope"),
        ('name = "x"\nbogus_key = 1\n[[steps]]\nname = "a"\nprompt = "p"\n', "bogus_key"),
    ],
    ids=["toml-syntax", "unknown-model", "unknown-key"],
)
def test_bad_task_file_exits_2(tmp_path: Path, content: str, expected: str) -> None:
    bad = write_task(tmp_path / "bad.toml", content)
    done = escalatui("run", bad, "--headless")
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    task = write_task(
        tmp_path / "t.toml",
        'name = "t"\nchain = ["s"]\n[models.s]\nprovider = "sim"\nresponses = ["x"]\n'
        '[[steps]]\nname = "a"\nprompt = "p"\n',
    )
    assert escalatui("run", task, "--headless").returncode == 0
    bad_choice = escalatui("run", task, "--headless", "--approval", "sometimes")
    assert bad_choice.returncode == 2 and "invalid choice" in bad_choice.stderr
    assert escalatui("run", tmp_path / "missing.toml", "--headless").returncode == 2
    missing_input = escalatui("run", task, "--headless", "--input-file", tmp_path / "nope.txt")
    assert missing_input.returncode == 2 and "nope.txt" in missing_input.stderr
    assert escalatui("run").returncode == 2
    assert escalatui("frobnicate").returncode == 2


def test_unwritable_session_dir_exits_2_before_any_request(
    server: FakeServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = escalatui(
        "run", two_tier_task(tmp_path, server), "--headless", "--session-dir", blocker / "sub"
    )
    assert done.returncode == 2
    assert "cannot write sessions" in done.stderr and "a-file" in done.stderr
    assert server.chat_requests == []  # said at start, before any money is spent


def test_model_output_is_printed_inert(tmp_path: Path) -> None:
    task = write_task(
        tmp_path / "t.toml",
        """
name = "hostile"
chain = ["s"]
[models.s]
provider = "sim"
responses = ["\\u001b[2J\\u001b]52;c;ZXZpbA==\\u0007 [bold]hi[/bold] \\u009b6n"]
[[steps]]
name = "a"
prompt = "p"
""",
    )
    done = escalatui("run", task, "--headless")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "\x9b" not in done.stdout
    assert "\\x1b[2J" in done.stdout and "[bold]hi[/bold]" in done.stdout


def test_check_config_error_exits_1_and_says_so_once(tmp_path: Path) -> None:
    task = write_task(
        tmp_path / "t.toml",
        """
name = "cfg"
chain = ["s"]
[models.s]
provider = "sim"
responses = ["x"]
[[steps]]
name = "a"
prompt = "p"
retries = 3
  [[steps.checks]]
  kind = "command"
  run = ["sh", "-c", "echo helper-tool missing; exit 127"]
""",
    )
    done = escalatui("run", task, "--headless")
    assert done.returncode == 1
    out = done.stdout
    assert out.count("[a] #") == 1  # not retried: retrying cannot fix a task file
    assert out.count("exit 127 (command not found): helper-tool missing") == 2  # attempt + summary
    assert "the command check is misconfigured, fix the task file" in out


def test_every_step_output_is_printed(tmp_path: Path) -> None:
    task = write_task(
        tmp_path / "t.toml",
        """
name = "two-steps"
chain = ["s"]
[models.s]
provider = "sim"
responses = ["the draft \\u001b[2J", "the polished text"]
[[steps]]
name = "draft"
prompt = "p"
[[steps]]
name = "polish"
prompt = "{previous}"
""",
    )
    done = escalatui("run", task, "--headless")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "--- step draft output ---\nthe draft \\x1b[2J\n" in out
    assert out.rstrip().endswith("--- output ---\nthe polished text")
    assert "\x1b" not in out
