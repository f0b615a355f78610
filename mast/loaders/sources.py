"""Where partner files come from: a local drop folder or an SFTP server.

Both only hand over complete files (never `*.part`, `*.tmp` or dot-files, never a file
whose size or time changes while it is copied, and — for a partner that sends manifests —
never a file its manifest does not yet vouch for, byte for byte), never follow links out
of their folder, and copy files into MAST's staging area under MAST-chosen names, so a
partner's file name is never used as a path (RELIABILITY P3, P15).
"""

from __future__ import annotations

import logging
import re
import shutil
import stat
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import paramiko

from mast.core.errors import SourceError
from mast.loaders.reader import sha256_of

log = logging.getLogger(__name__)

_INCOMPLETE = re.compile(r"(^\.|\.(part|tmp|filepart|partial|crdownload|lock)$|~$)", re.IGNORECASE)
_SAFE_NAME = re.compile(r"^[^\x00-\x1f/\\]{1,255}$")


def acceptable_name(name: str) -> bool:
    """A plain file name: no path parts, control characters, leading dash or temp suffix."""
    return (
        bool(_SAFE_NAME.match(name))
        and name not in (".", "..")
        and not name.startswith("-")
        and not _INCOMPLETE.search(name)
    )


MANIFEST_SUFFIX = ".sha256"
_MANIFEST_BYTES = 1 << 20
_MANIFEST_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *]?(.+)$")


class Manifest:
    """What a partner's `*.sha256` files (`sha256sum` output, written after the files they
    list) vouch for: a file is complete once listed, and intact if its bytes hash to that."""

    def __init__(self, texts: list[str]) -> None:
        self.expected: dict[str, str] = {}
        for text in texts:
            for line in text.splitlines():
                found = _MANIFEST_LINE.match(line.strip())
                if found:
                    self.expected[found.group(2).strip()] = found.group(1).lower()

    def holds_back(self, name: str) -> bool:
        """A manifest itself, or a file no manifest lists yet."""
        return _is_manifest(name) or name not in self.expected

    def vouches_for(self, name: str, copy: Path) -> bool:
        return self.expected.get(name) == sha256_of(copy)


def _is_manifest(name: str) -> bool:
    return name.endswith(MANIFEST_SUFFIX)


def _checked(manifest: Manifest | None, name: str, copy: Path) -> bool:
    """False (and the copy removed) if the manifest does not vouch for these bytes."""
    if manifest is None or manifest.vouches_for(name, copy):
        return True
    copy.unlink()
    log.warning("file does not match its manifest's SHA-256; left for the next pull")
    return False


@dataclass(frozen=True)
class Fetched:
    """A complete file copied into staging; `name` is the partner's name, for display only."""

    name: str
    path: Path
    size: int
    mtime: int


class Source(Protocol):
    name: str

    def fetch_new(self, staging: Path, already: set[tuple[str, int, int]]) -> list[Fetched]:
        """Copy complete files not in `already` (name, size, mtime) into `staging`."""
        ...


def _staged_path(staging: Path) -> Path:
    staging.mkdir(parents=True, exist_ok=True)
    return staging / f"{uuid.uuid4().hex}.incoming"


class FolderSource:
    """A local or mounted drop folder."""

    def __init__(
        self, folder: Path, patterns: tuple[str, ...] = ("*",), *, manifest: bool = False
    ) -> None:
        self.folder = folder
        self.patterns = patterns
        self.manifest = manifest
        self.name = f"folder:{folder}"

    def fetch_new(self, staging: Path, already: set[tuple[str, int, int]]) -> list[Fetched]:
        if not self.folder.is_dir():
            raise SourceError(f"drop folder {self.folder} does not exist")
        root = self.folder.resolve()
        entries = sorted(self.folder.iterdir())
        manifest = None
        if self.manifest:
            manifest = Manifest(
                [
                    e.read_bytes()[:_MANIFEST_BYTES].decode("utf-8", "replace")
                    for e in entries
                    if _is_manifest(e.name) and acceptable_name(e.name) and e.is_file()
                ]
            )
        out = []
        for entry in entries:
            if not acceptable_name(entry.name) or not any(entry.match(p) for p in self.patterns):
                continue
            if manifest is not None and manifest.holds_back(entry.name):
                continue
            if entry.is_symlink() or not entry.is_file() or entry.resolve().parent != root:
                log.warning("drop folder entry skipped: not a regular file inside the folder")
                continue
            st = entry.stat()
            key = (entry.name, st.st_size, int(st.st_mtime))
            if key in already:
                continue
            target = _staged_path(staging)
            shutil.copyfile(entry, target)
            after = entry.stat()
            if (after.st_size, after.st_mtime_ns) != (st.st_size, st.st_mtime_ns):
                target.unlink()
                log.warning("file still being written; left for the next pull")
                continue
            if not _checked(manifest, entry.name, target):
                continue
            out.append(Fetched(entry.name, target, st.st_size, int(st.st_mtime)))
        return out


@dataclass(frozen=True)
class SftpConfig:
    host: str
    port: int
    username: str
    key_file: Path
    known_hosts: Path | None
    remote_dir: str = "."
    patterns: tuple[str, ...] = ("*",)
    delete_after: bool = False
    host_key: str | None = None
    """The server's key as 'TYPE BASE64', instead of a known_hosts file."""
    manifest: bool = False
    """Take only files a `*.sha256` manifest lists, with those bytes."""
    passphrase: str | None = field(default=None, repr=False)


class SftpSource:
    """Pulls complete files over SFTP with key authentication and strict host-key checking."""

    def __init__(self, config: SftpConfig) -> None:
        self.config = config
        self.name = f"sftp:{config.username}@{config.host}:{config.port}{config.remote_dir}"

    def _connect(self) -> paramiko.SSHClient:
        c = self.config
        client = paramiko.SSHClient()
        if c.known_hosts is not None:
            try:
                client.load_host_keys(str(c.known_hosts))
            except OSError as e:
                raise SourceError(f"cannot read known hosts file {c.known_hosts}") from e
        if c.host_key:
            known_as = c.host if c.port == 22 else f"[{c.host}]:{c.port}"
            try:
                entry = paramiko.hostkeys.HostKeyEntry.from_line(f"{known_as} {c.host_key}")
            except (paramiko.SSHException, ValueError) as e:
                raise SourceError(f"{self.name}: host_key is not 'TYPE BASE64'") from e
            if entry is None or entry.key is None:
                raise SourceError(f"{self.name}: host_key is not 'TYPE BASE64'")
            client.get_host_keys().add(known_as, entry.key.get_name(), entry.key)
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            client.connect(
                c.host,
                port=c.port,
                username=c.username,
                key_filename=str(c.key_file),
                passphrase=c.passphrase,
                allow_agent=False,
                look_for_keys=False,
                timeout=30,
            )
        except paramiko.BadHostKeyException as e:
            raise SourceError(f"{self.name}: host key does not match known_hosts; refusing") from e
        except paramiko.SSHException as e:
            raise SourceError(f"{self.name}: {type(e).__name__}: {e}") from e
        except OSError as e:
            raise SourceError(f"{self.name}: cannot connect ({e.strerror or e})") from e
        return client

    def fetch_new(self, staging: Path, already: set[tuple[str, int, int]]) -> list[Fetched]:
        from fnmatch import fnmatch  # noqa: PLC0415 - only this method needs it

        client = self._connect()
        out = []
        try:
            sftp = client.open_sftp()
            sftp.chdir(self.config.remote_dir)
            listing = sorted(sftp.listdir_attr("."), key=lambda a: a.filename)
            manifest = None
            if self.config.manifest:
                texts = []
                for attr in listing:
                    if _is_manifest(attr.filename) and acceptable_name(attr.filename):
                        with sftp.open(attr.filename, "rb") as fh:
                            texts.append(fh.read(_MANIFEST_BYTES).decode("utf-8", "replace"))
                manifest = Manifest(texts)
            for attr in listing:
                name = attr.filename
                if (
                    attr.st_mode is None
                    or not stat.S_ISREG(attr.st_mode)
                    or not acceptable_name(name)
                    or not any(fnmatch(name, p) for p in self.config.patterns)
                ):
                    continue
                if manifest is not None and manifest.holds_back(name):
                    continue
                key = (name, attr.st_size or 0, int(attr.st_mtime or 0))
                if key in already:
                    continue
                target = _staged_path(staging)
                sftp.get(name, str(target))
                again = sftp.stat(name)
                if (again.st_size, again.st_mtime) != (
                    attr.st_size,
                    attr.st_mtime,
                ) or target.stat().st_size != attr.st_size:
                    target.unlink()
                    log.warning("remote file changed during download; left for the next pull")
                    continue
                if not _checked(manifest, name, target):
                    continue
                if self.config.delete_after:
                    sftp.remove(name)
                out.append(Fetched(name, target, key[1], key[2]))
        except OSError as e:
            raise SourceError(f"{self.name}: {e.strerror or e}") from e
        finally:
            client.close()
        return out
