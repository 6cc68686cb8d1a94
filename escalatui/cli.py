"""Command line: parse arguments, build objects, run.

Imports are lazy: `--version` and `--help` load nothing beyond argparse, `validate` only the
config models, and the TUI (textual) only when a screen is shown.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalatui import __version__, interrupts

if TYPE_CHECKING:
    from escalatui.config import LoadedTask, UserConfig

EXIT_OK, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 2, 130
EXIT_BROKEN_PIPE = 141  # what a shell reports for a tool ended by SIGPIPE
# Local tiers `new` can write. Kept here, not in starter.py, so `--help` loads nothing else.
STARTER_PROVIDERS = ["embedded", "ollama", "lmstudio", "llama-swap", "openai"]


EPILOG = """\
exit codes:
  0    every step accepted (validate: every file is valid)
  1    the run failed: chain exhausted, answer rejected or aborted (x), budget spent
  2    bad input: task file, config, arguments, session dir, a tier that cannot run;
       --approval manual|escalation with --headless when stdin is not a terminal
  130  interrupted: q, Ctrl+C, SIGTERM, SIGHUP (a `cancelled` run record is written),
       or a headless run whose output reader went away
  141  the reader of the output went away (`escalatui sessions | head -1`)

environment:
  ESCALATUI_CONFIG       the user config file (default: config.toml in the user config dir)
  ESCALATUI_SESSION_DIR  where session logs go (--session-dir wins)
  OPENROUTER_API_KEY     key for `openrouter` models (or `api_key_env`, or [keys] in the config)
  OPENAI_API_KEY         key for `openai` models at api.openai.com

examples:
  escalatui new summarise && escalatui validate summarise.toml
  escalatui run summarise.toml --headless --input-file notes.txt

Task files, the user config and the session log: docs/reference.md (linked from the README).
"""
REFERENCE = "Every task-file key is described in docs/reference.md (linked from the README)."
APPROVAL_HELP = (
    "who decides, overriding the task: auto = the checks; manual = a person after every "
    "attempt; escalation = a person before each escalation (headless: asked on the terminal)"
)


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="escalatui",
        description="Run LLM tasks cheapest model first; check, escalate, watch and steer. "
        "With no command: the TUI home (task files and past sessions).",
        epilog=EPILOG,
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"escalatui {__version__}")
    parser.add_argument("--theme", help="TUI theme name (e.g. escalatui-light)")
    parser.add_argument(
        "--session-dir", type=_dir_arg, help="where session logs are kept (default: user data dir)"
    )
    sub = parser.add_subparsers(
        dest="command", title="commands", metavar="COMMAND", help="none: the TUI home"
    )

    def run_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--headless", action="store_true", help="no TUI: a line per attempt")
        p.add_argument("--json", action="store_true", help="headless, one JSON event per line")
        p.add_argument("--input", help="the task's {input} (replaces the task's `input` key)")
        p.add_argument("--input-file", type=Path, help="read {input} from a file (UTF-8)")
        p.add_argument("--approval", choices=["auto", "manual", "escalation"], help=APPROVAL_HELP)
        p.add_argument(
            "--session-dir",
            type=_dir_arg,
            default=argparse.SUPPRESS,
            help="where the session log goes (default: ESCALATUI_SESSION_DIR, the config, the "
            "user data dir)",
        )
        p.add_argument("--theme", default=argparse.SUPPRESS, help="TUI theme name")

    run = sub.add_parser(
        "run",
        help="run a task file",
        description="Run a task file: in the TUI, or with --headless / --json in plain text.",
        epilog=REFERENCE,
        formatter_class=raw,
    )
    run.add_argument("task", type=Path, help="the task file (TOML)")
    run_options(run)
    demo = sub.add_parser(
        "demo",
        help="the bundled demo on the embedded local model",
        description="The bundled demo: SmolLM2-135M in-process, then a stronger tier (OpenRouter "
        "when OPENROUTER_API_KEY is set, else a simulated model, labelled as such).",
    )
    run_options(demo)
    replay = sub.add_parser(
        "replay", help="replay a saved session", description="Replay a saved session log."
    )
    replay.add_argument("session", type=Path, help="a session log (.jsonl)")
    replay.add_argument("--headless", action="store_true", help="print it instead of the TUI")
    replay.add_argument("--json", action="store_true", help="print its records, one per line")
    replay.add_argument("--theme", default=argparse.SUPPRESS, help="TUI theme name")
    validate = sub.add_parser(
        "validate",
        help="check task files, run nothing",
        description="Check task files and print every problem with its line; warn about tiers "
        "whose API key is not set. Exit 0 when every file is valid, 2 otherwise.",
        epilog=REFERENCE,
    )
    validate.add_argument("tasks", type=Path, nargs="+", help="task files (TOML)")
    sessions = sub.add_parser(
        "sessions", help="list saved sessions", description="List saved sessions, newest first."
    )
    sessions.add_argument("--json", action="store_true", help="a JSON array, for scripts")
    sessions.add_argument(
        "--session-dir", type=_dir_arg, default=argparse.SUPPRESS, help="where to look"
    )
    new = sub.add_parser(
        "new",
        help="write a commented starter task file",
        description="Write NAME.toml: a local tier, a cloud tier and a check of each common kind, "
        "commented. It refuses to overwrite a file.",
        epilog=REFERENCE,
    )
    new.add_argument(
        "name", nargs="?", default="task", help="the file to write (NAME.toml; default: task)"
    )
    new.add_argument(
        "--provider",
        choices=STARTER_PROVIDERS,
        default="embedded",
        help="provider of the local tier (default: embedded, no server needed)",
    )
    new.add_argument(
        "--cloud",
        choices=["openrouter", "sim"],
        default=None,
        help="the second tier the chain uses (default: openrouter when OPENROUTER_API_KEY is "
        "set, else a simulated stand-in; both are in the file)",
    )
    batch = sub.add_parser("batch", help="run a task over every input of a file")
    batch.add_argument("task", type=Path, help="the task file (TOML)")
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
    batch.add_argument("--approval", choices=["auto", "manual", "escalation"], help=APPROVAL_HELP)
    batch.add_argument(
        "--session-dir", type=_dir_arg, default=argparse.SUPPRESS, help="where the sessions go"
    )
    batch.add_argument("--theme", default=argparse.SUPPRESS, help="TUI theme name")
    stats = sub.add_parser("stats", help="what saved sessions say about each chain")
    stats.add_argument(
        "dirs", type=Path, nargs="*", help="session dirs to read together (default: yours)"
    )
    stats.add_argument("--task", help="only sessions of the task with this name")
    stats.add_argument("--since", help="only sessions started on or after this date (UTC)")
    stats.add_argument("--json", action="store_true", help="one JSON object")
    stats.add_argument(
        "--session-dir", type=_dir_arg, default=argparse.SUPPRESS, help="where to look"
    )
    sub.add_parser(
        "schema",
        help="print the JSON Schema of task files (for editors)",
        description="Print the JSON Schema of task files. Save it (escalatui schema > "
        "task.schema.json) and put `#:schema ./task.schema.json` at the top of a task file for "
        "completion and checking in Taplo / Even Better TOML.",
    )
    return parser


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def _dir_arg(text: str) -> Path:
    """A directory argument: an empty one is a mistake (it would silently mean `.`)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return Path(text)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code. Ctrl+C at any moment (even while modules
    load) is exit 130 without a traceback; a reader that went away (`| head`) is 141."""
    try:
        with interrupts.deferred():
            _fill_closed_std_fds()
            args = build_parser().parse_args(argv)
            _preload(args.command, args)
        from escalatui.config import ConfigError

        try:
            return _dispatch(args)
        except ConfigError as exc:
            print(exc.render(), file=sys.stderr)
            return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _stdout_to_devnull()
        return EXIT_BROKEN_PIPE


def _preload(command: str | None, args: argparse.Namespace) -> None:
    """Import what the command will use while Ctrl+C is held (see escalatui.interrupts)."""
    if command is not None:  # the home screen loads task files after its first frame
        import escalatui.config.loader  # noqa: F401

    headless = getattr(args, "headless", False) or getattr(args, "json", False)
    if command in (None, "run", "demo", "replay", "batch") and not headless:
        with contextlib.suppress(ImportError):  # _tui() says what is missing
            import escalatui.tui.app  # noqa: F401
    elif command in ("run", "demo"):
        import escalatui.run_headless  # noqa: F401
    elif command == "replay":
        import escalatui.headless  # noqa: F401
        import escalatui.session  # noqa: F401


def _fill_closed_std_fds() -> None:
    """A closed stdin, stdout or stderr (`>&-`) gets /dev/null. Otherwise the next file opened
    (the session log) would take its number, and output or a check's child would write into it."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    for name, fd, mode in (("stdin", 0, "r"), ("stdout", 1, "w"), ("stderr", 2, "w")):
        if getattr(sys, name) is None:  # Python found the descriptor closed at startup
            setattr(sys, name, open(fd, mode, closefd=False))  # noqa: SIM115


def _stdout_to_devnull() -> None:
    """After a broken pipe: flushing stdout at exit must not complain again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


def _user_config() -> UserConfig:
    from escalatui import paths
    from escalatui.config import load_user_config

    return load_user_config(paths.config_file())


def _user_config_if_any() -> UserConfig | None:
    """The user config, or None when there is no config file: the TUI then uses the defaults
    without importing the config models before its first frame."""
    from escalatui import paths

    return _user_config() if paths.config_file().exists() else None


def _session_dir(args: argparse.Namespace, user: UserConfig | None) -> Path:
    given = getattr(args, "session_dir", None)
    if given:
        return Path(given)
    if user is not None and user.session_dir:
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
    if command == "schema":
        return _schema()
    if command == "new":
        from escalatui.starter import write_starter

        return write_starter(args.name, args.provider, args.cloud)
    if command not in ("run", "demo", "batch"):
        return _tui(args, _user_config_if_any())  # the home screen
    from escalatui.config import load_task

    with interrupts.deferred():  # reading the config and the task is start-up too
        user = _user_config()
        if command == "batch":
            loaded = load_task(args.task, user)
            if _refuse_missing_keys(loaded, user):
                return EXIT_BAD_INPUT
        elif command == "demo":
            from escalatui.demo import demo_note, demo_task

            loaded = demo_task()
            note = demo_note(loaded)
            if args.headless or args.json:
                print(note, file=sys.stderr)
        else:
            loaded = load_task(args.task, user)
            note = None
            if _refuse_missing_keys(loaded, user):
                return EXIT_BAD_INPUT
    if command == "batch":  # out of the held block: Ctrl+C stops the batch, not only its start
        return _batch(args, user, loaded)
    from escalatui.run_session import RunRequest

    request = RunRequest(
        loaded,
        user,
        _session_dir(args, user),
        input=_task_input(args),  # not held: a FIFO or a device may block
        approval=args.approval,
        theme=getattr(args, "theme", None),
    )
    if args.headless or args.json:
        from escalatui.run_headless import run_headless

        return run_headless(request, args.json)
    return _tui(args, user, request=request, notice=note)


def _batch(args: argparse.Namespace, user: UserConfig, loaded: LoadedTask) -> int:
    import math

    from escalatui.batch.command import PlanError, open_batch, plan_batch, run_batch_headless
    from escalatui.batch.inputs import parse_shard

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
    from escalatui.config.reading import read_input_file

    if args.input_file is not None:
        return read_input_file(args.input_file)
    return args.input


def _validate(files: list[Path]) -> int:
    from escalatui.config import ConfigError, load_task
    from escalatui.inert import inert
    from escalatui.preflight import key_gaps, key_ring

    user = _user_config()
    bad = 0
    for path in files:
        try:
            loaded = load_task(path, user)
        except ConfigError as exc:
            bad += 1
            print(exc.render(), file=sys.stderr)
        else:
            print(inert(f"{path}: ok"))
            for gap in key_gaps(loaded.task, key_ring(user)):
                print(
                    inert(f"{path}:{_line(path, gap.where)}warning: {gap.where}: {gap.message()}"),
                    file=sys.stderr,
                )
    return EXIT_BAD_INPUT if bad else EXIT_OK


def _line(path: Path, where: str) -> str:
    """`N: ` for the line a dotted path was written on (a file that just validated), else ` `."""
    from escalatui.config.lines import key_lines, line_of

    try:
        line = line_of(where.split("."), key_lines(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        line = None
    return f"{line}: " if line else " "


def _refuse_missing_keys(loaded: LoadedTask, user: UserConfig) -> bool:
    """True (after saying why) when a tier or judge can never get its key: the run would
    spend the cheap tiers and then fail."""
    from escalatui.preflight import key_gaps, key_ring

    fatal = [g for g in key_gaps(loaded.task, key_ring(user)) if g.fatal]
    for gap in fatal:
        print(f"{loaded.path}: error: {gap.where}: {gap.message()}", file=sys.stderr)
    if fatal:
        print(
            "not started: set the key (or add it under [keys] in the user config), or take "
            "that model out of the chain",
            file=sys.stderr,
        )
    return bool(fatal)


def _schema() -> int:
    import json

    from escalatui.config.task_schema import task_json_schema

    print(json.dumps(task_json_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK


def _sessions(args: argparse.Namespace) -> int:
    from escalatui.engine.events import strict_json
    from escalatui.formatting import usd_total
    from escalatui.inert import inert
    from escalatui.session import scan_sessions

    found, skipped = scan_sessions(_session_dir(args, _user_config()))
    for problem in skipped:
        print(inert(problem), file=sys.stderr)
    if args.json:
        print(strict_json([s.as_dict() for s in found]))
        return EXIT_OK
    if not found:
        print("no sessions yet")
    for s in found:
        cost = usd_total(s.cost_usd, s.cost_unknown)
        print(
            f"{inert(s.started_at):24} {inert(s.status):10} {s.attempts:3} attempts {cost:>9}  "
            f"{inert(s.task)}  {inert(s.path)}"
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
    if not (args.headless or args.json):
        # The TUI reads the log after its first frame (a long session takes a while to read).
        from escalatui.files import open_regular
        from escalatui.inert import inert

        try:  # never blocks: a FIFO or a device is refused, not waited on
            os.close(open_regular(args.session))
        except OSError as exc:
            print(inert(f"{args.session}: cannot read: {exc.strerror or exc}"), file=sys.stderr)
            return EXIT_BAD_INPUT
        return _tui(args, _user_config_if_any(), replay_path=args.session)
    from escalatui.headless import HeadlessPrinter
    from escalatui.inert import inert
    from escalatui.session import read_session

    name = inert(args.session)
    try:
        result = read_session(args.session)
    except OSError as exc:
        print(f"{name}: cannot read: {inert(exc.strerror or exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for problem in result.problems:
        print(f"{name}: {inert(problem)}", file=sys.stderr)
    if not result.events:
        print(f"{name}: no session records found", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.headless or args.json:
        printer = HeadlessPrinter(json_mode=args.json)
        for event in result.events:
            try:
                printer(event)
            except (TypeError, ValueError) as exc:  # a hand-edited or damaged record
                print(
                    inert(f"{name}: cannot show a {type(event).__name__}: {exc}"), file=sys.stderr
                )
        return EXIT_OK
    return _tui(args, _user_config_if_any(), replay=result)


def _tui(args: argparse.Namespace, user: UserConfig | None, **kw: Any) -> int:
    try:
        from escalatui.tui.app import make_app
    except ImportError as exc:
        print(f"the TUI is not available ({exc}); use --headless", file=sys.stderr)
        return EXIT_BAD_INPUT
    if kw.get("request") is None:  # the request carries these when there is one
        kw.update(
            user=user,
            theme=getattr(args, "theme", None),
            session_dir=_session_dir(args, user),
            approval=getattr(args, "approval", None),
        )
    app = make_app(**kw)
    with interrupts.held_until_taken() as held:
        app.early_signal = held
        code = app.run()
    app.end_if_signalled(code)  # the terminal may be gone: no slow clean-up for no one
    for summary in app.exit_summaries():  # the terminal is ours again: say what happened
        print(summary)
    # No code means the app stopped on an error (Textual printed it): return_code is then 1.
    return int(code) if isinstance(code, int) else (app.return_code or EXIT_OK)
