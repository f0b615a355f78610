"""The server: the HTTP API (GraphQL for partner apps, read-only Cypher for analysts, saved
reports, the audit trail, sign-in) and the web UI's pages, mounted in one app.

Every route that returns personal data commits an audit entry first; if that fails the
answer is 503 and carries no data (RELIABILITY P6). Forbidden and not found look the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from mast.api import (
    csrf,
    oidc,
    routes_auth,
    routes_graphql,
    routes_health,
)
from mast.api import routes_audit as api_audit
from mast.api import routes_reports as api_reports
from mast.api.gql_schema import build_schema
from mast.api.limits import BodyLimit
from mast.api.services import Services
from mast.core.db import keep_private
from mast.core.errors import AuditUnavailable
from mast.core.keys import key
from mast.core.settings import Settings
from mast.daily.run import DailyJob
from mast.daily.schedule import DailySchedule
from mast.text.i18n import WELSH, LanguageMiddleware, catalogue
from mast.web import (
    routes,
    routes_admin,
    routes_alerts,
    routes_audit,
    routes_errors,
    routes_network,
    routes_person,
    routes_reports,
    routes_review,
    routes_search,
    routes_workbench,
)

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The server: its lifespan (services, the daily schedule), middleware and routes.

    Over 80 lines: it is the one place the app is assembled, a list of mounts read top to
    bottom; the lifespan closure needs `settings`, so it stays inside."""
    settings = settings or Settings()
    keep_private()  # the graph, backups and keys the server writes: its owner's alone

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await asyncio.to_thread(Services.open, settings)
        app.state.services = services
        await asyncio.to_thread(services.indexes)  # ready before the first search
        # The daily run happens in this process, which owns the embedded graph.
        job = DailyJob(
            settings, services.engine, graph=services.graph, after_graph=services.refresh_indexes
        )
        app.state.daily = DailySchedule(job)
        if settings.schedule:
            app.state.daily.start()
        try:
            yield
        finally:
            app.state.daily.shutdown()
            services.close()

    app = FastAPI(
        title="MAST API",
        summary="Multi-Agency Safeguarding Tracker: GraphQL, reports, analyst Cypher, audit",
        version="1",
        lifespan=lifespan,
        docs_url="/docs" if settings.dev_mode else None,
        redoc_url=None,
    )
    app.state.schema = build_schema(dev_mode=settings.dev_mode)
    app.add_middleware(
        SessionMiddleware,
        secret_key=key(settings, "session", settings.secret_key).decode(),
        session_cookie="mast_session",
        max_age=settings.session_hours * 3600,
        # Lax, not strict: the identity provider's redirect back is a cross-site navigation
        # that must carry the sign-in state; data routes take JSON POSTs, which no form can.
        same_site="lax",
        https_only=settings.cookie_secure,
    )

    @app.exception_handler(AuditUnavailable)
    async def audit_down(_request: Request, exc: AuditUnavailable) -> JSONResponse:
        log.error("audit write failed; request refused: %s", exc)
        return JSONResponse({"detail": str(exc)}, status_code=503)

    routers = (
        routes_health,
        routes_auth,
        routes_graphql,
        api_reports,
        api_audit,
        routes,
        routes_person,
        routes_reports,
        routes_network,
        routes_review,
        routes_search,
        routes_admin,
        routes_audit,
        routes_workbench,
        routes_alerts,
    )
    for module in routers:
        app.include_router(module.router)
    app.add_middleware(BodyLimit)  # outermost of those added so far: before any route reads
    app.mount("/static", StaticFiles(directory=routes.HERE / "static"), name="static")

    routes_errors.install(app)  # sign-in redirects, and branded 404/403/500 pages

    routes_health.measure(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        if settings.dev_mode and request.url.path == "/graphql":
            return response  # GraphiQL loads its scripts from a CDN: development only
        # Scripts and styles from this site only; the timeline and charts set inline styles.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; "
            "base-uri 'none'; object-src 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # Same-origin, not no-referrer: under no-referrer browsers send `Origin: null` on
        # the site's own form posts, and the CSRF check needs to see where a post came from.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")  # personal data
        return response

    csrf.install(app)
    oidc.mount(app, settings)
    if settings.dev_mode:
        app.get("/graphql", include_in_schema=False)(routes_graphql.graphiql)
    # Outermost: every route, page and error handler answers in the request's language.
    # The Welsh catalogue is read now, so a broken .po stops the start, not a page.
    app.add_middleware(LanguageMiddleware, secure=settings.cookie_secure)
    catalogue(WELSH)
    return app
