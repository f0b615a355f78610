"""A real SFTP server on 127.0.0.1 (asyncssh, chrooted to a folder), for the tests that pull."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from mast.loaders.sources import SftpConfig


@dataclass
class SftpServer:
    port: int
    root: Path
    client_key: Path
    known_hosts: Path
    wrong_known_hosts: Path
    host_key: str
    """The server's public key, 'TYPE BASE64'."""

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


@contextmanager
def serving(base: Path) -> Iterator[SftpServer]:
    """Serve `base`/root over SFTP to anyone holding `base`/client, until the block ends."""
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
    yield SftpServer(
        port,
        root,
        base / "client",
        base / "known_hosts",
        base / "wrong_hosts",
        host_key.export_public_key().decode().strip(),
    )

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
