"""The pure decision rules: what the checks propose, what a decision logs, the budget cap."""

from __future__ import annotations

import pytest

from escalatui.config.models import ModelSpec
from escalatui.engine.attempt import AttemptState
from escalatui.engine.budget import Budget, BudgetReached, is_paid
from escalatui.engine.events import CheckOutcome, Tier
from escalatui.engine.policy import Ladder, asks_decider, propose, verdict_for

SIM = ModelSpec(provider="sim", responses=["x"])
TIERS = (
    Tier(index=0, model="small", provider="sim", provider_model="s", label="small"),
    Tier(index=1, model="big", provider="sim", provider_model="b", label="big"),
)


def finished(output: str = "answer", **kw: object) -> AttemptState:
    state = AttemptState("s", 0, 1, TIERS[0], SIM, "prompt", "now")
    state.parts.append(output)
    state.finish_reason = "stop"
    for key, value in kw.items():
        setattr(state, key, value)
    return state


FAILED = [CheckOutcome(kind="contains", passed=False, feedback="say hello")]


def test_passing_checks_accept() -> None:
    assert propose(finished(), [CheckOutcome(kind="contains", passed=True)], Ladder(TIERS, 1)) == (
        "accept",
        None,
    )


def test_failed_check_retries_then_escalates_then_rejects() -> None:
    ladder = Ladder(TIERS, retries=1)
    assert propose(finished(), FAILED, ladder) == ("retry", "- say hello")
    ladder.move("retry")
    assert propose(finished(), FAILED, ladder)[0] == "escalate"
    ladder.move("escalate")
    assert (ladder.index, ladder.tries_here) == (1, 0)
    ladder.move("retry")
    assert propose(finished(), FAILED, ladder)[0] == "rejected"


def test_context_window_error_escalates_at_once_despite_retries() -> None:
    state = finished(error="too long", error_kind="context")
    assert propose(state, [], Ladder(TIERS, retries=5))[0] == "escalate"


def test_cut_off_answer_gets_its_own_feedback() -> None:
    state = finished(finish_reason="length")
    verdict, feedback = propose(state, [], Ladder(TIERS, retries=1))
    assert verdict == "retry" and "token limit" in (feedback or "")


def test_a_check_error_is_logged_as_error_unless_a_person_decided() -> None:
    errored = [CheckOutcome(kind="regex", passed=False, error="timed out")]
    ladder = Ladder(TIERS, retries=0)
    assert verdict_for(finished(), errored, "escalate", "checks", ladder) == ("error", "escalate")
    assert verdict_for(finished(), errored, "escalate", "human", ladder) == (
        "escalate",
        "escalate",
    )


def test_escalating_from_the_top_rung_stops() -> None:
    top = Ladder(TIERS, retries=0, index=1)
    assert verdict_for(finished(), FAILED, "escalate", "human", top) == ("rejected", "stop")


@pytest.mark.parametrize(
    ("mode", "proposed", "asks"),
    [
        ("manual", "accept", True),
        ("escalation", "accept", False),
        ("escalation", "escalate", True),
        ("escalation", "retry", False),
        ("auto", "escalate", False),
    ],
)
def test_which_verdicts_wait_for_a_person(mode: str, proposed: str, asks: bool) -> None:
    assert asks_decider(mode, proposed) is asks  # type: ignore[arg-type]


def test_budget_stops_only_paid_attempts() -> None:
    budget = Budget(0.01)
    budget.add(0.02)
    budget.check("local", ModelSpec(provider="embedded"))  # local models still run
    assert not is_paid(SIM)
    with pytest.raises(BudgetReached, match=r"budget of \$0.0100 reached"):
        budget.check("cloud", ModelSpec(provider="openrouter", model="m"))
