"""escalatui: cheap model first, check the answer, escalate only when the check fails."""

__version__ = "0.1.0"
