"""Pydantic models of task files and the user config (SPEC §3)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

Provider = Literal["embedded", "openai", "openrouter", "ollama", "llama-swap", "lmstudio", "sim"]
Approval = Literal["auto", "manual", "escalation"]

DEFAULT_FEEDBACK_TEMPLATE = (
    "Previous attempt failed:\n{feedback}\n\nYour previous answer was:\n{answer}\n\n"
    "Answer again, fixing these problems."
)


class Strict(BaseModel):
    """Base for every file-backed model: unknown keys are errors, values never echoed."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, frozen=True)


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
    """Context window for the embedded server."""
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
    """Streams at once across a batch's items (default 1 for `embedded`, else no limit)."""


class ContainsCheck(Strict):
    """Passes when the answer contains `text`."""

    kind: Literal["contains"]
    text: str
    ignore_case: bool = False
    feedback: str | None = None


class RegexCheck(Strict):
    """Passes when `pattern` matches somewhere in the answer (time-limited)."""

    kind: Literal["regex"]
    pattern: str
    timeout_s: float = Field(default=2.0, gt=0)
    feedback: str | None = None


class JsonCheck(Strict):
    """Passes when the answer is valid JSON, matching `schema` if given."""

    model_config = ConfigDict(populate_by_name=True)
    kind: Literal["json"]
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    feedback: str | None = None


class CommandCheck(Strict):
    """Runs `run` (argv, never a shell string) with the answer on stdin; exit 0 passes."""

    kind: Literal["command"]
    run: list[str] = Field(min_length=1)
    timeout_s: float = Field(default=30.0, gt=0)
    max_output: int = Field(default=4000, ge=100)
    cwd: str | None = None
    feedback: str | None = None


class JudgeCheck(Strict):
    """Asks an LLM judge whether the answer meets `criteria`; the verdict must be structured."""

    kind: Literal["judge"]
    model: str
    criteria: str
    feedback: str | None = None


class PythonCheck(Strict):
    """Calls `module:function(answer, context)`; None passes, a string is the feedback."""

    kind: Literal["python"]
    call: str = Field(pattern=r"^[\w.]+:[\w]+$")
    timeout_s: float = Field(default=10.0, gt=0)
    feedback: str | None = None


Check = Annotated[
    ContainsCheck | RegexCheck | JsonCheck | CommandCheck | JudgeCheck | PythonCheck,
    Field(discriminator="kind"),
]
CHECK_KINDS = ("contains", "regex", "json", "command", "judge", "python")


class Step(Strict):
    """One prompt of a task, with its own chain, retries and checks."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z_][\w-]*$")
    prompt: str
    chain: list[str] | None = None
    retries: int | None = Field(default=None, ge=0, le=20)
    approval: Approval | None = None
    system: str | None = None
    checks: list[Check] = Field(default_factory=list)
    skip_below: float | None = Field(default=None, ge=0, le=1)
    """Learned chain (opt-in): skip a tier whose recent accept rate on this step is below this
    (0.05 = 5%); one try in ten still calls it so the estimate stays fresh."""
    min_samples: int = Field(default=20, ge=1)
    """Decided attempts of a tier on this step before `skip_below` may skip it."""


class Task(Strict):
    """A task file."""

    name: str = Field(min_length=1)
    description: str = ""
    input: str = ""
    chain: list[str] | None = None
    retries: int = Field(default=0, ge=0, le=20)
    approval: Approval = "auto"
    budget_usd: float | None = Field(default=None, ge=0)
    system: str | None = None
    feedback_template: str = DEFAULT_FEEDBACK_TEMPLATE
    models: dict[str, ModelSpec] = Field(default_factory=dict)
    steps: list[Step] = Field(min_length=1)

    def chain_for(self, step: Step) -> list[str]:
        """The chain a step runs: its own, else the task's."""
        return list(step.chain if step.chain is not None else self.chain or [])


class UserConfig(Strict):
    """The user config file: models shared by all tasks, keys, keys bindings, theme."""

    models: dict[str, ModelSpec] = Field(default_factory=dict)
    keys: dict[str, SecretStr] = Field(default_factory=dict)
    """API keys by provider name (`openrouter = "..."`); the environment wins."""
    keymap: dict[str, str] = Field(default_factory=dict)
    """Binding id -> key, e.g. `approve = "y"`."""
    theme: str | None = None
    session_dir: str | None = None
