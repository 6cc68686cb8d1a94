"""Start-up time of `escalatui --version` and `escalatui validate demo.toml`, against a bare
`python -c pass` measured in the same run; and proof that neither imports textual.

Prints numbers; asserts nothing about speed. Run: `/tmp/v/bin/python tests/bench/bench_startup.py`
(`--n 20`). `python -X importtime -m escalatui --version` shows where any time goes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "escalatui" / "examples" / "demo.toml"
PY = sys.executable
ESCALATUI = [PY, "-m", "escalatui"]
# Runs the CLI in-process and reports the UI modules it loaded.
UI_PROBE = """
import json, sys
from escalatui.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))))
"""


def run_once(argv: list[str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, timeout=60)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed: {done.stderr.decode()[-500:]}")
    return elapsed


def ui_modules(*args: str) -> list[str]:
    done = subprocess.run(
        [PY, "-c", UI_PROBE, *args], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def top_imports(*args: str, count: int = 6) -> list[tuple[int, str]]:
    """The slowest imports (cumulative microseconds) from `-X importtime`, nested ones too."""
    done = subprocess.run(
        [PY, "-X", "importtime", "-m", "escalatui", *args], capture_output=True, text=True
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or "cumulative" in line:
            continue
        rows.append((int(parts[1]), parts[2].strip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="runs of each command")
    args = parser.parse_args()
    commands = {
        "python -c pass (baseline)": [PY, "-c", "pass"],
        "escalatui --version": [*ESCALATUI, "--version"],
        "escalatui validate demo.toml": [*ESCALATUI, "validate", str(DEMO)],
    }
    for argv in commands.values():  # warm the OS file cache
        run_once(argv)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.n):  # interleaved, so drift hits all alike
        for name, argv in commands.items():
            times[name].append(run_once(argv))
    base = statistics.median(times["python -c pass (baseline)"])
    print(f"python {sys.version.split()[0]}; median of {args.n} runs each (subprocess wall time)")
    for name, samples in times.items():
        median = statistics.median(samples)
        extra = "" if median == base else f"   +{(median - base) * 1000:6.1f} ms over python"
        print(f"  {name:30}: {median * 1000:7.1f} ms  ({median / base:4.1f}x){extra}")
    for label, cli_args in (("--version", ["--version"]), ("validate", ["validate", str(DEMO)])):
        loaded = ui_modules(*cli_args)
        verdict = "OK, not imported" if not loaded else f"IMPORTED: {loaded[:5]}"
        print(f"  textual/rich in `escalatui {label}`: {verdict}")
    print("  slowest imports of `validate` (-X importtime, cumulative, nested included):")
    for micros, name in top_imports("validate", str(DEMO)):
        print(f"    {micros / 1000:7.1f} ms  {name}")


if __name__ == "__main__":
    main()
