"""Simulated stand-ins the bundled examples use when no OpenRouter key is set: a judge that
really looks at the answer (with simple rules), so the examples run offline and still mean
something. Their output is always labelled SIMULATED."""

from __future__ import annotations

import json
import re

_FENCED = re.compile(r"<<<(ANSWER-\w+)\n(.*)\n\1>>>", re.S)
MAX_SUMMARY_WORDS = 40


def judge_summary(messages: list[dict[str, str]]) -> str:
    """Pass a summary of one or two sentences and at most MAX_SUMMARY_WORDS words that is not
    a copy of the first sentence of the input; fail anything else, saying why."""
    prompt = next((m["content"] for m in messages if m["role"] == "user"), "")
    found = _FENCED.search(prompt)
    answer = found.group(2).strip() if found else ""
    words = answer.split()
    sentences = [s for s in re.split(r"[.!?]+\s", answer) if s.strip()]
    if not words:
        verdict, reason = "fail", "the summary is empty"
    elif len(words) > MAX_SUMMARY_WORDS:
        verdict, reason = "fail", f"{len(words)} words; a summary has at most {MAX_SUMMARY_WORDS}"
    elif len(sentences) > 2:
        verdict, reason = "fail", f"{len(sentences)} sentences; one or two are enough"
    else:
        verdict, reason = "pass", "short, and says what the text is about"
    return json.dumps({"verdict": verdict, "reason": f"(simulated judge) {reason}"})
