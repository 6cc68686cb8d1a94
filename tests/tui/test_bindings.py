"""Keys are in the footer, in the command palette, and remappable from the user config."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_helpers import attempts, run_app, run_screen, two_tiers, wait_phase

from escalatui.config import UserConfig
from escalatui.tui.screens.run import RunScreen

pytestmark = pytest.mark.timeout(60)
IDS = {"approve", "retry", "escalate", "feedback", "abort"}


def test_every_run_binding_has_an_id_and_a_description() -> None:
    bindings = {b.id: b for b in RunScreen.BINDINGS}  # type: ignore[union-attr]
    assert IDS <= set(bindings)
    assert all(b.description for b in bindings.values())  # type: ignore[union-attr]


async def test_keymap_from_the_user_config_moves_a_key(tmp_path: Path, session_dir: Path) -> None:
    user = UserConfig(keymap={"approve": "y", "escalate": "u"})
    app = run_app(two_tiers(tmp_path, "manual"), session_dir, user=user)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_phase(pilot, "awaiting")
        keys = {b.binding.id: key for key, b in app.screen.active_bindings.items()}
        assert keys["approve"] == "y" and keys["escalate"] == "u" and keys["retry"] == "r"
        await pilot.press("a")  # no longer bound: nothing happens
        await pilot.pause(0.1)
        assert run_screen(app).view.state.phase == "awaiting"
        await pilot.press("y")
        await pilot.pause(0.1)
        # overriding the failed check asks for the same (remapped) key again
        messages = [str(n.message) for n in app._notifications]
        assert "accept although the checks failed? press y again" in messages
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.press("q")
    assert [(a["verdict"], a["decided_by"]) for a in attempts(session_dir)] == [("accept", "human")]


async def test_command_palette_offers_and_runs_the_actions(
    tmp_path: Path, session_dir: Path
) -> None:
    app = run_app(two_tiers(tmp_path, "manual"), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_phase(pilot, "awaiting")
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {"Approve", "Retry", "Escalate", "Abort", "Edit feedback"} <= set(commands)
        commands["Escalate"].callback()
        await wait_phase(pilot, "awaiting", decided=1)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        commands["Approve"].callback()
        await app.workers.wait_for_complete()
        assert "Approve" not in {c.title for c in app.get_system_commands(app.screen)}
        await pilot.press("q")
    first, second = attempts(session_dir)
    assert (first["verdict"], first["decided_by"]) == ("escalate", "human")
    assert (second["verdict"], second["decided_by"]) == ("accept", "human")


async def test_escalate_is_dimmed_on_the_last_tier(tmp_path: Path, session_dir: Path) -> None:
    app = run_app(two_tiers(tmp_path, "manual"), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.press("e")
        await wait_phase(pilot, "awaiting", decided=1)
        enabled = {b.binding.id: b.enabled for b in app.screen.active_bindings.values()}
        assert enabled["escalate"] is False and enabled["approve"] is True
        await pilot.press("e")  # nothing above: a notice, no decision
        await pilot.pause(0.1)
        assert run_screen(app).view.state.phase == "awaiting"
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.press("q")
    assert [a["verdict"] for a in attempts(session_dir)] == ["escalate", "accept"]


def bar_lines(app: object) -> list[str]:
    """The decision bar as drawn: its lines of text, borders stripped."""
    bar = run_screen(app).query_one("#decision")  # type: ignore[arg-type]
    lines = [strip.text for strip in bar.render_lines(bar.region.reset_offset)]
    return [line.strip(" ┃━┏┓┗┛─") for line in lines if line.strip(" ┃━┏┓┗┛─")]


@pytest.mark.parametrize("size", [(60, 15), (80, 24), (120, 36)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_decision_bar_lists_the_keys_that_decide_at_every_size(
    tmp_path: Path, session_dir: Path, size: tuple[int, int]
) -> None:
    # the footer cannot hold every key under 120 columns: the bar names them itself
    user = UserConfig(keymap={"approve": "y"})
    app = run_app(two_tiers(tmp_path, "manual"), session_dir, user=user)
    async with app.run_test(size=size) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.pause(0.1)
        shown = " ".join(bar_lines(app))
        for key in ("y Approve", "r Retry", "e Escalate", "f Feedback", "x Abort"):
            assert key in shown, shown
        assert "a Approve" not in shown  # the keymap moved it
        await pilot.press("e")
        await wait_phase(pilot, "awaiting", decided=1)
        await pilot.pause(0.1)
        shown = " ".join(bar_lines(app))
        assert "no stronger model left" in shown and "y Approve" in shown
        assert "e Escalate" not in shown  # the last tier: escalate does nothing
        await pilot.press("q")
