"""One bot process per database: an OS lock (flock) on `<database>.lock`, held for the life of
the process and released by the OS however it ends (a crash or kill -9 leaves no stale lock).

A second process on the same database would take updates and flows away from the first and
fill the log with 409 Conflict; it stops at start instead, before it opens the database.
"""

import fcntl
import os
from pathlib import Path


class DatabaseInUse(Exception):
    """Another process holds the lock; `holder` is its pid as it wrote it ('' if unknown)."""

    def __init__(self, lock_path: Path, holder: str) -> None:
        super().__init__(f"{lock_path} is held by {holder or 'another process'}")
        self.lock_path = lock_path
        self.holder = holder


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def hold(database: Path) -> int | None:
    """Take the lock for `database` (creating its folder) and write this pid into it. The
    descriptor returned is never closed: the lock lasts as long as the process. None for an
    in-memory database."""
    if str(database) == ":memory:":
        return None
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode("ascii", "replace").strip()
        os.close(fd)
        raise DatabaseInUse(path, holder) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd
