"""The embedded llama.cpp server in a child process: `python -m escalatui.clients.embedded_server`.

Why a child: `xllamacpp.Server(...)` holds Python's GIL for the whole model load (seconds for a
big GGUF), which would freeze the TUI, and a crash inside llama.cpp would take the TUI with it.

The protocol is one JSON line on stdout, `{"address": "http://127.0.0.1:PORT"}` once the model is
loaded or `{"error": "..."}`, then nothing. The child lives while its stdin is open: the parent
holds the other end, so when the parent exits, however it exits (even SIGKILL), the child reads
EOF and exits too. On Linux the kernel also kills it when the parent dies (PR_SET_PDEATHSIG),
which covers a parent dying while the model is still loading.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from typing import IO, Any

PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; elsewhere the stdin pipe does."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)


def _exit_on_eof() -> None:
    """Block on stdin; EOF means the parent is gone or wants us gone."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def _report_channel() -> IO[str]:
    """Our own copy of stdout for the one report line; fd 1 itself goes to /dev/null so
    nothing llama.cpp prints can corrupt the report or reach the parent's terminal."""
    report = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    return report


def _start(gguf: str, ctx_size: int, idle_s: float) -> Any:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = gguf
    params.n_ctx = ctx_size
    params.n_parallel = 1
    params.port = 0  # the OS picks a free port
    params.hostnames = ["127.0.0.1"]
    params.sleep_idle_seconds = int(idle_s)
    params.verbosity = -1
    return xllamacpp.Server(params)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="escalatui.clients.embedded_server")
    parser.add_argument("gguf")
    parser.add_argument("--ctx-size", type=int, default=4096)
    parser.add_argument("--idle-s", type=float, default=300)
    parser.add_argument("--parent", type=int, default=0)
    args = parser.parse_args(argv)
    # Ctrl+C in the terminal reaches the whole process group; the parent decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if args.parent:
        _die_with_parent(args.parent)
    threading.Thread(target=_exit_on_eof, daemon=True, name="parent-watch").start()
    report = _report_channel()
    try:
        server = _start(args.gguf, args.ctx_size, args.idle_s)
    except ImportError:
        report.write(json.dumps({"error": "xllamacpp is not installed", "kind": "import"}) + "\n")
        report.flush()
        return 1
    except Exception as exc:  # the C++ side raises plain RuntimeError and friends
        report.write(json.dumps({"error": str(exc) or type(exc).__name__}) + "\n")
        report.flush()
        return 1
    report.write(json.dumps({"address": str(server.listening_address)}) + "\n")
    report.flush()
    threading.Event().wait()  # serve until the watcher thread ends the process
    return 0


if __name__ == "__main__":
    sys.exit(main())
