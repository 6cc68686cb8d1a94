"""`escalatui batch` end to end against a scripted local server where the cheap tier is right
only on some inputs: statuses, who answered, the savings line, limits, resume, bad input."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import escalatui, write_task
from fakeserver import FakeServer, Reply, Request

TASK = """
name = "double"
chain = ["tiny", "big"]

[models.tiny]
provider = "openai"
base_url = "{url}"
model = "tiny"
max_concurrency = 2
price_in_per_mtok = 1.0
price_out_per_mtok = 1.0

[models.big]
provider = "openai"
base_url = "{url}"
model = "big"
price_in_per_mtok = 100.0
price_out_per_mtok = 100.0

[[steps]]
name = "answer"
prompt = "Double {{input}} ({{item.unit}})"

  [[steps.checks]]
  kind = "regex"
  pattern = '^\\d+$'
"""


def number_in(req: Request) -> int:
    return int(re.findall(r"\d+", req.json["messages"][-1]["content"])[0])


def scripted(req: Request) -> Reply:
    """tiny writes words for multiples of 3 (the check fails); big always writes the number."""
    n = number_in(req)
    if req.model == "tiny" and n % 3 == 0:
        text = "six or so"
    else:
        text = str(2 * n)
    usage = {"prompt_tokens": 1000, "completion_tokens": 1000}
    return Reply.text(text, usage=usage, delay_s=0.02)


@pytest.fixture
def served(tmp_path: Path) -> tuple[FakeServer, Path, Path]:
    server = FakeServer()
    server.responder = scripted
    server.start()
    task = write_task(tmp_path / "double.toml", TASK.format(url=server.base_url))
    inputs = tmp_path / "numbers.jsonl"
    inputs.write_text(
        "".join(
            json.dumps({"id": f"n{k}", "input": str(k), "unit": "apples"}) + "\n"
            for k in range(1, 13)
        )
    )
    yield server, task, inputs
    server.stop()


def results(path: Path) -> dict[str, dict[str, object]]:
    return {r["id"]: r for r in map(json.loads, path.read_text().splitlines())}


def test_statuses_tiers_savings_and_the_per_model_limit(
    served: tuple[FakeServer, Path, Path], tmp_path: Path
) -> None:
    server, task, inputs = served
    done = escalatui(
        "batch",
        task,
        "--inputs",
        inputs,
        "--headless",
        "--concurrency",
        "6",
        "--session-dir",
        tmp_path / "s",
    )
    assert done.returncode == 0, done.stderr
    found = results(tmp_path / "numbers.results.jsonl")
    assert len(found) == 12
    for k in range(1, 13):
        r = found[f"n{k}"]
        assert r["status"] == "accepted"
        assert r["answered_by"] == {"answer": "big" if k % 3 == 0 else "tiny"}
        assert r["outputs"] == {"answer": str(2 * k)}
    # the server saw at most 2 tiny streams at once although 6 items ran at once
    assert server.most_in_flight["tiny"] == 2
    assert server.most_in_flight["big"] >= 1
    # cost: 12 tiny attempts at $0.002 + 4 big at $0.2; top tier only: 12 x $0.2
    assert "cost $0.824 · top tier only ≈ $2.4 · saved 66% (observed, 4 samples)" in done.stdout
    assert re.search(r"1\s+tiny\s+12\s+8\s+67%", done.stdout)
    assert "{item.unit}" not in server.chat_requests[0].json["messages"][-1]["content"]
    assert "(apples)" in server.chat_requests[0].json["messages"][-1]["content"]
    stats = escalatui("stats", "--json", "--session-dir", tmp_path / "s")
    assert stats.returncode == 0, stats.stderr
    report = json.loads(stats.stdout)
    assert report["sessions"] == 12
    figures = {m["model"]: (m["attempts"], m["accepted"]) for m in report["models"]}
    assert figures == {"tiny": (12, 8), "big": (4, 4)}
    assert report["savings"]["double"]["top_tier_only_usd"] == pytest.approx(2.4)


def test_resume_after_an_interrupt_asks_nothing_twice(
    served: tuple[FakeServer, Path, Path], tmp_path: Path
) -> None:
    server, task, inputs = served
    args = [
        "batch",
        str(task),
        "--inputs",
        str(inputs),
        "--headless",
        "--concurrency",
        "2",
        "--session-dir",
        str(tmp_path / "s"),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "escalatui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    out = tmp_path / "numbers.results.jsonl"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (
        not out.exists() or len(out.read_text().splitlines()) < 4
    ):
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    first = results(out)
    finished = {i for i, r in first.items() if r["status"] in ("accepted", "failed")}
    assert 4 <= len(finished) < 12
    asked_before = len(server.chat_requests)
    again = escalatui(*args)
    assert again.returncode == 0, again.stderr
    later = server.chat_requests[asked_before:]
    asked_again = {number_in(r) for r in later}
    assert not asked_again & {int(i[1:]) for i in finished}
    final = results(out)
    assert {r["status"] for r in final.values()} == {"accepted"} and len(final) == 12


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "a", "input": "1", "unit": "x"}\n{oops\n', "line 2: not JSON"),
        ('{"id": "a", "input": "1"}\n', "line 1: no unit (the task uses {item.KEY})"),
        (
            '{"id": "a", "input": "1", "unit": "x"}\n{"id": "a", "input": "2", "unit": "x"}\n',
            "id 'a' again",
        ),
    ],
)
def test_a_bad_inputs_file_sends_nothing(
    served: tuple[FakeServer, Path, Path], tmp_path: Path, content: str, message: str
) -> None:
    server, task, inputs = served
    inputs.write_text(content)
    done = escalatui(
        "batch", task, "--inputs", inputs, "--headless", "--session-dir", tmp_path / "s"
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert server.chat_requests == []
    assert not (tmp_path / "numbers.results.jsonl").exists()


def test_shards_split_the_inputs_between_runs(
    served: tuple[FakeServer, Path, Path], tmp_path: Path
) -> None:
    server, task, inputs = served
    ids: list[str] = []
    for k in (1, 2, 3):
        results_file = tmp_path / f"shard{k}.jsonl"
        done = escalatui(
            "batch",
            task,
            "--inputs",
            inputs,
            "--headless",
            "--shard",
            f"{k}/3",
            "--results",
            results_file,
            "--session-dir",
            tmp_path / "s",
        )
        assert done.returncode == 0, done.stderr
        ids += list(results(results_file))
    assert sorted(ids) == sorted(f"n{k}" for k in range(1, 13))


def test_stats_suggests_starting_higher_when_a_tier_never_helps(
    served: tuple[FakeServer, Path, Path], tmp_path: Path
) -> None:
    server, task, inputs = served
    server.responder = lambda req: Reply.text(
        "words" if req.model == "tiny" else str(2 * number_in(req))
    )
    done = escalatui(
        "batch", task, "--inputs", inputs, "--headless", "--session-dir", tmp_path / "s"
    )
    assert done.returncode == 0, done.stderr
    stats = escalatui("stats", "--session-dir", tmp_path / "s", "--task", "double")
    assert (
        "tier `tiny` accepted 0 of 12 on step `answer`: "
        "starting at `big` would have saved 12 attempts" in stats.stdout
    )
    none = escalatui("stats", "--session-dir", tmp_path / "s", "--since", "2999-01-01")
    assert none.stdout.strip() == "no sessions match"
    bad = escalatui("stats", "--session-dir", tmp_path / "s", "--since", "yesterday")
    assert bad.returncode == 2 and "--since takes a date" in bad.stderr


def test_a_headless_batch_that_needs_a_person_without_a_terminal_sends_nothing(
    served: tuple[FakeServer, Path, Path], tmp_path: Path
) -> None:
    server, task, inputs = served
    done = escalatui(
        "batch", task, "--inputs", inputs, "--headless", "--approval", "manual",
        "--session-dir", tmp_path / "s",
    )  # fmt: skip
    assert done.returncode == 2
    assert "--approval manual needs a person: stdin is not a terminal" in done.stderr
    assert server.chat_requests == []
