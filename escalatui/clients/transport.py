"""Addresses, keys and connection failures: the parts of HTTP that are not about chat."""

from __future__ import annotations

import errno
import functools
import re
import socket
import ssl
from urllib.parse import urlsplit

import httpx

from escalatui.clients.base import ProviderError

_DNS_ERRNOS = {
    socket.EAI_NONAME,
    getattr(socket, "EAI_NODATA", socket.EAI_NONAME),
    socket.EAI_AGAIN,
    socket.EAI_FAIL,
}
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context per process: building one loads the CA bundle (about 20 ms), which
    every client used to pay even for plain-http local servers."""
    return httpx.create_ssl_context(trust_env=True)


def normalize_base(url: str) -> str:
    """`http://h:8080`, `http://h:8080/` and `http://h:8080/v1` all become `http://h:8080/v1`."""
    url = url.strip().rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


def server_root(url: str) -> str:
    """The server's root, without a trailing `/v1` (for probes such as `/api/ps`)."""
    return url.strip().rstrip("/").removesuffix("/v1")


def host_of(url: str) -> str:
    """`host:port` as people say it (for messages)."""
    return urlsplit(url).netloc.rpartition("@")[2] or url


def is_loopback(url: str) -> bool:
    """Loopback servers are reached directly, whatever proxy the environment names."""
    host = (urlsplit(url).hostname or "").lower()
    return (
        host in ("localhost", "::1", "0.0.0.0")
        or host.endswith(".localhost")
        or host.startswith("127.")
    )


def clean_key(key: str | None, source: str) -> str | None:
    """The key as it can go in a header. A key with spaces or non-ASCII in the middle would make
    httpx raise an error that quotes the header (and the key): refuse it here, without it."""
    if key is None:
        return None
    key = key.strip()
    if not key:
        return None
    if not _VISIBLE_ASCII.fullmatch(key):
        raise ProviderError(
            f"the API key from {source} contains spaces or characters that cannot be sent; "
            "copy it again",
            kind="config",
        )
    return key


def _errno_of(exc: BaseException) -> int | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        code = getattr(current, "errno", None)
        if isinstance(code, int):
            return code
        current = current.__cause__ or current.__context__
    return None


def describe_transport(exc: httpx.TransportError, host: str, connect_s: float) -> str:
    """What went wrong before any response (the caller's prefix names the host)."""
    text = str(exc) or type(exc).__name__
    code = _errno_of(exc)
    if isinstance(exc, httpx.ConnectTimeout):
        return f"could not connect within {connect_s:g}s (connect timeout)"
    if code in _DNS_ERRNOS or "name or service not known" in text.lower():
        return f"DNS lookup failed for {host.rsplit(':', 1)[0]} ({text})"
    if code == errno.ECONNREFUSED or "refused" in text.lower():
        return "connection refused: is the server running, on that port?"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {text}"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return f"the server closed the connection before answering ({text})"
    return f"network error: {text}"
