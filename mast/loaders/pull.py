"""Pull new files from a source and ingest them; remember what was taken."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from mast.core import clock
from mast.core.errors import ConfigError
from mast.core.settings import Settings
from mast.loaders.ingest import FileResult, ingest_file
from mast.loaders.sources import Source
from mast.schema.feed import FeedDefinition
from mast.schema.tables import pulls

log = logging.getLogger(__name__)


def pull_and_ingest(
    engine: sa.Engine,
    settings: Settings,
    source: Source,
    feeds: dict[str, FeedDefinition],
    *,
    feed_name: str | None = None,
    now: datetime | None = None,
) -> list[FileResult]:
    with engine.connect() as conn:
        already = {
            (r.remote_name, r.size, r.mtime)
            for r in conn.execute(sa.select(pulls).where(pulls.c.source == source.name))
        }
    results = []
    for fetched in source.fetch_new(settings.staging_dir, already):
        try:
            try:
                result = ingest_file(
                    engine,
                    settings,
                    fetched.path,
                    feeds,
                    feed_name=feed_name,
                    display_name=fetched.name,
                )
            except ConfigError as e:
                # Left unrecorded, so the file is taken again once a definition fits it.
                log.error("pulled file not ingested source=%s: %s", source.name, e)
                results.append(
                    FileResult(fetched.name, None, "rejected", reject_code="no_feed", reason=str(e))
                )
                continue
            results.append(result)
            with engine.begin() as conn:
                conn.execute(
                    pulls.insert().values(
                        source=source.name,
                        remote_name=fetched.name,
                        size=fetched.size,
                        mtime=fetched.mtime,
                        pulled_at=now or clock.now(),
                    )
                )
        finally:
            fetched.path.unlink(missing_ok=True)
    log.info("pull source_files=%d", len(results))
    return results
