"""One settings object, read from ``MAST_*`` environment variables and validated at load."""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

BUILTIN_FEEDS = Path(__file__).parent.parent / "feeds"


class Schedule(BaseModel):
    """When `mast serve` starts the daily run (MAST_SCHEDULE): once a day at MAST_DAILY_AT,
    every so many minutes, or never (runs come from `mast run-daily`). False when off."""

    model_config = ConfigDict(frozen=True)

    on: bool = True
    every_minutes: int | None = Field(default=None, ge=1, le=1440)
    """None: once a day at MAST_DAILY_AT."""

    def __bool__(self) -> bool:
        return self.on


_EVERY = re.compile(r"every\s+(\d+)\s+(minute|minutes|hour|hours)")
_ON, _OFF = ("true", "on", "yes", "1", "daily"), ("false", "off", "no", "0")


def parse_schedule(value: object) -> object:
    """MAST_SCHEDULE: `true` (the default: daily at MAST_DAILY_AT), `false`, or an interval,
    `every N minutes` or `every N hours` (at most a day). Anything else is refused with what
    is accepted."""
    if isinstance(value, bool):
        return Schedule(on=value)
    if not isinstance(value, str):
        return value  # a Schedule, or its fields (Settings.model_dump)
    text = " ".join(value.strip().lower().split())
    if text in _ON or text in _OFF:
        return Schedule(on=text in _ON)
    every = _EVERY.fullmatch(text)
    minutes = int(every[1]) * (60 if every[2].startswith("hour") else 1) if every else 0
    if not 1 <= minutes <= 24 * 60:
        raise ValueError(
            "MAST_SCHEDULE is true (daily at MAST_DAILY_AT), false, or an interval of a "
            f"minute to a day such as 'every 15 minutes' or 'every 2 hours'; not {value!r}"
        )
    return Schedule(every_minutes=minutes)


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
    trust_test_nhs_numbers: bool = Field(
        default=False,
        description="keep NHS numbers from the NHS test range (999…): synthetic demo and "
        "test data only; in live feeds they are dropped as placeholders",
    )
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

    partners: Path | None = Field(
        default=None,
        description="the partner configuration (YAML); partners.yaml in MAST_HOME if unset",
    )
    daily_at: str = Field(
        default="02:00",
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="when the daily run starts (HH:MM, in MAST_TIMEZONE)",
    )
    timezone: str = Field(default="Europe/London", description="the daily run's clock")
    schedule: Annotated[Schedule, NoDecode, BeforeValidator(parse_schedule)] = Field(
        default=Schedule(),
        description="when `mast serve` runs the daily job itself: true (daily at "
        "MAST_DAILY_AT), false, or `every N minutes` / `every N hours`; the purge still "
        "runs once a day, on the first run from MAST_DAILY_AT",
    )
    run_stale_hours: float = Field(
        default=36.0, gt=0, description="/readyz fails once the last good run is this old"
    )
    linkage_engine: Literal["duckdb", "spark"] = Field(
        default="duckdb",
        description="where a full resolve scores and clusters people (MAST_LINKAGE_ENGINE)",
    )
    spark_master: str | None = Field(
        default=None,
        description="Spark master URL (MAST_SPARK_MASTER); an active session, else local[2]",
    )

    neo4j_uri: str | None = Field(
        default=None,
        description="bolt:// or neo4j:// URI (MAST_NEO4J_URI); the embedded graph if unset",
    )
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_database: str | None = None
    graph_delta: Literal["touched", "whole"] = Field(
        default="touched",
        description="a daily graph build projects what the run touched, or the whole store "
        "and diffs it (MAST_GRAPH_DELTA; both give the same graph)",
    )
    graph_buffer_mib: int = Field(
        default=1024,
        ge=64,
        description="Ladybug's buffer pool (512 MiB is too small for a 4M-event load)",
    )
    query_timeout_s: float = Field(default=30.0, gt=0, description="analyst and named queries")
    query_max_rows: int = Field(default=10_000, ge=1)
    query_max_bytes: int = Field(
        default=32 * 2**20,
        ge=1024,
        description="analyst and named queries: a result is stopped past this size (bytes)",
    )

    secret_key: SecretStr | None = Field(
        default=None, description="signs web sessions; a key file under MAST_HOME if unset"
    )
    audit_key: SecretStr | None = Field(
        default=None,
        description="seals the audit chain; keep it off the database's machine in production",
    )
    dev_mode: bool = Field(default=False, description="GraphiQL and introspection (MAST_DEV_MODE)")
    token_days: int = Field(default=90, ge=1, description="partner apps' bearer tokens expire")
    session_hours: int = Field(default=12, ge=1)
    cookie_secure: bool = Field(
        default=True, description="session cookies over HTTPS only; off for plain-HTTP loopback"
    )
    login_max_failures: int = Field(
        default=5,
        ge=1,
        description="wrong passwords from one client for one account, then it backs off",
    )
    login_client_max_failures: int = Field(
        default=20, ge=1, description="wrong passwords from one client for any accounts"
    )
    login_window_s: int = Field(
        default=900, ge=1, description="how long failures count; the longest back-off"
    )
    graphql_timeout_s: float = Field(default=20.0, gt=0, description="one GraphQL request")
    oidc_issuer: str | None = Field(
        default=None, description="the identity provider's issuer URL; single sign-on if set"
    )
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None

    # Alerts (mast/daily/alerts.py): watches on people and addresses, off unless asked for.
    alerts: bool = Field(
        default=False, description="watches and alerts (MAST_ALERTS); off by default"
    )
    public_url: str | None = Field(
        default=None,
        description="this site's address as users reach it, for the link in alert e-mails",
    )
    smtp_host: str | None = Field(
        default=None, description="mail server for alert e-mails; no e-mail if unset"
    )
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = Field(default=False, description="upgrade the SMTP connection to TLS")
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = Field(default="mast@localhost", description="the alert e-mails' sender")

    @cached_property
    def state_url(self) -> str:
        return self.database_url or f"sqlite:///{self.state_file}"

    @property
    def state_file(self) -> Path:
        """The embedded state store (SQLite), when MAST_DATABASE_URL is unset."""
        return self.home.resolve() / "state.sqlite"

    @property
    def graph_path(self) -> Path:
        """The embedded graph's database file."""
        return self.home / "graph" / "mast.lbug"

    @property
    def graph_snapshot(self) -> Path:
        """The last graph build's projection, which the next build diffs against."""
        backend = "neo4j" if self.neo4j_uri else "ladybug"
        return self.home / "graph" / f"snapshot-{backend}"

    @property
    def secrets_dir(self) -> Path:
        """Keys MAST makes for itself when none is configured."""
        return self.home / "secrets"

    @property
    def partners_file(self) -> Path:
        return self.partners or self.home / "partners.yaml"

    @property
    def staging_dir(self) -> Path:
        """Where pulled files land before ingest, under MAST-chosen names."""
        return self.home / "staging"
