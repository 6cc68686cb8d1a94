"""Response bodies read in bounded pieces, decompressed here rather than by httpx.

httpx inflates a gzip chunk whole: 64 KiB of a compressed bomb becomes 64 MB in one call. Reading
the raw bytes and inflating at most PIECE_BYTES at a time keeps memory flat whatever the ratio,
and MAX_INFLATED_BYTES ends a body that keeps growing.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncGenerator, Iterator

import httpx

ACCEPT_ENCODING = "gzip, deflate"
"""What we ask for: the encodings inflated here (never br or zstd, whose libraries may be
missing)."""
PIECE_BYTES = 1 << 16
"""The most one step of inflation may produce."""
MAX_INFLATED_BYTES = 64 << 20
"""A compressed body that inflates past this (64 MiB) is a bomb, not an answer."""


class BodyError(ValueError):
    """A body we refuse to read further (too big, corrupt, an unknown encoding)."""


class Inflater:
    """Incremental gzip/deflate decoding, in pieces of at most PIECE_BYTES."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.total = 0
        self._raw_deflate = False
        self._z = self._new()

    def _new(self) -> zlib._Decompress:
        if self.encoding == "deflate":
            return zlib.decompressobj(-zlib.MAX_WBITS if self._raw_deflate else zlib.MAX_WBITS)
        return zlib.decompressobj(zlib.MAX_WBITS | 16)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                out = self._z.decompress(data, PIECE_BYTES)
            except zlib.error:
                if self.encoding == "deflate" and not self._raw_deflate and not self.total:
                    self._raw_deflate = True  # some servers send raw deflate, no zlib header
                    self._z = self._new()
                    continue
                raise BodyError(f"the {self.encoding} body is corrupt") from None
            data = self._z.unconsumed_tail
            if self._z.eof and self._z.unused_data:
                data = self._z.unused_data  # another gzip member follows
                self._z = self._new()
            if out:
                self.total += len(out)
                if self.total > MAX_INFLATED_BYTES:
                    raise BodyError(
                        f"the {self.encoding} body inflated past {MAX_INFLATED_BYTES >> 20} MiB "
                        "(a compression bomb?)"
                    )
                yield out


def inflater_for(resp: httpx.Response) -> Inflater | None:
    """The decoder a response needs: None for a plain body."""
    names = [n.strip() for n in resp.headers.get("content-encoding", "").lower().split(",")]
    names = [n for n in names if n and n != "identity"]
    if not names:
        return None
    if names in (["gzip"], ["x-gzip"]):
        return Inflater("gzip")
    if names == ["deflate"]:
        return Inflater("deflate")
    raise BodyError(f"the server sent an unsupported Content-Encoding {', '.join(names)!r}")


async def pieces(resp: httpx.Response) -> AsyncGenerator[bytes, None]:
    """The body's bytes, decoded, in pieces of bounded size."""
    inflater = inflater_for(resp)
    async for raw in resp.aiter_raw():
        if inflater is None:
            yield raw
        else:
            for piece in inflater.feed(raw):
                yield piece


async def read_capped(resp: httpx.Response, cap: int) -> bytes:
    """At most `cap` decoded bytes of the body (for short status answers)."""
    parts: list[bytes] = []
    size = 0
    source = pieces(resp)
    try:
        async for piece in source:
            parts.append(piece)
            size += len(piece)
            if size >= cap:
                break
    finally:
        await source.aclose()
    return b"".join(parts)[:cap]
