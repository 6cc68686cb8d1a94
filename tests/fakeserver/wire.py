"""Hand-written HTTP/1.1 over asyncio streams: read one request, perform a plan's steps."""

from __future__ import annotations

import asyncio
import contextlib
import http
import json
import socket
import struct
from collections.abc import Callable, Iterable

from .plan import Drop, End, Head, Request, Step

MAX_SLEEP_S = 60.0
"""Upper bound of any single wait the fake performs (stalls, delays, keep-alive gaps, drains)."""
READ_TIMEOUT_S = 10.0
"""How long the fake waits for a client to send a complete request."""


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """Read one HTTP/1.1 request (Content-Length or chunked body); None if the client left."""
    try:
        async with asyncio.timeout(READ_TIMEOUT_S):
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if sep:
                    key, value = name.strip().lower(), value.strip()
                    headers[key] = f"{headers[key]}, {value}" if key in headers else value
            if "chunked" in headers.get("transfer-encoding", "").lower():
                parts = []
                while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    parts.append(await reader.readexactly(size))
                    await reader.readexactly(2)
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailers
                body = b"".join(parts)
            else:
                body = await reader.readexactly(int(headers.get("content-length") or 0))
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, OSError):
        return None
    except ValueError:  # a malformed request line or size: treat like a vanished client
        return None
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    path, _, query = target.partition("?")
    return Request(method, path, query, headers, body, parsed)


async def serve(
    req: Request,
    plan: Callable[[Request], Iterable[Step]],
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    """Perform ``plan(req)`` step by step, recording progress on ``req``; stop if the client
    leaves."""
    gone = asyncio.Event()
    watcher = asyncio.create_task(_watch_eof(reader, req, gone))
    chunked = False
    try:
        for step in plan(req):
            if gone.is_set():
                return
            if isinstance(step, Drop):
                watcher.cancel()
                _drop(writer, step.reset)
                return
            if isinstance(step, float | int):
                if await _wait_or_gone(gone, float(step)):
                    return
                continue
            if isinstance(step, Head):
                data, chunked = _head_bytes(step), step.chunked
            elif isinstance(step, End):
                req.completed = True
                data = b"0\r\n\r\n" if chunked else b""
            elif step:
                data = b"%x\r\n%b\r\n" % (len(step), step) if chunked else step
                req.chunks_sent += 1
                req.bytes_sent += len(step)
            else:
                continue  # an empty write would read as the chunked terminator
            if data and not await _write(writer, data, req, gone):
                return
    finally:
        watcher.cancel()


async def _watch_eof(reader: asyncio.StreamReader, req: Request, gone: asyncio.Event) -> None:
    """Flag the client as gone when it closes its side before the response is complete."""
    with contextlib.suppress(OSError):
        while await reader.read(1 << 16):
            pass
    if not req.completed:
        req.client_disconnected = True
    gone.set()


async def _wait_or_gone(gone: asyncio.Event, seconds: float) -> bool:
    """Pause up to ``seconds`` (capped); True if the client left meanwhile."""
    seconds = min(max(seconds, 0.0), MAX_SLEEP_S)
    if seconds == 0.0:
        await asyncio.sleep(0)
        return gone.is_set()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await gone.wait()
    return gone.is_set()


async def _write(
    writer: asyncio.StreamWriter, data: bytes, req: Request, gone: asyncio.Event
) -> bool:
    try:
        writer.write(data)
        async with asyncio.timeout(MAX_SLEEP_S):
            await writer.drain()
        return True
    except OSError:
        if not req.completed:
            req.client_disconnected = True
    except TimeoutError:
        pass  # the client stopped reading; give up on it
    gone.set()
    return False


def _drop(writer: asyncio.StreamWriter, reset: bool) -> None:
    if reset:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
    else:
        writer.close()


def _head_bytes(head: Head) -> bytes:
    try:
        reason = http.HTTPStatus(head.status).phrase
    except ValueError:
        reason = "Unknown"
    names = {name.lower() for name, _ in head.headers}
    lines = [f"HTTP/1.1 {head.status} {reason}", *(f"{k}: {v}" for k, v in head.headers)]
    if head.chunked and "transfer-encoding" not in names:
        lines.append("transfer-encoding: chunked")
    if "connection" not in names:
        lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
