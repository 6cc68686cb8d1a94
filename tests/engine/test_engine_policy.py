"""The pure decision rules: what the checks propose, what a decision logs, the budget cap."""

from __future__ import annotations

import pytest

from escalatui.config.models import ModelSpec
from escalatui.engine.attempt import AttemptState
from escalatui.engine.budget import Budget, BudgetReached, is_paid
from escalatui.engine.decisions import Decision
from escalatui.engine.events import CheckOutcome, Tier
from escalatui.engine.policy import (
    ChainPosition,
    Proposal,
    Settled,
    action_for,
    decision_of,
    propose,
    settle,
    who_decides,
    why_stopped,
)

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
    assert propose(
        finished(), [CheckOutcome(kind="contains", passed=True)], ChainPosition(TIERS, 1)
    ) == (
        "accept",
        None,
    )


def test_failed_check_retries_then_escalates_then_rejects() -> None:
    ladder = ChainPosition(TIERS, retries=1)
    assert propose(finished(), FAILED, ladder) == ("retry", "- say hello")
    ladder.move("retry")
    assert propose(finished(), FAILED, ladder)[0] == "escalate"
    ladder.move("escalate")
    assert (ladder.index, ladder.tries_here) == (1, 0)
    ladder.move("retry")
    assert propose(finished(), FAILED, ladder)[0] == "rejected"


def test_context_window_error_escalates_at_once_despite_retries() -> None:
    state = finished(error="too long", error_kind="context")
    assert propose(state, [], ChainPosition(TIERS, retries=5))[0] == "escalate"


def test_cut_off_answer_gets_its_own_feedback() -> None:
    state = finished(finish_reason="length")
    verdict, feedback = propose(state, [], ChainPosition(TIERS, retries=1))
    assert verdict == "retry" and "token limit" in (feedback or "")


def verdict_for(
    state: AttemptState, outcomes: list[CheckOutcome], action: str, by: str, ladder: ChainPosition
) -> tuple[str, str]:
    proposal = Proposal("escalate", None)
    settled = settle(state, outcomes, proposal, Decision(action), by, ladder, None)  # type: ignore[arg-type]
    return settled.verdict, settled.next


def test_a_check_error_is_logged_as_error_unless_a_person_decided() -> None:
    errored = [CheckOutcome(kind="regex", passed=False, error="timed out")]
    ladder = ChainPosition(TIERS, retries=0)
    assert verdict_for(finished(), errored, "escalate", "checks", ladder) == ("error", "escalate")
    assert verdict_for(finished(), errored, "escalate", "human", ladder) == (
        "escalate",
        "escalate",
    )


def test_escalating_from_the_top_rung_stops() -> None:
    top = ChainPosition(TIERS, retries=0, index=1)
    assert verdict_for(finished(), FAILED, "escalate", "human", top) == ("rejected", "stop")


# -- the state machine as a table: who decides, the decision, what is logged, what is next --

HUMAN_RETRY = Decision("retry", "PERSON: shorter")


@pytest.mark.parametrize(
    ("mode", "proposed", "acted", "who"),
    [
        ("auto", "escalate", None, "checks"),
        ("auto", "accept", HUMAN_RETRY, "human"),
        ("manual", "accept", None, "decider"),
        ("manual", "rejected", None, "decider"),
        ("manual", "retry", HUMAN_RETRY, "human"),
        ("escalation", "escalate", None, "decider"),
        ("escalation", "retry", None, "checks"),
        ("escalation", "accept", None, "checks"),
        ("escalation", "rejected", None, "checks"),
    ],
)
def test_who_decides(mode: str, proposed: str, acted: Decision | None, who: str) -> None:
    assert who_decides(mode, proposed, acted) == who  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("proposed", "can_escalate", "action"),
    [
        ("accept", True, "approve"),
        ("retry", False, "retry"),
        ("escalate", True, "escalate"),
        ("escalate", False, "abort"),
        ("error", True, "escalate"),
        ("error", False, "abort"),
        ("rejected", True, "abort"),
    ],
)
def test_the_checks_carry_out_what_they_propose(
    proposed: str, can_escalate: bool, action: str
) -> None:
    assert action_for(proposed, can_escalate) == action  # type: ignore[arg-type]


def test_who_the_log_names_as_deciding() -> None:
    by_policy = Decision("approve", by_human=False)
    assert decision_of("checks", None, "retry", True) == (
        Decision("retry", by_human=False),
        "checks",
    )
    assert decision_of("human", HUMAN_RETRY, "accept", True) == (HUMAN_RETRY, "human")
    assert decision_of("decider", HUMAN_RETRY, "accept", True) == (HUMAN_RETRY, "human")
    assert decision_of("decider", by_policy, "accept", True) == (by_policy, "policy")


BROKEN = {"error": "connection reset", "error_kind": "network"}


@pytest.mark.parametrize(
    ("state", "outcomes", "action", "by", "index", "settled"),
    [
        ({}, [], "approve", "human", 0, Settled("accept", "done", "- check fb", False)),
        ({}, FAILED, "retry", "checks", 0, Settled("retry", "retry", "- check fb", False)),
        ({}, FAILED, "escalate", "policy", 0, Settled("escalate", "escalate", "- check fb", False)),
        ({}, FAILED, "escalate", "human", 1, Settled("rejected", "stop", "- check fb", False)),
        ({}, FAILED, "abort", "human", 0, Settled("rejected", "stop", "- check fb", False)),
        # a broken attempt is logged as an error and carries the previous feedback on
        (BROKEN, [], "retry", "checks", 0, Settled("error", "retry", "- before", True)),
        # ... unless a person decided it
        (BROKEN, [], "retry", "human", 0, Settled("retry", "retry", "- before", True)),
    ],
)
def test_settle(
    state: dict[str, object],
    outcomes: list[CheckOutcome],
    action: str,
    by: str,
    index: int,
    settled: Settled,
) -> None:
    attempt = finished(**state)
    fb = "- check fb" if not state else None
    ladder = ChainPosition(TIERS, retries=1, index=index)
    decision = Decision(action)  # type: ignore[arg-type]
    result = settle(attempt, outcomes, Proposal("retry", fb), decision, by, ladder, "- before")  # type: ignore[arg-type]
    assert result == settled


def test_a_persons_feedback_replaces_the_checks() -> None:
    decision = Decision("retry", "PERSON: shorter")
    proposal = Proposal("retry", "- check fb")
    settled = settle(finished(), FAILED, proposal, decision, "human", ChainPosition(TIERS, 1), None)
    assert settled.feedback == "PERSON: shorter" and not settled.carried


def test_why_a_step_stopped() -> None:
    config = [CheckOutcome(kind="regex", passed=False, error="bad pattern", config_error=True)]
    abort = Decision("abort")
    assert why_stopped("s", finished(), FAILED, abort, "human") == "aborted by a person"
    assert "regex check is misconfigured" in why_stopped("s", finished(), config, abort, "checks")
    assert why_stopped("s", finished(), FAILED, abort, "policy") == (
        "step 's': every model in the chain failed (last: its checks failed)"
    )


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
    assert (who_decides(mode, proposed, None) == "decider") is asks  # type: ignore[arg-type]


def test_budget_stops_only_paid_attempts() -> None:
    budget = Budget(0.01)
    budget.add(0.02)
    budget.check("local", ModelSpec(provider="embedded"))  # local models still run
    assert not is_paid(SIM)
    with pytest.raises(BudgetReached, match=r"budget of \$0.0100 reached"):
        budget.check("cloud", ModelSpec(provider="openrouter", model="m"))
