"""The async tier engine. Imports no textual or rich (a test proves it).

The names below load on first use: importing `escalatui.engine.events` (as the TUI's home and
replay screens do) must not pull in the runner, the providers and their HTTP stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from escalatui.engine.decisions import Decider, Decision, RunControl
    from escalatui.engine.policy import PolicyDecider
    from escalatui.engine.runner import Runner

__all__ = ["Decider", "Decision", "PolicyDecider", "RunControl", "Runner"]
_HOME = {name: "escalatui.engine.decisions" for name in ("Decider", "Decision", "RunControl")}
_HOME["PolicyDecider"] = "escalatui.engine.policy"
_HOME["Runner"] = "escalatui.engine.runner"


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
