"""Widgets of the run and replay screens."""
