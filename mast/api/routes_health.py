"""For operators and their monitoring: liveness, readiness and Prometheus metrics.

None of these carries personal data (counts, durations and statuses only), so none needs a
sign-in or an audit entry; put /metrics behind the reverse proxy's allow-list all the same.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from mast.api.auth import services_of
from mast.api.services import Services
from mast.core import clock
from mast.daily import ledger
from mast.schema.tables import quarantine, runs

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, bool]:
    """The process is up and answering."""
    return {"ok": True}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """The state store and the graph answer, and the data is fresh: 503 if any is not so."""
    report = await asyncio.to_thread(readiness, services_of(request))
    return JSONResponse(report, status_code=200 if report["ready"] else 503)


def readiness(services: Services) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    try:
        with services.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        checks["state_store"] = "ok"
    except sa.exc.SQLAlchemyError as e:
        checks["state_store"] = f"failing ({type(e).__name__})"
    health = services.graph.health()
    checks["graph"] = "ok" if health.ok else "failing"
    age = _last_run_age(services)
    checks["last_good_run_hours"] = None if age is None else round(age / 3600, 2)
    stale = age is not None and age > services.settings.run_stale_hours * 3600
    if stale or (age is None and _any_run(services)):
        checks["daily_run"] = "stale: no good run within MAST_RUN_STALE_HOURS"
    else:
        checks["daily_run"] = "ok" if age is not None else "not run yet"
    ready = checks["state_store"] == "ok" and checks["graph"] == "ok"
    return {"ready": ready and not checks["daily_run"].startswith("stale"), **checks}


def _last_run_age(services: Services) -> float | None:
    try:
        good = ledger.last_good(services.engine)
    except sa.exc.SQLAlchemyError:
        return None
    if good is None or good.finished_at is None:
        return None
    return (clock.now() - good.finished_at).total_seconds()


def _any_run(services: Services) -> bool:
    try:
        with services.engine.connect() as conn:
            return conn.execute(sa.select(runs.c.run_id).limit(1)).first() is not None
    except sa.exc.SQLAlchemyError:
        return False


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus text format: request latency, daily runs, rows and quarantine."""
    registry: CollectorRegistry = request.app.state.metrics
    body = await asyncio.to_thread(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def measure(app: FastAPI) -> None:
    """Time every request by its route's template (never its path: ids are in paths)."""
    registry = CollectorRegistry()
    latency = Histogram(
        "mast_request_seconds",
        "HTTP request latency by route template",
        ["method", "route", "status"],
        registry=registry,
        buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    )
    registry.register(_RunCollector(app))
    app.state.metrics = registry

    @app.middleware("http")
    async def timed(request: Request, call_next: Any) -> Any:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        latency.labels(request.method, template, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


class _RunCollector(Collector):
    """Read from the run ledger at each scrape, so every process reports the same."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        services: Services | None = getattr(self.app.state, "services", None)
        if services is None:
            return
        recent = ledger.recent(services.engine, 1)
        good = ledger.last_good(services.engine)
        by_status = GaugeMetricFamily(
            "mast_daily_runs", "daily runs in the ledger, by status", labels=["status"]
        )
        with services.engine.connect() as conn:
            for status, n in conn.execute(
                sa.select(runs.c.status, sa.func.count()).group_by(runs.c.status)
            ):
                by_status.add_metric([status], n)
            held = GaugeMetricFamily(
                "mast_quarantine_rows", "quarantined rows held, by feed", labels=["feed"]
            )
            for feed, n in conn.execute(
                sa.select(quarantine.c.feed, sa.func.count()).group_by(quarantine.c.feed)
            ):
                held.add_metric([feed], n)
        yield by_status
        yield held
        if good is not None and good.finished_at is not None:
            yield GaugeMetricFamily(
                "mast_daily_last_good_run_timestamp_seconds",
                "when the last good daily run finished (Unix time, UTC)",
                value=good.finished_at.replace(tzinfo=UTC).timestamp(),
            )
        if not recent:
            return
        last = recent[0]
        steps = GaugeMetricFamily(
            "mast_daily_step_seconds",
            "the last run's step durations",
            labels=["step", "partner", "status"],
        )
        rows = GaugeMetricFamily(
            "mast_daily_rows",
            "the last run's rows, by partner and outcome",
            labels=["partner", "outcome"],
        )
        for s in last.steps:
            steps.add_metric([s.step, s.partner or "", s.status], s.seconds)
            if s.step == "pull":
                for outcome in ("rows_in", "stored", "updated", "quarantined", "duplicates"):
                    rows.add_metric([s.partner or "", outcome], s.counts.get(outcome, 0))
        yield steps
        yield rows
        if last.seconds is not None:
            yield GaugeMetricFamily(
                "mast_daily_last_run_seconds", "the last run's duration", value=last.seconds
            )
