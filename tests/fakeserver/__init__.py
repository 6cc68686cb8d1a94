"""A scripted, deliberately misbehaving OpenAI-compatible HTTP server for tests.

The server speaks hand-written HTTP/1.1 over ``asyncio.start_server`` on 127.0.0.1 (an OS-picked
port) in a background thread with its own event loop, so sync tests, pytest-asyncio tests and
subprocess-based CLI tests can all use it::

    with FakeServer() as server:
        server.enqueue(Reply.text("Hello world"), Reply.cut(after_chunks=2))
        ...  # point a client at server.base_url
        assert server.chat_requests[0].json["model"] == "m"

Every reply is a *plan*: an iterable of steps run in order (see ``Step``). Streams use chunked
transfer encoding, so a clean end (terminator sent) and a cut (connection dropped) differ at the
HTTP layer; plain bodies use Content-Length. Every response carries ``connection: close``. All
waits are bounded by ``MAX_SLEEP_S`` and ``stop()`` cancels every connection at once.

The modules: ``plan`` (the steps of a plan, the recorded ``Request``), ``payloads`` (SSE and chat
payload bytes), ``faults`` and ``replies`` (the ``Reply`` constructors), ``endpoints`` (the
warm/cold status endpoints), ``wire`` (HTTP/1.1 reading and writing), ``server`` (``FakeServer``).
"""

from .endpoints import WarmState
from .faults import CONTEXT_ERRORS, LOADING_MODEL_BODY
from .payloads import (
    DONE_EVENT,
    MEGABYTES_PATTERN,
    OPENROUTER_COMMENT,
    SSE_HEADERS,
    megabytes_content,
    split_words,
)
from .plan import END, Drop, End, Head, Request, Step
from .replies import Reply
from .server import STOP_TIMEOUT_S, FakeServer, refused_url
from .wire import MAX_SLEEP_S, READ_TIMEOUT_S

__all__ = [
    "CONTEXT_ERRORS",
    "DONE_EVENT",
    "END",
    "LOADING_MODEL_BODY",
    "MAX_SLEEP_S",
    "MEGABYTES_PATTERN",
    "OPENROUTER_COMMENT",
    "READ_TIMEOUT_S",
    "SSE_HEADERS",
    "STOP_TIMEOUT_S",
    "Drop",
    "End",
    "FakeServer",
    "Head",
    "Reply",
    "Request",
    "Step",
    "WarmState",
    "megabytes_content",
    "refused_url",
    "split_words",
]
