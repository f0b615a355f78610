"""The daily run: take each partner's new files, then purge, resolve, project and count.

    tidy → pull (one step a partner: fetch complete files, ingest each) → purge → resolve
    → graph → alerts (watches, when MAST_ALERTS is on) → figures

It may run every few minutes (MAST_SCHEDULE=every 15 minutes). The purge runs once a day,
on the first run from MAST_DAILY_AT (`retention.purge_due`); a run that loaded no file, with
no purge due, nothing left for the resolver and the run before it finished, skips resolve,
graph and figures, and the ledger records them as skipped.

Every step is safe to repeat, which is what makes a run killed at any moment (RELIABILITY
P1–P4) finished by the next one rather than repaired by hand:
- a file is taken only once complete and unchanged while copied (`loaders.sources`); its
  rows commit with its ledger entry in one transaction, and bytes already loaded are a
  no-op, so a file fetched again after a crash is skipped, not loaded twice;
- purge, resolve (each side one transaction, from high-water marks) and the graph delta
  (keyed upserts; the snapshot replaced last) each leave the old state or the new one;
- staging files a killed run left behind are removed first.

One run at a time: a lock file under MAST_HOME, which the operating system releases if the
process dies, and on PostgreSQL an advisory lock on the store, which the server releases if
the process dies, for runs started from hosts that do not share MAST_HOME. A partner whose
pull fails is recorded and the others carry on; a failure in a later step stops the run,
and the next run starts it again.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from filelock import FileLock, Timeout

from mast.core import clock
from mast.core.db import store_lock
from mast.core.errors import GraphBusy, GraphError, MastError, RunInProgress
from mast.core.settings import Settings
from mast.daily import ledger
from mast.graph.store import GraphStore
from mast.schema.feed import FeedDefinition, event_feeds
from mast.schema.partners import Partner

log = logging.getLogger(__name__)

KILL_AT = "MAST_TEST_KILL_AT"
"""Fault injection for the crash tests: a step boundary (`after:resolve`) at which the run
kills its own process with SIGKILL. Unset in production."""

_STOPS_THE_RUN = ("purge", "resolve", "graph")
CHECK_WEEKDAY = 6
"""Sunday: the day's graph delta is checked against a full projection (`graph.build.check`)."""
SKIPPED = "skipped"
"""A step's status when the run had no need of it (the purge done today, nothing new)."""
DAILY_LOCK = "mast:daily-run"
"""The store-wide lock a daily run holds (`mast.core.db.store_lock`)."""


@dataclass
class DailyJob:
    """Runs the day's steps against one MAST_HOME."""

    settings: Settings
    engine: sa.Engine
    graph: GraphStore | None = None
    """The graph `mast serve` holds open; opened for the run (and closed) when None."""
    after_graph: Callable[[], None] | None = None
    """Called once the graph has the day's changes (the server refreshes its search)."""
    clock: Callable[[], datetime] = field(default=clock.now)

    def run(self, *, trigger: str = "manual", now: datetime | None = None) -> ledger.Run:
        """One whole run; RunInProgress if another holds the lock."""
        self.settings.home.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.settings.home / "daily.lock", timeout=0)
        try:
            lock.acquire()
        except Timeout as e:
            raise RunInProgress("a daily run is already under way; this one did not start") from e
        try:
            with store_lock(self.engine, DAILY_LOCK) as held:
                if not held:
                    raise RunInProgress(
                        "a daily run is already under way on this state store (another "
                        "host); this one did not start"
                    )
                return self._locked_run(trigger, now)
        finally:
            lock.release()

    def _locked_run(self, trigger: str, now: datetime | None) -> ledger.Run:
        """The run itself, under both locks."""
        interrupted = ledger.interrupt_unfinished(self.engine)
        if interrupted:
            log.warning(
                "daily: %d earlier run(s) were interrupted; this run finishes them", interrupted
            )
        # Read and opened first: a broken configuration, or a graph `mast serve` owns,
        # is reported before anything is done or recorded.
        partners, feeds = self._configuration()
        with self._graph() as graph:
            run = _Run(
                self,
                graph=graph,
                partners=partners,
                feeds=feeds,
                trigger=trigger,
                now=now or self.clock(),
            )
            return run.execute()

    def _configuration(self) -> tuple[list[Partner], dict[str, FeedDefinition]]:
        from mast.loaders.feeds import load_feeds  # noqa: PLC0415
        from mast.loaders.partners import load_partners  # noqa: PLC0415

        path = self.settings.partners_file
        if not path.exists():
            log.warning("daily: no partner configuration at %s; nothing is pulled", path)
        partners = load_partners(path) if path.exists() else []
        return partners, load_feeds(self.settings.feeds)

    @contextmanager
    def _graph(self) -> Iterator[GraphStore]:
        if self.graph is not None:
            yield self.graph
            return
        from mast.graph import open_graph  # noqa: PLC0415 - loads the engine

        try:
            graph = open_graph(self.settings)
        except GraphBusy:
            raise
        except GraphError as e:
            if self.settings.neo4j_uri:
                raise
            # The embedded graph is a projection of the state store: one that cannot be
            # opened is set aside (for a bug report) and built again, not repaired by hand.
            aside = self.settings.graph_path.parent.with_name(
                f"graph.unreadable-{clock.now():%Y%m%d%H%M%S}"
            )
            log.error("daily: the graph cannot be opened (%s); moved to %s, rebuilding", e, aside)
            self.settings.graph_path.parent.rename(aside)
            graph = open_graph(self.settings)
        try:
            yield graph
        finally:
            graph.close()


class _Run:
    def __init__(
        self,
        job: DailyJob,
        *,
        graph: GraphStore,
        partners: list[Partner],
        feeds: dict[str, FeedDefinition],
        trigger: str,
        now: datetime,
    ) -> None:
        self.job, self.settings, self.engine, self.now = job, job.settings, job.engine, now
        self.graph, self.partners, self.feeds = graph, partners, feeds
        self.run_id = ledger.start(self.engine, trigger=trigger, as_of=now)
        self.failed: list[str] = []
        self.loaded = 0  # files loaded by this run's pulls

    def execute(self) -> ledger.Run:
        started = time.perf_counter()
        log.info("daily run started run_id=%d as_of=%s", self.run_id, self.now.isoformat())
        status = "ok"
        try:
            self._step("tidy", None, self._tidy)
            for partner in self.partners:
                self._step("pull", partner.name, partial(self._pull, partner))
            from mast.daily.retention import purge_due  # noqa: PLC0415

            due = purge_due(self.engine, self.settings, now=self.now)
            if due:
                self._step("purge", None, self._purge)
            else:
                self._skip("purge", "purged today")
            if not due and self._nothing_new():
                for name in ("resolve", "graph", "figures"):
                    self._skip(name, "nothing new")
            else:
                self._step("resolve", None, self._resolve)
                self._step("graph", None, lambda: self._build(self.graph))
                if self.settings.alerts:  # off: no step, and the ledger reads as it always has
                    self._step("alerts", None, self._alerts)
                self._step("figures", None, lambda: self._figures(self.graph))
            status = "partial" if self.failed else "ok"
        except _Stop:
            status = "failed"
        seconds = time.perf_counter() - started
        ledger.finish(self.engine, self.run_id, status, seconds)
        log.info(
            "daily run finished run_id=%d status=%s seconds=%.1f", self.run_id, status, seconds
        )
        return ledger.one(self.engine, self.run_id)

    # --- the step frame --------------------------------------------------------------------

    def _step(self, name: str, partner: str | None, work: Callable[[], dict[str, Any]]) -> None:
        label = f"{name}:{partner}" if partner else name
        _boundary(f"before:{label}")
        started = time.perf_counter()
        try:
            counts, status, error = work(), "ok", None
        except MastError as e:
            counts, status, error = {}, "failed", str(e)
        except Exception as e:
            # Only the type: an engine's message can quote the data it choked on (P16).
            counts, status, error = {}, "failed", f"unexpected {type(e).__name__}"
            log.debug("daily step %s failed", label, exc_info=True)
        seconds = time.perf_counter() - started
        ledger.add_step(
            self.engine,
            self.run_id,
            ledger.Step(name, partner, status, seconds, counts, error),
        )
        log.log(
            logging.INFO if status == "ok" else logging.ERROR,
            "daily step=%s status=%s seconds=%.1f %s%s",
            label,
            status,
            seconds,
            " ".join(f"{k}={v}" for k, v in counts.items() if not isinstance(v, list | dict)),
            f" error={error}" if error else "",
        )
        if status != "ok":
            self.failed.append(label)
            if name in _STOPS_THE_RUN:
                raise _Stop
        _boundary(f"after:{label}")

    def _skip(self, name: str, reason: str) -> None:
        """Record a step not needed this run: the ledger says so, and why."""
        ledger.add_step(
            self.engine, self.run_id, ledger.Step(name, None, SKIPPED, 0.0, {"reason": reason})
        )
        log.info("daily step=%s status=%s reason=%s", name, SKIPPED, reason)

    def _nothing_new(self) -> bool:
        """Whether the store is as the last run left it, resolved, projected and counted: no
        file loaded, nothing for the resolver (rulings, or work a run left), and the run
        before finished its graph and figures. Then resolve, graph and figures would find
        nothing to do, so a run every few minutes costs almost nothing."""
        from mast.resolver import pending_work  # noqa: PLC0415

        if self.loaded:
            return False
        before = ledger.previous(self.engine, self.run_id)
        if before is None or before.status not in ("ok", "partial"):
            return False
        with self.engine.connect() as conn:
            return not pending_work(conn)

    # --- the steps -------------------------------------------------------------------------

    def _tidy(self) -> dict[str, Any]:
        """Files a killed run left in staging are fetched again, so they go."""
        removed = 0
        if self.settings.staging_dir.is_dir():
            for leftover in self.settings.staging_dir.glob("*.incoming"):
                leftover.unlink(missing_ok=True)
                removed += 1
        return {"staging_removed": removed}

    def _pull(self, partner: Partner) -> dict[str, Any]:
        from mast.loaders.partners import source_for  # noqa: PLC0415
        from mast.loaders.pull import pull_and_ingest  # noqa: PLC0415

        results = pull_and_ingest(
            self.engine,
            self.settings,
            source_for(partner),
            self.feeds,
            feed_name=partner.feed,
            now=self.now,
        )
        statuses = [r.status for r in results]
        self.loaded += statuses.count("loaded")
        return {
            "files": len(results),
            "loaded": statuses.count("loaded"),
            "skipped": statuses.count("skipped"),
            "rejected": statuses.count("rejected"),
            "rows_in": sum(r.rows_in for r in results),
            "stored": sum(r.stored for r in results),
            "updated": sum(r.updated for r in results),
            "quarantined": sum(r.quarantined for r in results),
            "duplicates": sum(r.duplicates for r in results),
            "file_ids": [r.file_id for r in results if r.file_id is not None],
        }

    def _purge(self) -> dict[str, Any]:
        from mast.daily.retention import audited_purge  # noqa: PLC0415

        result = audited_purge(self.engine, self.settings, now=self.now, by="system:daily")
        return {
            "cutoff": result.cutoff.date().isoformat(),
            "records_removed": result.records_removed,
            "quarantine_removed": result.quarantine_removed,
        }

    def _resolve(self) -> dict[str, Any]:
        from mast.resolver.service import resolve  # noqa: PLC0415 - loads Splink

        run = resolve(self.engine, now=self.now, event_feeds=event_feeds(self.feeds))
        if run.nothing_to_resolve:
            log.info("daily: nothing to resolve (no records loaded yet)")
            return {"nothing_to_resolve": True, "persons": 0, "people_mode": "none"}
        a, p = run.addresses, run.people
        return {
            "addresses_mode": a.mode,
            "addresses": a.addresses,
            "people_mode": p.mode,
            "persons": p.persons,
            "new_persons": p.new,
            "merges": p.merges,
            "splits": p.splits,
            "review_added": p.review,
        }

    def _build(self, graph: GraphStore) -> dict[str, Any]:
        from mast.graph.build import build_graph, check  # noqa: PLC0415

        snapshot = self.settings.graph_snapshot
        whole = self.settings.graph_delta == "whole"
        built = build_graph(self.engine, graph, self.feeds, snapshot, whole=whole)
        counts: dict[str, Any] = {"mode": built.mode, "changed": built.changed}
        if self.now.weekday() == CHECK_WEEKDAY and built.mode != "full":
            # A delta projects only what the day touched; once a week a full projection
            # checks that nothing slipped past, and mends what did (a full build has
            # nothing to check: it is the full projection).
            found = check(self.engine, graph, self.feeds, snapshot)
            counts["check_differing"] = sum(found.differing.values())
            if not found.ok:
                mended = build_graph(self.engine, graph, self.feeds, snapshot, whole=True)
                counts["check_mended"] = mended.changed
                built = mended
        if self.job.after_graph is not None:
            self.job.after_graph()
        return {**counts, **built.counts}

    def _alerts(self) -> dict[str, Any]:
        """Watches' new alerts, once the day's records are resolved."""
        from mast.daily import alerts, mail  # noqa: PLC0415

        return {
            **alerts.compute(self.engine, now=self.now),
            **mail.send_alerts(self.engine, self.settings, now=self.now),
        }

    def _figures(self, graph: GraphStore) -> dict[str, Any]:
        from mast.graph.headlines import count_headlines  # noqa: PLC0415

        end = self.now.date() + timedelta(days=1)
        start = end - timedelta(days=self.settings.retention_days)
        return count_headlines(graph, start=start, end=end, now=self.now)


class _Stop(Exception):
    """A step the rest depend on failed: the run ends here, and the next starts it again."""


def _boundary(name: str) -> None:
    if os.environ.get(KILL_AT) == name:
        log.warning("daily: killed at %s (fault injection)", name)
        os.kill(os.getpid(), signal.SIGKILL)
