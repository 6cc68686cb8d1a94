"""Command line: parse arguments, build objects, run.

Imports are lazy: `--version` and `--help` load nothing beyond argparse, `validate` only the
config models, and the TUI (textual) only when a screen is shown.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalatui import __version__

if TYPE_CHECKING:
    from escalatui.config import UserConfig

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="escalatui",
        description="Run LLM tasks cheapest model first; check, escalate, watch and steer.",
    )
    parser.add_argument("--version", action="version", version=f"escalatui {__version__}")
    parser.add_argument("--theme", help="TUI theme name")
    parser.add_argument("--session-dir", type=Path, help="where session logs are kept")
    sub = parser.add_subparsers(dest="command")

    def run_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--headless", action="store_true", help="no TUI: a line per attempt")
        p.add_argument("--json", action="store_true", help="headless, one JSON event per line")
        p.add_argument("--input", help="the task's {input}")
        p.add_argument("--input-file", type=Path, help="read {input} from a file")
        p.add_argument("--approval", choices=["auto", "manual", "escalation"])
        p.add_argument("--session-dir", type=Path, default=argparse.SUPPRESS)
        p.add_argument("--theme", default=argparse.SUPPRESS)

    run = sub.add_parser("run", help="run a task file")
    run.add_argument("task", type=Path)
    run_options(run)
    demo = sub.add_parser("demo", help="the bundled demo on the embedded local model")
    run_options(demo)
    replay = sub.add_parser("replay", help="replay a saved session")
    replay.add_argument("session", type=Path)
    replay.add_argument("--headless", action="store_true")
    replay.add_argument("--json", action="store_true")
    replay.add_argument("--theme", default=argparse.SUPPRESS)
    batch = sub.add_parser("batch", help="run a task over every input of a file")
    batch.add_argument("task", type=Path, help="the task file")
    batch.add_argument(
        "--inputs", type=Path, required=True, help=".jsonl, .csv (with a header) or .txt"
    )
    batch.add_argument(
        "--input-column", default="input", help="the CSV column that is {input} (default input)"
    )
    batch.add_argument("--concurrency", type=_positive_int, default=4, help="items at once")
    batch.add_argument(
        "--results",
        type=Path,
        help="results JSONL (default: INPUTS.results.jsonl); rerun with the same file to resume",
    )
    batch.add_argument(
        "--retry-failed", action="store_true", help="on resume, run failed items again"
    )
    batch.add_argument("--limit", type=_positive_int, help="run at most N items")
    batch.add_argument("--shard", help="K/N: run only shard K of N (split by item id)")
    batch.add_argument(
        "--budget-total", type=float, help="USD: start no new item once the batch spent this"
    )
    batch.add_argument("--headless", action="store_true", help="no TUI: a line per item")
    batch.add_argument("--json", action="store_true", help="headless, one JSON event per line")
    batch.add_argument("--approval", choices=["auto", "manual", "escalation"])
    batch.add_argument("--session-dir", type=Path, default=argparse.SUPPRESS)
    batch.add_argument("--theme", default=argparse.SUPPRESS)
    stats = sub.add_parser("stats", help="what saved sessions say about each chain")
    stats.add_argument(
        "dirs", type=Path, nargs="*", help="session dirs to read together (default: yours)"
    )
    stats.add_argument("--task", help="only sessions of the task with this name")
    stats.add_argument("--since", help="only sessions started on or after this date (UTC)")
    stats.add_argument("--json", action="store_true", help="one JSON object")
    stats.add_argument("--session-dir", type=Path, default=argparse.SUPPRESS)
    validate = sub.add_parser("validate", help="check task files, run nothing")
    validate.add_argument("tasks", type=Path, nargs="+")
    sessions = sub.add_parser("sessions", help="list saved sessions")
    sessions.add_argument("--json", action="store_true")
    sessions.add_argument("--session-dir", type=Path, default=argparse.SUPPRESS)
    return parser


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from escalatui.config import ConfigError

    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _user_config() -> UserConfig:
    from escalatui import paths
    from escalatui.config import load_user_config

    return load_user_config(paths.config_file())


def _session_dir(args: argparse.Namespace, user: UserConfig) -> Path:
    given = getattr(args, "session_dir", None)
    if given:
        return Path(given)
    if user.session_dir:
        return Path(user.session_dir).expanduser()
    from escalatui import paths

    return paths.session_dir()


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command == "validate":
        return _validate(args.tasks)
    if command == "sessions":
        return _sessions(args)
    if command == "replay":
        return _replay(args)
    if command == "stats":
        return _stats(args)
    from escalatui.config import load_task

    user = _user_config()
    if command == "batch":
        return _batch(args, user)
    if command in ("run", "demo"):
        if command == "demo":
            from escalatui.demo import demo_note, demo_task

            loaded = demo_task()
            if args.headless or args.json:
                print(demo_note(loaded), file=sys.stderr)
        else:
            loaded = load_task(args.task, user)
        task_input = _task_input(args)
        if args.headless or args.json:
            from escalatui.run_headless import run_headless

            return run_headless(
                loaded, user, _session_dir(args, user), task_input, args.approval, args.json
            )
        return _tui(args, user, loaded=loaded, task_input=task_input)
    return _tui(args, user)


def _batch(args: argparse.Namespace, user: UserConfig) -> int:
    import math

    from escalatui.batch.command import PlanError, open_batch, plan_batch, run_batch_headless
    from escalatui.batch.inputs import parse_shard
    from escalatui.config import load_task

    loaded = load_task(args.task, user)
    try:
        shard = parse_shard(args.shard) if args.shard else None
        if args.budget_total is not None and not (
            math.isfinite(args.budget_total) and args.budget_total >= 0
        ):
            raise ValueError("--budget-total takes a finite amount of USD >= 0")
        plan = plan_batch(
            loaded,
            args.inputs,
            input_column=args.input_column,
            results=args.results,
            shard=shard,
            limit=args.limit,
            retry_failed=args.retry_failed,
        )
    except (PlanError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    options = {
        "concurrency": args.concurrency,
        "approval": args.approval,
        "budget_total": args.budget_total,
    }
    session_dir = _session_dir(args, user)
    if args.headless or args.json:
        return run_batch_headless(loaded, user, session_dir, plan, json_mode=args.json, **options)
    batch = open_batch(loaded, user, session_dir, plan, **options)
    if isinstance(batch, int):
        return batch
    try:
        code = _tui(args, user, batch=batch)
    finally:
        if batch.results is not None:
            batch.results.close()
    if batch.finished is not None:  # the screen is gone: what it ended with, on the terminal
        from escalatui.batch.printer import summary

        print(summary(batch.finished))
    print(f"results: {plan.results}", file=sys.stderr)
    return code


def _task_input(args: argparse.Namespace) -> str | None:
    from escalatui.config import ConfigError, Problem

    if args.input_file is not None:
        try:
            return str(args.input_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(args.input_file, [Problem("", f"cannot read input: {exc}")]) from None
    return args.input


def _validate(files: list[Path]) -> int:
    from escalatui.config import ConfigError, load_task

    user = _user_config()
    bad = 0
    for path in files:
        try:
            load_task(path, user)
        except ConfigError as exc:
            bad += 1
            print(exc.render(), file=sys.stderr)
        else:
            print(f"{path}: ok")
    return EXIT_BAD_INPUT if bad else EXIT_OK


def _sessions(args: argparse.Namespace) -> int:
    import json

    from escalatui.headless import inert
    from escalatui.session import list_sessions

    found = list_sessions(_session_dir(args, _user_config()))
    if args.json:
        print(json.dumps([s.as_dict() for s in found], indent=None))
        return EXIT_OK
    if not found:
        print("no sessions yet")
    for s in found:
        cost = "$?" if s.cost_usd is None else f"${s.cost_usd:.4f}"
        print(
            f"{inert(s.started_at):24} {inert(s.status):10} {s.attempts:3} attempts {cost:>9}  "
            f"{inert(s.task)}  {s.path}"
        )
    return EXIT_OK


def _stats(args: argparse.Namespace) -> int:
    import json

    from escalatui.stats import collect, parse_since, render

    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    dirs = args.dirs or [_session_dir(args, _user_config())]
    stats = collect(dirs, args.task, since)
    for problem in stats.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps(stats.as_dict(), allow_nan=False))
    else:
        print(render(stats))
    return EXIT_OK


def _replay(args: argparse.Namespace) -> int:
    from escalatui.headless import HeadlessPrinter
    from escalatui.session import read_session

    try:
        result = read_session(args.session)
    except OSError as exc:
        print(f"{args.session}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for problem in result.problems:
        print(f"{args.session}: {problem}", file=sys.stderr)
    if not result.events:
        print(f"{args.session}: no session records found", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.headless or args.json:
        printer = HeadlessPrinter(json_mode=args.json)
        for event in result.events:
            try:
                printer(event)
            except (TypeError, ValueError) as exc:  # a hand-edited or damaged record
                print(
                    f"{args.session}: cannot show a {type(event).__name__}: {exc}", file=sys.stderr
                )
        return EXIT_OK
    return _tui(args, _user_config(), replay=result)


def _tui(args: argparse.Namespace, user: UserConfig, **kw: Any) -> int:
    try:
        from escalatui.tui.app import make_app
    except ImportError as exc:
        print(f"the TUI is not available ({exc}); use --headless", file=sys.stderr)
        return EXIT_BAD_INPUT
    app = make_app(
        user=user,
        theme=getattr(args, "theme", None),
        session_dir=_session_dir(args, user),
        approval=getattr(args, "approval", None),
        **kw,
    )
    code = app.run()
    # No code means the app stopped on an error (Textual printed it): return_code is then 1.
    return int(code) if isinstance(code, int) else (app.return_code or EXIT_OK)
