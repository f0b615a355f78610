"""Opening the state store. SQLite gets WAL and a busy timeout so a crash loses no committed row."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mast.errors import StoreError
from mast.schema.tables import metadata
from mast.settings import Settings


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL + NORMAL survives a killed process (P1); only power loss can drop the last commit.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # Writers queue for the single write lock; a whole-file transaction can take seconds.
    cur.execute("PRAGMA busy_timeout=300000")
    # Random-order inserts into the record-id index need the index in memory (256 MiB cap).
    cur.execute("PRAGMA cache_size=-262144")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def open_store(settings: Settings) -> sa.Engine:
    """Create the engine and any missing tables."""
    url = settings.state_url
    if url.startswith("sqlite"):
        settings.home.mkdir(parents=True, exist_ok=True)
    try:
        # Bound values are personal data: never echo them in an error (RELIABILITY P16).
        engine = sa.create_engine(url, hide_parameters=True)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        metadata.create_all(engine)
    except sa.exc.SQLAlchemyError as e:
        raise StoreError(
            f"cannot open the state store ({engine_name(url)}): {type(e).__name__}; "
            "check MAST_HOME or MAST_DATABASE_URL"
        ) from e
    return engine


def engine_name(url: str) -> str:
    """The URL without credentials, safe for messages."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)
