"""Sources: a real SFTP server on 127.0.0.1 (asyncssh) and a local drop folder."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import pytest
from conftest import GOOD, HEADER, Harness, write

from mast.errors import SourceError
from mast.loaders.pull import pull_and_ingest
from mast.loaders.sources import FolderSource, SftpConfig, SftpSource, acceptable_name

pytestmark = pytest.mark.integration


@dataclass
class SftpServer:
    port: int
    root: Path
    client_key: Path
    known_hosts: Path
    wrong_known_hosts: Path

    def config(self, **kw: object) -> SftpConfig:
        base = {
            "host": "127.0.0.1",
            "port": self.port,
            "username": "partner",
            "key_file": self.client_key,
            "known_hosts": self.known_hosts,
            "remote_dir": "/outbox",
        }
        base.update(kw)
        return SftpConfig(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sftp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SftpServer]:
    base = tmp_path_factory.mktemp("sftp")
    root = base / "root"
    (root / "outbox").mkdir(parents=True)
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    other_key = asyncssh.generate_private_key("ssh-ed25519")
    (base / "client").write_bytes(client_key.export_private_key("openssh"))
    (base / "client").chmod(0o600)
    authorized = asyncssh.import_authorized_keys(client_key.export_public_key().decode())
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, object] = {}
    connections: list[asyncssh.SSHServerConnection] = []

    class Tracking(asyncssh.SSHServer):
        def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
            connections.append(conn)

    def chrooted(chan: asyncssh.SSHServerChannel[bytes]) -> asyncssh.SFTPServer:
        return asyncssh.SFTPServer(chan, chroot=str(root).encode())

    async def start() -> None:
        server = await asyncssh.create_server(
            Tracking,
            "127.0.0.1",
            0,
            server_host_keys=[host_key],
            authorized_client_keys=authorized,
            sftp_factory=chrooted,
            allow_scp=False,
        )
        holder["server"] = server
        holder["port"] = server.sockets[0].getsockname()[1]
        ready.set()

    thread = threading.Thread(
        target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True
    )
    thread.start()
    assert ready.wait(10)
    port = int(holder["port"])  # type: ignore[call-overload]
    for name, key in (("known_hosts", host_key), ("wrong_hosts", other_key)):
        line = f"[127.0.0.1]:{port} {key.export_public_key().decode().strip()}\n"
        (base / name).write_text(line)
    yield SftpServer(port, root, base / "client", base / "known_hosts", base / "wrong_hosts")

    async def stop() -> None:
        server = holder["server"]
        server.close()  # type: ignore[attr-defined]
        await server.wait_closed()  # type: ignore[attr-defined]
        for conn in list(connections):
            conn.close()
            await conn.wait_closed()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_sftp_pull_takes_only_new_complete_files(sftp_server: SftpServer, harness: Harness) -> None:
    outbox = sftp_server.root / "outbox"
    write(outbox / "test_day1.csv", HEADER + GOOD)
    write(outbox / "test_day2.csv.part", HEADER + GOOD.replace("1,", "2,", 1))  # still uploading
    write(outbox / ".test_hidden.csv", HEADER + GOOD)
    source = SftpSource(sftp_server.config(patterns=("test_*",)))
    first = pull_and_ingest(harness.engine, harness.settings, source, harness.feeds)
    assert [(r.name, r.status, r.stored) for r in first] == [("test_day1.csv", "loaded", 1)]
    assert pull_and_ingest(harness.engine, harness.settings, source, harness.feeds) == []
    (outbox / "test_day2.csv.part").rename(outbox / "test_day2.csv")  # upload finished
    second = pull_and_ingest(harness.engine, harness.settings, source, harness.feeds)
    assert [(r.name, r.stored) for r in second] == [("test_day2.csv", 1)]
    assert (outbox / "test_day1.csv").exists()  # nothing deleted remotely unless configured
    assert harness.count() == 2
    assert not any(harness.settings.staging_dir.iterdir())


def test_sftp_refuses_an_unknown_host_key(sftp_server: SftpServer, harness: Harness) -> None:
    source = SftpSource(sftp_server.config(known_hosts=sftp_server.wrong_known_hosts))
    with pytest.raises(SourceError, match="host key"):
        pull_and_ingest(harness.engine, harness.settings, source, harness.feeds)


def test_sftp_delete_after_when_configured(sftp_server: SftpServer, harness: Harness) -> None:
    outbox = sftp_server.root / "outbox"
    write(outbox / "test_delete_me.csv", HEADER + GOOD.replace("1,", "7,", 1))
    source = SftpSource(sftp_server.config(patterns=("test_delete_*",), delete_after=True))
    results = pull_and_ingest(harness.engine, harness.settings, source, harness.feeds)
    assert [r.stored for r in results] == [1]
    assert not (outbox / "test_delete_me.csv").exists()


@pytest.mark.parametrize(
    "name",
    [
        "../etc.csv",
        "a\x00b.csv",
        "a\nb.csv",
        "-rf.csv",
        "x.csv.tmp",
        ".hidden.csv",
        "x.csv.part",
        "a/b.csv",
    ],
)
def test_unsafe_or_incomplete_names_are_refused(name: str) -> None:
    assert not acceptable_name(name)


def test_drop_folder_ignores_links_out_and_partial_files(harness: Harness, tmp_path: Path) -> None:
    drop, outside = tmp_path / "drop", tmp_path / "outside"
    drop.mkdir()
    outside.mkdir()
    write(outside / "test_secret.csv", HEADER + GOOD)
    (drop / "test_link.csv").symlink_to(outside / "test_secret.csv")
    write(drop / "test_ok.csv", HEADER + GOOD.replace("1,", "3,", 1))
    write(drop / "test_wip.csv.tmp", HEADER + GOOD)
    source = FolderSource(drop, ("test_*",))
    results = pull_and_ingest(harness.engine, harness.settings, source, harness.feeds)
    assert [r.name for r in results] == ["test_ok.csv"]
    assert pull_and_ingest(harness.engine, harness.settings, source, harness.feeds) == []
