"""Put back the texts a session file holds once: an attempt's answer is in its deltas (or in
`attempt_ended`), its prompt in `attempt_started`; later records leave them out or refer to the
attempt (`{"step_index": N, "attempt": N}`). The reader turns each record back into the whole
record the event holds, so a replay is fed exactly what the live run was.

A record written before this (schema 1) has every text in it and passes through unchanged.
"""

from __future__ import annotations

from typing import Any

Key = tuple[int, int]
"""An attempt: (step_index, attempt)."""


def reference(key: Key) -> dict[str, int]:
    """How a record refers to the answer of attempt `key`."""
    return {"step_index": key[0], "attempt": key[1]}


class Resolver:
    """Reads records in file order and fills in the texts each one leaves out. `resolve`
    raises ValueError, in words, when a record refers to something the file does not hold."""

    def __init__(self) -> None:
        self._streamed: dict[Key, list[str]] = {}
        self._answers: dict[Key, str] = {}
        self._prompts: dict[Key, str] = {}

    def resolve(self, record: dict[str, Any]) -> dict[str, Any]:
        """`record` with its texts put back (a new dict when anything was put back). Its own
        fields have been type-checked; the references are checked here."""
        kind = record.get("type")
        key: Any = (record.get("step_index"), record.get("attempt"))
        if kind == "delta":
            self._streamed.setdefault(key, []).append(record.get("text", ""))
        elif kind == "attempt_started" and "prompt" in record:
            self._prompts[key] = record["prompt"]
        elif kind == "attempt_ended":
            if "output" not in record:
                record = {**record, "output": "".join(self._streamed.get(key, ()))}
            self._answers[key] = record["output"]
            self._streamed.pop(key, None)
        elif kind in ("awaiting", "attempt"):
            if "output" not in record:
                record = {**record, "output": self._answer(key)}
            if kind == "attempt" and "prompt" not in record and key in self._prompts:
                record = {**record, "prompt": self._prompts[key]}
        elif kind in ("step_finished", "run") and "output_of" in record:
            output = self._referred(record["output_of"], "output_of")
            record = {k: v for k, v in record.items() if k != "output_of"}
            record["output"] = output
        if kind == "run" and "outputs_of" in record:
            refs = record["outputs_of"]
            if not isinstance(refs, dict):
                raise ValueError("field 'outputs_of' is not an object")
            outputs = {step: self._referred(ref, "outputs_of") for step, ref in refs.items()}
            record = {k: v for k, v in record.items() if k != "outputs_of"}
            record["outputs"] = outputs
        return record

    def _answer(self, key: Key) -> str:
        """Attempt `key`'s answer; if its attempt_ended could not be read, its deltas."""
        if key in self._answers:
            return self._answers[key]
        return "".join(self._streamed.get(key, ()))

    def _referred(self, ref: Any, name: str) -> str:
        if (
            not isinstance(ref, dict)
            or not isinstance(ref.get("step_index"), int)
            or not isinstance(ref.get("attempt"), int)
        ):
            raise ValueError(f"field {name!r} is not a reference to an attempt")
        key = (ref["step_index"], ref["attempt"])
        if key not in self._answers:
            raise ValueError(
                f"field {name!r} refers to step {key[0]} attempt {key[1]}, whose answer is "
                "not in the file"
            )
        return self._answers[key]


def resolved(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Whole records of one session in file order, every text put back (records already
    read and type-checked; ValueError for a reference to nothing)."""
    resolver = Resolver()
    return [resolver.resolve(r) for r in records]
