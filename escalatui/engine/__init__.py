"""The async tier engine. Imports no textual or rich (a test proves it)."""

from escalatui.engine.decisions import Decider, Decision, PolicyDecider, RunControl, ScriptedDecider
from escalatui.engine.runner import Runner

__all__ = ["Decider", "Decision", "PolicyDecider", "RunControl", "Runner", "ScriptedDecider"]
