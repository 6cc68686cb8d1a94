"""Reading files a user or another program handed us: only regular files, never blocking, never
more than a cap. `/dev/zero`, a FIFO (or a link to one) or a directory are refused with a reason
instead of hanging or filling memory."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


class NotRegularFile(OSError):
    """The path is not a regular file (its `strerror` says what it is)."""


def open_regular(path: Path | str) -> int:
    """A read-only descriptor of `path`, which must be a regular file. O_NONBLOCK: opening a
    FIFO with no writer would otherwise wait forever."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        if not stat.S_ISREG(mode):
            kind = _KINDS.get(stat.S_IFMT(mode), "something else")
            raise NotRegularFile(0, f"Is {kind}, not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: Path | str, limit: int) -> bytes:
    """At most `limit + 1` bytes of a regular file (one more than the cap, so a caller can tell
    a file that is too large)."""
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as f:
        return f.read(limit + 1)
