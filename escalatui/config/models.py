"""Pydantic models of task files and the user config; docs/reference.md is generated from
these (field docstrings included), so every key is documented where it is defined."""

from __future__ import annotations

import shutil
from collections.abc import Collection
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from escalatui.config.jsonschema import schema_problems
from escalatui.config.patterns import flag_bits, pattern_error

Provider = Literal["embedded", "openai", "openrouter", "ollama", "llama-swap", "lmstudio", "sim"]
Approval = Literal["auto", "manual", "escalation"]

DEFAULT_FEEDBACK_TEMPLATE = (
    "Previous attempt failed:\n{feedback}\n\nYour previous answer was:\n{answer}\n\n"
    "Answer again, fixing these problems."
)


class Strict(BaseModel):
    """Base for every file-backed model: unknown keys are errors, values never echoed."""

    # Field docstrings become descriptions: in `escalatui schema` and in docs/reference.md.
    # allow_inf_nan=False: a `timeout_s = nan` or `inf` (TOML has both) would never fire.
    model_config = ConfigDict(
        extra="forbid",
        hide_input_in_errors=True,
        frozen=True,
        use_attribute_docstrings=True,
        allow_inf_nan=False,
    )


class ModelSpec(Strict):
    """One model a chain can name: where it runs and how it is called."""

    provider: Provider
    """Which adapter speaks to it."""
    model: str | None = None
    """The provider's own model id (for `embedded`: a GGUF path; default SmolLM2-135M)."""
    base_url: str | None = None
    """Server address as users type it; `/v1` may be given or left out."""
    api_key_env: str | None = None
    """Environment variable holding the key (default per provider). Never the key itself."""
    temperature: float | None = Field(default=None, ge=0, le=2)
    """Sampling temperature."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Cap on completion tokens."""
    timeout_s: float = Field(default=120, gt=0)
    """Whole attempt deadline, retries included; the first token may take all of it, so a
    cold load must fit in it."""
    idle_timeout_s: float = Field(default=60, gt=0)
    """Once output has started: fail when no content arrives for this long. Keep-alive
    comments (`: OPENROUTER PROCESSING`) do not count as content."""
    connect_timeout_s: float = Field(default=10, gt=0)
    """How long to wait for the TCP (and TLS) connection to the server."""
    max_retries: int = Field(default=2, ge=0, le=10)
    """Network-level retries before a response starts (refused, 429, 5xx, ...), with backoff."""
    price_in_per_mtok: float | None = Field(default=None, ge=0)
    """USD per million prompt tokens, when the provider does not report cost."""
    price_out_per_mtok: float | None = Field(default=None, ge=0)
    """USD per million completion tokens, when the provider does not report cost."""
    ctx_size: int | None = Field(default=None, ge=256)
    """Embedded: context window of the server, in tokens."""
    idle_s: float | None = Field(default=None, gt=0)
    """Embedded: seconds idle before the server sleeps (goes cold)."""
    responses: list[str] | None = None
    """Sim: canned answers, one per call (the last repeats)."""
    respond: str | None = None
    """Sim: `module:function(messages) -> str` that writes the answer."""
    delay_s: float = Field(default=0.0, ge=0)
    """Sim: pause between streamed pieces."""
    chunk_chars: int = Field(default=8, ge=1)
    """Sim: characters per streamed piece."""
    cost_usd: float | None = Field(default=None, ge=0)
    """Sim: simulated cost of one attempt."""
    label: str | None = None
    """Display name shown next to the model."""
    max_concurrency: int | None = Field(default=None, ge=1)
    """Streams at once across a batch's items (default 1 for `embedded`, 100 for servers over
    HTTP, no limit for `sim`)."""


class CheckModel(Strict):
    """Base of every check kind: its load-time validation beyond the field types."""

    def problems(self, models: Collection[str]) -> list[tuple[str, str]]:
        """(key under the check, message) for what would make the check fail before any model
        is called; `models` are the task's model names."""
        return []


class ContainsCheck(CheckModel):
    """Passes when the answer contains `text`."""

    kind: Literal["contains"]
    """The check kind."""
    text: str
    """The text the answer must contain."""
    ignore_case: bool = False
    """Compare without regard to case."""
    feedback: str | None = None
    """Feedback sent with the next attempt when the check fails (default: a message saying
    what was missing)."""


class RegexCheck(CheckModel):
    """Passes when `pattern` matches somewhere in the answer (`re.search`, time-limited)."""

    kind: Literal["regex"]
    """The check kind."""
    pattern: str
    """A Python regular expression, matched with `re.search` anywhere in the answer."""
    flags: list[Literal["multiline", "ignorecase", "dotall"]] = Field(default_factory=list)
    """Python's default flags unless named here: `^...$` spans the whole answer."""
    timeout_s: float = Field(default=2.0, gt=0)
    """A match that takes longer is a check error (a runaway pattern never hangs the run)."""
    feedback: str | None = None
    """Feedback sent with the next attempt when the check fails."""

    def problems(self, models: Collection[str]) -> list[tuple[str, str]]:
        error = pattern_error(self.pattern, flag_bits(self.flags))
        return [("pattern", f"regex does not compile: {error}")] if error else []


class JsonCheck(CheckModel):
    """Passes when the answer is valid JSON, matching `schema` if given."""

    model_config = ConfigDict(populate_by_name=True)
    kind: Literal["json"]
    """The check kind."""
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    """A JSON Schema (as a TOML table, any draft) the answer must match; its patterns are
    time-limited (docs/reference.md)."""
    feedback: str | None = None
    """Feedback sent with the next attempt when the check fails (default: what is wrong)."""

    def problems(self, models: Collection[str]) -> list[tuple[str, str]]:
        return [] if self.json_schema is None else schema_problems(self.json_schema)


class CommandCheck(CheckModel):
    """Runs `run` (argv, never a shell string) with the answer on stdin; exit 0 passes."""

    kind: Literal["command"]
    """The check kind."""
    run: list[str] = Field(min_length=1)
    """The program and its arguments (argv list, never run through a shell)."""
    timeout_s: float = Field(default=30.0, gt=0)
    """A command that runs longer is killed and the check is an error."""
    max_output: int = Field(default=4000, ge=100)
    """Characters of the command's output kept as feedback."""
    cwd: str | None = None
    """Working directory, relative to the task file (default: where escalatui was started)."""
    feedback: str | None = None
    """Feedback sent when it fails, followed by the command's output (default: the exit code)."""

    def problems(self, models: Collection[str]) -> list[tuple[str, str]]:
        exe = self.run[0]
        if "/" not in exe and shutil.which(exe) is None:
            return [("run", f"command '{exe}' not found on PATH")]
        return []


class JudgeCheck(CheckModel):
    """Asks an LLM judge whether the answer meets `criteria`; the verdict must be structured."""

    kind: Literal["judge"]
    """The check kind."""
    model: str
    """The model (a `[models.X]` name) that judges."""
    criteria: str
    """What a good answer must do, in plain words."""
    feedback: str | None = None
    """Feedback sent when the judge fails the answer (default: the judge's own reason)."""

    def problems(self, models: Collection[str]) -> list[tuple[str, str]]:
        if self.model in models:
            return []
        defined = ", ".join(sorted(models)) or "none"
        return [("model", f"unknown judge model '{self.model}' (defined: {defined})")]


class PythonCheck(CheckModel):
    """Calls `module:function(answer, context)`; None passes, a string is the feedback."""

    kind: Literal["python"]
    """The check kind."""
    call: str = Field(pattern=r"^[\w.]+:[\w]+$")
    """`module:function`, importable from the task file's directory or the installed packages."""
    timeout_s: float = Field(default=10.0, gt=0)
    """A call that runs longer is a check error."""
    feedback: str | None = None
    """Feedback sent instead of the function's own string when it fails."""


# Every check kind: a new one is its model above plus its place in this union, and its runner
# in escalatui/engine/checks/__init__.py (RUNNERS, keyed by the same kinds).
Check = Annotated[
    ContainsCheck | RegexCheck | JsonCheck | CommandCheck | JudgeCheck | PythonCheck,
    Field(discriminator="kind"),
]
CHECK_MODELS: dict[str, type[CheckModel]] = {
    get_args(model.model_fields["kind"].annotation)[0]: model
    for model in get_args(get_args(Check)[0])
}
"""Each check kind's model, by `kind`, in the order of the union."""
CHECK_KINDS = tuple(CHECK_MODELS)


class Step(Strict):
    """One prompt of a task, with its own chain, retries and checks."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z_][\w-]*$")
    """The step's name; later prompts use its output as `{steps.NAME}`."""
    prompt: str
    """The prompt; placeholders `{input}`, `{previous}`, `{steps.NAME}`; `{{ }}` are braces."""
    chain: list[str] | None = None
    """This step's own chain (default: the task's)."""
    retries: int | None = Field(default=None, ge=0, le=20)
    """This step's own retries (default: the task's)."""
    approval: Approval | None = None
    """This step's own approval mode (default: the task's)."""
    system: str | None = None
    """This step's own system prompt (default: the task's)."""
    checks: list[Check] = Field(default_factory=list)
    """Every check must pass for the answer to be accepted (none: the first answer is)."""
    accept_truncated: bool | None = None
    """Check an answer cut at the token limit like any other (default: the task's)."""
    skip_below: float | None = Field(default=None, ge=0, le=1)
    """Learned chain (opt-in): skip a tier whose recent accept rate on this step is below this
    (0.05 = 5%); one try in ten still calls it so the estimate stays fresh."""
    min_samples: int = Field(default=20, ge=1)
    """Decided attempts of a tier on this step before `skip_below` may skip it."""


class Task(Strict):
    """A task file."""

    name: str = Field(min_length=1)
    """The task's name (in listings and session file names)."""
    description: str = ""
    """One line shown on the home screen."""
    input: str = ""
    """The default `{input}`; `--input` and `--input-file` replace it."""
    chain: list[str] | None = None
    """Model names, cheapest first: the default chain of every step."""
    retries: int = Field(default=0, ge=0, le=20)
    """Extra attempts on the same model before escalating to the next."""
    approval: Approval = "auto"
    """Who decides: `auto` the checks, `manual` a person after every attempt, `escalation` a
    person before each escalation."""
    budget_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """Hard cap in USD for the whole run; no paid attempt starts once it is spent."""
    system: str | None = None
    """The default system prompt of every step."""
    feedback_template: str = DEFAULT_FEEDBACK_TEMPLATE
    """What a retry or escalation adds to the prompt; placeholders `{feedback}`, `{answer}`."""
    accept_truncated: bool = False
    """Check an answer cut at the token limit like any other; else it is incomplete, retried."""
    models: dict[str, ModelSpec] = Field(default_factory=dict)
    """The models chains and judges can name (`[models.NAME]`)."""
    steps: list[Step] = Field(min_length=1)
    """The prompts, run in order (`[[steps]]`)."""

    def chain_for(self, step: Step) -> list[str]:
        """The chain a step runs: its own, else the task's."""
        return list(step.chain if step.chain is not None else self.chain or [])


class UserConfig(Strict):
    """The user config file: models shared by all tasks, keys, keys bindings, theme."""

    models: dict[str, ModelSpec] = Field(default_factory=dict)
    """Models every task can name; a task's own `[models.X]` of the same name wins."""
    keys: dict[str, SecretStr] = Field(default_factory=dict)
    """API keys by provider name (`openrouter = "..."`); the environment wins."""
    keymap: dict[str, str] = Field(default_factory=dict)
    """Binding id -> key, e.g. `approve = "y"`."""
    theme: str | None = None
    """The TUI theme (`--theme` wins)."""
    session_dir: str | None = None
    """Where session logs go (`--session-dir` and `ESCALATUI_SESSION_DIR` win)."""
    trusted_hosts: list[str] = Field(default_factory=list)
    """Hosts (`name` or `name:port`) that may receive API keys for a model whose task file points
    a provider somewhere other than its own host. Only the user config can say so."""
