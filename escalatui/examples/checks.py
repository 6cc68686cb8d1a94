"""Python checks the bundled examples use (`kind = "python"`, `call = "module:function"`)."""

from __future__ import annotations

import json
from typing import Any


def vendor_in_input(answer: str, context: dict[str, Any]) -> str | None:
    """The extracted vendor must be written in the input: a model that invents or copies a
    name from the prompt's example fails here, even when its JSON matches the schema."""
    try:
        vendor = json.loads(answer.strip().removeprefix("```json").strip("`\n "))["vendor"]
    except (ValueError, KeyError, TypeError):
        return None  # not the expected JSON: the json check already says what is wrong
    if isinstance(vendor, str) and vendor.strip() and vendor.strip() in context.get("input", ""):
        return None
    return f"The vendor {vendor!r} does not appear in the invoice; copy the name as written."
