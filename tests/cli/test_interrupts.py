"""Ctrl+C held while the TUI starts: remembered, never raised, handed to the app."""

from __future__ import annotations

import os
import signal

import pytest

from escalatui import interrupts


def test_a_sigint_before_the_app_handles_signals_is_remembered_not_raised() -> None:
    before = signal.getsignal(signal.SIGINT)
    with interrupts.held_until_taken() as held:
        assert not held.came
        os.kill(os.getpid(), signal.SIGINT)  # would raise KeyboardInterrupt if not held
        assert held.came
    assert signal.getsignal(signal.SIGINT) is before


def test_a_process_that_ignores_sigint_goes_on_ignoring_it() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupts.held_until_taken() as held:
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGINT)
        assert not held.came
    finally:
        signal.signal(signal.SIGINT, previous)


def test_the_deferred_block_raises_once_it_ends() -> None:
    with pytest.raises(KeyboardInterrupt), interrupts.deferred():
        os.kill(os.getpid(), signal.SIGINT)
