"""The partner-configuration format: where each partner's files come from each day.

One YAML file (`MAST_PARTNERS`, by default `partners.yaml` in MAST_HOME), documented in
docs/operations.md. Secrets are never written in it: a private key is a file path, and its
passphrase is named by an environment variable or a file. `${NAME}` in any text value is
replaced by the environment variable NAME when the file is read. This module only
validates the structure; connecting and pulling belong to ``mast.loaders``.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SftpSettings(_Strict):
    """A partner's SFTP server: key authentication and a known host key, always."""

    host: str = Field(min_length=1)
    port: int = Field(default=22, ge=1, le=65535)
    user: str = Field(min_length=1)
    key_file: Path = Field(description="the private key MAST logs in with")
    key_passphrase_env: str | None = Field(
        default=None, description="environment variable holding the key's passphrase"
    )
    key_passphrase_file: Path | None = Field(
        default=None, description="file holding the key's passphrase"
    )
    known_hosts: Path | None = Field(
        default=None, description="an OpenSSH known_hosts file that lists the server"
    )
    host_key: str | None = Field(
        default=None,
        description="the server's public key as 'TYPE BASE64' (one known_hosts entry)",
    )
    remote_dir: str = Field(default=".", description="the folder the partner drops files in")
    delete_after: bool = Field(
        default=False, description="remove each file from the server once it is loaded"
    )

    @model_validator(mode="after")
    def _verifiable(self) -> SftpSettings:
        if (self.known_hosts is None) == (self.host_key is None):
            raise ValueError("give exactly one of known_hosts or host_key (the server's key)")
        if self.key_passphrase_env and self.key_passphrase_file:
            raise ValueError("give at most one of key_passphrase_env or key_passphrase_file")
        return self


class Partner(_Strict):
    """One partner's daily delivery."""

    name: str = Field(description="short name: lower-case letters, digits, - and _")
    feed: str | None = Field(
        default=None, description="the feed definition for every file; by file name if unset"
    )
    patterns: tuple[str, ...] = Field(default=("*",), min_length=1)
    enabled: bool = True
    manifest: bool = Field(
        default=False,
        description="take only files a *.sha256 manifest (sha256sum format) lists, byte for byte",
    )
    sftp: SftpSettings | None = None
    folder: Path | None = Field(default=None, description="a local or mounted drop folder")

    @field_validator("name")
    @classmethod
    def _short_name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("use lower-case letters, digits, - and _ (up to 63)")
        return v

    @model_validator(mode="after")
    def _one_source(self) -> Partner:
        if (self.sftp is None) == (self.folder is None):
            raise ValueError("give exactly one of sftp or folder")
        return self


class PartnersFile(_Strict):
    partners: tuple[Partner, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PartnersFile:
        names = [p.name for p in self.partners]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"partner names used twice: {', '.join(twice)}")
        return self
