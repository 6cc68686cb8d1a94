# ruff: noqa: E501  (the starter template holds TOML lines as a user would write them)
"""`escalatui new`: a commented starter task file that validates and runs as written."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# The local tier per provider: the lines under `[models.local]`.
LOCAL_TIERS = {
    "embedded": [
        'provider = "embedded"            # SmolLM2-135M in-process (llama.cpp): no server, no key',
        '# model = "models/other.gguf"    # any GGUF file instead, relative to this file',
    ],
    "ollama": [
        'provider = "ollama"              # `ollama serve` on http://127.0.0.1:11434',
        'model = "qwen2.5:0.5b"           # a model you have pulled (`ollama pull qwen2.5:0.5b`)',
    ],
    "lmstudio": [
        'provider = "lmstudio"            # LM Studio\'s server on http://127.0.0.1:1234',
        'model = "qwen2.5-0.5b-instruct"  # a model id LM Studio lists',
    ],
    "llama-swap": [
        'provider = "llama-swap"',
        'base_url = "http://127.0.0.1:8080"',
        'model = "qwen2.5-0.5b"           # a model name from your llama-swap config',
    ],
    "openai": [
        'provider = "openai"              # any OpenAI-compatible /v1/chat/completions server',
        'base_url = "http://127.0.0.1:8080/v1"',
        'model = "local-model"',
        '# api_key_env = "MY_SERVER_KEY"  # if the server wants a key: the variable holding it',
    ],
}

TEMPLATE = """\
# A starter task written by `escalatui new`. Every key is described in docs/reference.md
# (linked from the README). Check it with `escalatui validate {file}`, run it with
# `escalatui run {file}` (add --headless for plain text).
# Editor completion: `escalatui schema > task.schema.json`, then make the first line
# `#:schema ./task.schema.json` (Taplo / Even Better TOML).

name = {name}
description = "Name the capital of a country, as JSON"
input = "France"                       # the default {{input}}; --input / --input-file replace it
chain = ["local", "{cloud}"]          # cheapest first; {chain_note}
retries = 1                            # one more try on the same model before escalating
approval = "auto"                      # auto | manual | escalation
# budget_usd = 0.05                    # stop paid attempts once this much is spent
# system = "You answer briefly."       # system prompt for every step

[models.local]
{local}
temperature = 0.0
max_tokens = 60
timeout_s = 120                        # the whole attempt, a cold model load included

[models.cloud]
provider = "openrouter"                # key: OPENROUTER_API_KEY, or [keys] in the user config
model = "openai/gpt-4o-mini"
temperature = 0.0
max_tokens = 100

[models.cloud-sim]
provider = "sim"                       # a SIMULATED stand-in: no network, always labelled so
label = "cloud (SIMULATED)"
responses = ['{{"capital": "Paris"}}']

[[steps]]
name = "answer"
prompt = \"\"\"
Country: {{input}}
Reply with exactly one JSON object of the form {{{{"capital": "<city>"}}}} and nothing else.
\"\"\"
# Later steps can use {{previous}} (this step's answer) or {{steps.answer}}.

  [[steps.checks]]                     # every check must pass; a failed one's feedback goes
  kind = "json"                        # into the next attempt
  schema = {{ type = "object", required = ["capital"], properties = {{ capital = {{ type = "string", minLength = 2 }} }} }}
  feedback = 'Reply with only a JSON object like {{"capital": "Rome"}}.'

  [[steps.checks]]
  kind = "regex"                       # re.search; ^ and $ are the whole answer
  pattern = '"capital"\\s*:\\s*"[A-Z]'
  feedback = "The city name starts with a capital letter."

  [[steps.checks]]
  kind = "command"                     # argv (no shell), the answer on stdin, exit 0 passes
  run = ["{python}", "-c", "import sys; sys.exit(0 if len(sys.stdin.read()) < 200 else 'Keep the answer under 200 characters.')"]
  timeout_s = 10

  # [[steps.checks]]
  # kind = "contains"
  # text = "Paris"
  # ignore_case = true

  # [[steps.checks]]
  # kind = "judge"                     # another model judges; its cost counts too
  # model = "cloud"
  # criteria = "The city is the capital of the country in the input."

  # [[steps.checks]]
  # kind = "python"                    # module:function(answer, context) -> None or feedback
  # call = "my_checks:capital_ok"      # my_checks.py beside this file
"""


def starter_text(file_name: str, provider: str = "embedded", cloud: str = "openrouter") -> str:
    """The starter task; `cloud` is `openrouter` or `sim` (which model the chain's second tier
    names: both are defined, so switching is a one-word edit)."""
    chain_note = (
        'no OPENROUTER_API_KEY? use "cloud-sim"'
        if cloud == "openrouter"
        else 'with OPENROUTER_API_KEY set, use "cloud"'
    )
    return TEMPLATE.format(
        file=file_name,
        name=json.dumps(Path(file_name).stem, ensure_ascii=False),
        cloud="cloud" if cloud == "openrouter" else "cloud-sim",
        chain_note=chain_note,
        local="\n".join(LOCAL_TIERS[provider]),
        python="python" if sys.platform == "win32" else "python3",
    )


def write_starter(name: str, provider: str, cloud: str | None) -> int:
    """Write NAME.toml (never over an existing file); the exit code."""
    if not name.strip() or any(ch < " " or "\x7f" <= ch <= "\x9f" for ch in name):
        print(
            "new: the name must be printable text, e.g. `escalatui new summarise`", file=sys.stderr
        )
        return 2
    path = Path(name if name.endswith(".toml") else f"{name}.toml")
    if cloud is None:
        cloud = "openrouter" if os.environ.get("OPENROUTER_API_KEY", "").strip() else "sim"
    text = starter_text(path.name, provider, cloud)
    try:
        with open(path, "x", encoding="utf-8") as f:  # "x": fails if the file exists
            f.write(text)
    except FileExistsError:
        print(f"{path}: already exists; choose another name", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{path}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return 2
    tier = "OpenRouter" if cloud == "openrouter" else "a SIMULATED model (no key set)"
    print(f"wrote {path}: local tier {provider}, tier 2 {tier}")
    print(f"next: escalatui validate {path} && escalatui run {path}")
    return 0
