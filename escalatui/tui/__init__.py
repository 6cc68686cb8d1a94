"""The Textual TUI: home, run and replay screens over the engine's events."""
