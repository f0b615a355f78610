"""The audit chain's sealed head, kept outside the database as well (RELIABILITY P7).

The database's own head row cannot tell a wiped trail from a new one: delete every entry,
drop the tables or swap in another store, and a fresh chain verifies. So after each commit
the head (entry number and last mac, sealed with the audit key) is also written to
`MAST_HOME/secrets/audit.head`. `verify` then requires the database's chain to reach that
entry with that mac: it may run ahead of the file (the file is written after the commit, so
a crash in between leaves it one transaction behind), never fall short of it or diverge.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mast.core.errors import StoreError

FILE_NAME = "audit.head"


class HeadFileError(StoreError):
    """The sealed head file is unreadable, malformed or its seal is wrong."""


@dataclass(frozen=True)
class Sealed:
    seq: int
    mac: str


class HeadFile:
    """One home's sealed head file; `seal(seq, mac)` is the audit key's HMAC of a head."""

    def __init__(self, path: Path, seal: Callable[[int, str], str]) -> None:
        self.path = path
        self._seal = seal

    def read(self) -> Sealed | None:
        """The sealed head, or None if there is no file (a home that never wrote an entry)."""
        try:
            text = self.path.read_text(encoding="ascii")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as e:
            raise HeadFileError(f"{self.path} cannot be read ({type(e).__name__})") from e
        try:
            data = json.loads(text)
            seq, mac, seal = int(data["seq"]), str(data["mac"]), str(data["seal"])
        except (ValueError, TypeError, KeyError) as e:
            raise HeadFileError(
                f"{self.path} is not a sealed audit head (emptied or edited)"
            ) from e
        if seq < 0 or seal != self._seal(seq, mac):
            raise HeadFileError(f"{self.path} has a wrong seal (edited, or another audit key)")
        return Sealed(seq, mac)

    def advance(self, seq: int, mac: str) -> None:
        """Record a newer head. Never moves backwards: another process may have written a
        later one, and an unreadable file is left as it is for `verify` to report."""
        with self._locked():
            try:
                current = self.read()
            except HeadFileError:
                return
            if current is not None and current.seq >= seq:
                return
            self.write(Sealed(seq, mac))

    def write(self, head: Sealed) -> None:
        """Replace the file atomically (a reader sees the old head or the new, whole), 0600."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        body = json.dumps(
            {"seq": head.seq, "mac": head.mac, "seal": self._seal(head.seq, head.mac)}
        )
        fd, tmp = tempfile.mkstemp(prefix=".audit.head.", dir=self.path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(body + "\n")
                fh.flush()
                os.fsync(fh.fileno())  # whole before it is renamed in: never an empty head
            Path(tmp).replace(self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Processes sharing the home (serve, the CLI) take turns to read and replace."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path.with_name(FILE_NAME + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
