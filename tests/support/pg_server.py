"""A private PostgreSQL cluster for the test session: initdb into a temporary folder, started
on a free port of 127.0.0.1 (and a unix socket in that folder), torn down at the end.

`initdb` refuses to run as root, so as root the cluster belongs to the `postgres` user and
every server command runs as that user. Each test gets a database of its own (made from
the cluster's template), so tests never see each other's rows.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
"""Debian's layout: one folder per major version, the newest first."""
USER = "mast"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed here, or its server would not start."""


@dataclass
class Cluster:
    port: int
    socket_dir: Path
    template: str | None = None
    """A database new ones are copied from (the store's tables made once), if set."""

    def url(self, database: str) -> str:
        """An SQLAlchemy URL for `database` over TCP on 127.0.0.1."""
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=USER, dbname="postgres", autocommit=True
        )

    def create_database(self, name: str) -> str:
        copied = f' TEMPLATE "{self.template}"' if self.template else ""
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"{copied}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _bin(name: str) -> str:
    for folder in BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise PostgresUnavailable(
            f"{name} not found: install PostgreSQL (apt-get install postgresql)"
        )
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(argv: list[str]) -> list[str]:
    """Run `argv` as the cluster's owner: ourselves, or `postgres` when we are root."""
    if os.getuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def _run(argv: list[str]) -> None:
    done = subprocess.run(_as_owner(argv), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PostgresUnavailable(f"{Path(argv[0]).name} failed: {done.stderr.strip()[-500:]}")


@contextlib.contextmanager
def running_cluster() -> Iterator[Cluster]:
    """Start a throwaway cluster; stop it and delete its files when done."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    root = Path(tempfile.mkdtemp(prefix="mast-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if os.getuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(sockets, "postgres", "postgres")
    port = _free_port()
    try:
        _run([initdb, "-D", str(data), "-U", USER, "-A", "trust", "-E", "UTF8", "--no-sync"])
        # fsync off: a test cluster dies with its session anyway, and fsync is what is slow.
        options = (
            f"-h 127.0.0.1 -p {port} -k {sockets} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB"
        )
        _run([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"])
        try:
            yield Cluster(port, sockets)
        finally:
            _run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"])
    finally:
        shutil.rmtree(root, ignore_errors=True)
