"""Secret keys: from settings when given, else made once and kept under MAST_HOME/secrets."""

from __future__ import annotations

import os
import secrets

from pydantic import SecretStr

from mast.settings import Settings


def key(settings: Settings, name: str, configured: SecretStr | None) -> bytes:
    """The configured key, or the one this MAST_HOME made for itself (mode 0600)."""
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value().encode()
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
