"""The TUI's live run is an adapter over the run service, not over the headless runner."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(60)

PROBE = """
import sys
import escalatui.tui.app, escalatui.tui.screens.run, escalatui.tui.live_run
print(sorted(m for m in sys.modules if m in ("escalatui.run_headless", "escalatui.run_session")))
"""


def test_the_run_screen_uses_the_run_service_and_not_the_headless_runner() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=50)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['escalatui.run_session']"
