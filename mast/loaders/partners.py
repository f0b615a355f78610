"""Reading the partner configuration, and the file source each partner's files come from."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mast.core.errors import ConfigError
from mast.loaders.sources import FolderSource, SftpConfig, SftpSource, Source
from mast.schema.partners import Partner, PartnersFile

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def load_partners(path: Path) -> list[Partner]:
    """Every enabled partner in the configuration file at `path`."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read the partner configuration {path} ({e.strerror})") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path.name}: not valid YAML ({e})") from e
    try:
        config = PartnersFile.model_validate(_expand(data))
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}" for err in e.errors()
        )
        raise ConfigError(f"{path.name}: {problems}") from e
    return [p for p in config.partners if p.enabled]


def _expand(value: Any) -> Any:
    """`${NAME}` → the environment variable NAME, in every text value."""
    if isinstance(value, str):

        def variable(m: re.Match[str]) -> str:
            if m.group(1) not in os.environ:
                raise ConfigError(
                    f"the partner configuration uses ${{{m.group(1)}}}, which is unset"
                )
            return os.environ[m.group(1)]

        return _VARIABLE.sub(variable, value)
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v) for v in value]
    return value


def source_for(partner: Partner) -> Source:
    """Where `partner`'s files are taken from; secrets read now, never logged."""
    if partner.folder is not None:
        return FolderSource(partner.folder, partner.patterns, manifest=partner.manifest)
    sftp = partner.sftp
    assert sftp is not None  # noqa: S101 - the schema requires one source
    return SftpSource(
        SftpConfig(
            host=sftp.host,
            port=sftp.port,
            username=sftp.user,
            key_file=sftp.key_file,
            known_hosts=sftp.known_hosts,
            remote_dir=sftp.remote_dir,
            patterns=partner.patterns,
            delete_after=sftp.delete_after,
            host_key=sftp.host_key,
            manifest=partner.manifest,
            passphrase=_passphrase(partner),
        )
    )


def _passphrase(partner: Partner) -> str | None:
    sftp = partner.sftp
    if sftp is None:
        return None
    if sftp.key_passphrase_env:
        value = os.environ.get(sftp.key_passphrase_env)
        if value is None:
            raise ConfigError(
                f"partner {partner.name}: {sftp.key_passphrase_env} (the key's passphrase) is unset"
            )
        return value
    if sftp.key_passphrase_file:
        try:
            return sftp.key_passphrase_file.read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ConfigError(
                f"partner {partner.name}: cannot read its key passphrase file ({e.strerror})"
            ) from e
    return None
