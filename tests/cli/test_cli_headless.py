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
    assert "tier 1 cheap (openai, warm: unknown)" in first  # an openai server cannot say
    assert "11+4 tok $0.0123 -> escalate" in first
    assert "    feedback (sent with the next attempt): - CANARY: the answer is not 42" in lines
    second = next(line for line in lines if line.startswith("[answer] #2"))
    assert "tier 2 strong (openai, warm: unknown)" in second
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


@pytest.mark.parametrize("mode", ["manual", "escalation"])
@pytest.mark.parametrize("where", ["flag", "task"])
def test_approval_needing_a_person_without_a_terminal_exits_2(
    server: FakeServer, tmp_path: Path, session_dir: Path, mode: str, where: str
) -> None:
    server.enqueue(Reply.text("41"), Reply.text("42"))
    if where == "flag":
        done = escalatui("run", two_tier_task(tmp_path, server), "--headless", "--approval", mode)
        said = f"--approval {mode} needs a person"
    else:
        done = escalatui("run", two_tier_task(tmp_path, server, approval=f'"{mode}"'), "--headless")
        said = f"the task's approval = '{mode}' needs a person"
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"error: {said}: stdin is not a terminal; " in done.stderr
    assert "use --approval auto or run without --headless" in done.stderr
    assert "Traceback" not in done.stderr
    # nothing ran: no model was asked and no policy decided in a person's place
    assert server.chat_requests == [] and session_files(session_dir) == []


def test_approval_auto_overrides_a_manual_task_headless(
    server: FakeServer, tmp_path: Path, session_dir: Path
) -> None:
    server.enqueue(Reply.text("41"), Reply.text("42"))
    task = two_tier_task(tmp_path, server, approval='"manual"')
    done = escalatui("run", task, "--headless", "--approval", "auto")
    assert done.returncode == 0, done.stderr
    log = only_session(session_dir)
    assert [r["decided_by"] for r in log if r["type"] == "attempt"] == ["checks", "checks"]


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


def strict_json(line: str) -> object:
    """Parse as a strict JSON reader would: NaN and Infinity are errors."""

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(line, parse_constant=refuse)


@pytest.mark.parametrize("garbage", [float("nan"), float("inf"), -1.0], ids=["nan", "inf", "neg"])
def test_a_garbage_cost_with_a_budget_ends_the_run_and_says_why(
    server: FakeServer, tmp_path: Path, session_dir: Path, garbage: float
) -> None:
    usage = {"prompt_tokens": 11, "completion_tokens": 4, "cost": garbage}
    server.enqueue(Reply.text("41", usage=usage), model="cheap-model")
    done = escalatui("run", two_tier_task(tmp_path, server, budget_usd="0.5"), "--headless")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    first = next(line for line in lines if line.startswith("[answer] #1"))
    assert "11+4 tok cost unknown -> escalate" in first
    summary = next(line for line in lines if line.startswith("run budget:"))
    assert summary.endswith(", cost unknown")  # never $0.0000, never $nan
    assert (
        "  cost of attempt 1 on cheap is unknown; with a budget set it counts as the rest of "
        "the budget ($0.50), so strong is not called"
    ) in lines
    assert [r.json["model"] for r in server.chat_requests] == ["cheap-model"]
    assert not any(f"${bad}" in done.stdout for bad in ("nan", "inf", "-", "0.0000 "))
    assert "which is not a cost" in done.stdout  # the notice says why
    log = [strict_json(line) for line in session_files(session_dir)[0].read_text().splitlines()]
    run = log[-1]
    assert isinstance(run, dict)
    assert (run["status"], run["cost_usd"], run["cost_unknown"]) == ("budget", 0.0, True)


def test_a_partly_unknown_total_says_so_and_tiny_costs_keep_their_digits(
    server: FakeServer, tmp_path: Path
) -> None:
    server.enqueue(
        Reply.text("41", usage={"prompt_tokens": 1, "completion_tokens": 1, "cost": 1.62e-05}),
        model="cheap-model",
    )
    server.enqueue(Reply.text("42"), model="strong-model")  # no usage: prices cannot help
    done = escalatui("run", two_tier_task(tmp_path, server), "--headless")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    first = next(line for line in lines if line.startswith("[answer] #1"))
    assert "1+1 tok $0.0000162 -> escalate" in first
    second = next(line for line in lines if line.startswith("[answer] #2"))
    assert "– tok cost unknown -> accept" in second
    summary = next(line for line in lines if line.startswith("run accepted:"))
    assert summary.endswith(", $0.0000162 + unknown")


def test_json_mode_is_strict_json_whatever_the_provider_sends(
    server: FakeServer, tmp_path: Path
) -> None:
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "cost": float("nan")}
    server.enqueue(Reply.text("41", usage=usage), Reply.text("42", usage=usage))
    done = escalatui("run", two_tier_task(tmp_path, server), "--headless", "--json")
    assert done.returncode == 0, done.stderr
    records = [strict_json(line) for line in done.stdout.splitlines()]
    costs = [r["cost_usd"] for r in records if isinstance(r, dict) and r["type"] == "attempt"]
    assert costs == [None, pytest.approx(3e-06)]  # the strong tier's cost comes from prices


def test_a_cut_answer_is_shown_and_kept_when_the_run_fails(
    server: FakeServer, tmp_path: Path, session_dir: Path
) -> None:
    server.enqueue(Reply.text("It is 4", finish_reason="length"))
    task = write_task(
        tmp_path / "cut.toml",
        f"""
name = "cut"
chain = ["only"]
[models.only]
provider = "openai"
base_url = "{server.base_url}"
model = "m"
[[steps]]
name = "answer"
prompt = "Q"
""",
    )
    done = escalatui("run", task, "--headless")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-2:] == [
        "--- last answer (not accepted, incomplete: the answer was cut off at the token limit "
        "(finish_reason 'length')) ---",
        "It is 4",
    ]
    run = only_session(session_dir)[-1]
    assert (run["status"], run["output"], run["outputs"]) == (
        "failed",
        "It is 4",
        {"answer": "It is 4"},
    )


def test_accept_truncated_sends_a_cut_answer_to_the_checks(
    server: FakeServer, tmp_path: Path, session_dir: Path
) -> None:
    server.enqueue(Reply.text("It is 42 and", finish_reason="length"), model="cheap-model")
    done = escalatui("run", two_tier_task(tmp_path, server, accept_truncated="true"), "--headless")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    first = next(line for line in lines if line.startswith("[answer] #1"))
    assert first.endswith("-> accept")
    assert any("incomplete: the answer was cut off at the token limit" in x for x in lines)
    assert "  ! step 'answer': the accepted answer was cut off at the token limit" in lines
    assert lines[-2:] == ["--- output ---", "It is 42 and"]
    (attempt,) = [r for r in only_session(session_dir) if r["type"] == "attempt"]
    assert (attempt["complete"], attempt["verdict"]) == (False, "accept")
    assert "accept_truncated" in attempt["error"]


def test_the_tui_writes_costs_as_headless_does() -> None:
    """The screen's totals and tables use the same words and digits as headless output."""
    from escalatui.engine.events import AttemptDecided, RunFinished
    from escalatui.tui.display import Display
    from escalatui.tui.run_state import RunState

    fmt = Display()
    assert (fmt.cost(None), fmt.cost(1.62e-05), fmt.cost(0.0123, True)) == (
        "cost unknown",
        "$0.0000162",
        "$0.0123 + unknown",
    )

    def attempt(cost: float | None) -> AttemptDecided:
        return AttemptDecided(
            step="s", step_index=0, attempt=1, tier=0, model="m", provider="openrouter",
            provider_model="x", warm=None, started_at="", duration_ms=1, ttft_ms=None,
            prompt_tokens=None, completion_tokens=None, cost_usd=cost, output="out",
            complete=True, error=None, verdict="retry", feedback=None, decided_by="checks",
        )  # fmt: skip

    state = RunState()
    for cost in (0.01, float("nan"), None, -1.0):  # a replayed log may hold anything
        state.apply(attempt(cost))
    assert (state.cost_usd, state.cost_unknown) == (0.01, True)
    assert fmt.cost(state.cost_usd, state.cost_unknown) == "$0.0100 + unknown"
    state.apply(
        RunFinished(status="failed", output="", cost_usd=float("nan"), duration_ms=1, attempts=4)
    )
    assert state.cost_usd == 0.0 and state.cost_unknown is True
    assert fmt.cost(state.cost_usd, state.cost_unknown) == "cost unknown"
    alone = RunState()
    alone.apply(
        RunFinished(status="accepted", output="", cost_usd=float("nan"), duration_ms=1, attempts=1)
    )
    assert fmt.cost(alone.cost_usd, alone.cost_unknown) == "cost unknown"
