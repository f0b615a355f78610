"""One settings object, read from ``MAST_*`` environment variables and validated at load."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

BUILTIN_FEEDS = Path(__file__).parent / "feeds"


class Settings(BaseSettings):
    """Where MAST keeps its data and the limits it applies to partner files."""

    model_config = SettingsConfigDict(env_prefix="MAST_", frozen=True)

    home: Path = Field(default=Path(".mast"), description="data directory (MAST_HOME)")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the state store; SQLite in MAST_HOME if unset"
    )
    feeds: Path = Field(default=BUILTIN_FEEDS, description="folder of feed definitions")
    retention_days: int = Field(default=365, ge=1)
    max_file_bytes: int = Field(default=2 * 1024**3, ge=1)
    max_field_chars: int = Field(default=131_072, ge=64)
    batch_rows: int = Field(default=5_000, ge=1)
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="files ingested at once, one process each",
    )
    # Mapped rows take ~25x their file size in memory (a 30 MB file peaked at 810 MB).
    buffer_bytes: int = Field(
        default=64 * 1024**2,
        ge=0,
        description="files up to this size are mapped before the write lock; larger stream",
    )

    @cached_property
    def state_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home.resolve() / 'state.sqlite'}"

    @property
    def staging_dir(self) -> Path:
        """Where pulled files land before ingest, under MAST-chosen names."""
        return self.home / "staging"
