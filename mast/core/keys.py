"""Secret keys: from settings when given, else made once and kept under MAST_HOME/secrets."""

from __future__ import annotations

import os
import secrets

from pydantic import SecretStr

from mast.core.errors import ConfigError
from mast.core.settings import Settings

AUDIT_KEY_BYTES = 32
"""The audit key's least length: a short or empty key lets anyone re-seal a rewritten trail."""
MAKE_ONE = "make one with `python -c 'import secrets; print(secrets.token_hex(32))'`"


def key(settings: Settings, name: str, configured: SecretStr | None, *, least: int = 0) -> bytes:
    """The configured key, or the one this MAST_HOME made for itself (mode 0600); a key
    shorter than `least` bytes is refused (ConfigError), never used."""
    if configured is not None and configured.get_secret_value():
        found = configured.get_secret_value().encode()
        where = "MAST_AUDIT_KEY" if name == "audit" else "MAST_SECRET_KEY"
    else:
        found = _home_key(settings, name)
        where = str(settings.secrets_dir / f"{name}.key")
    if len(found) < least:
        raise ConfigError(f"{where} is {len(found)} bytes; at least {least} are needed: {MAKE_ONE}")
    return found


def audit_key(settings: Settings) -> bytes:
    """The key that seals the audit trail (MAST_AUDIT_KEY, else MAST_HOME/secrets/audit.key)."""
    return key(settings, "audit", settings.audit_key, least=AUDIT_KEY_BYTES)


def _home_key(settings: Settings, name: str) -> bytes:
    folder = settings.secrets_dir
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{name}.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_bytes().strip()
