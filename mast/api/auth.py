"""Who is calling: a bearer token (partner apps) or a signed session cookie (the web UI),
and the purpose they stated. Every data route depends on `caller`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mast.accounts.access import purpose_of
from mast.accounts.accounts import Credential, User
from mast.api.services import Services
from mast.core.errors import AccessError

PURPOSE_HEADER = "X-MAST-Purpose"
bearer = HTTPBearer(auto_error=False, description="a token from `mast users token`")


@dataclass(frozen=True)
class Caller:
    user: User
    purpose: str
    credential: Credential


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def credential_of(
    request: Request,
    token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Credential:
    """The caller's session or token, or 401."""
    services = services_of(request)
    try:
        if token is not None:
            return await asyncio.to_thread(services.accounts.check, token.credentials, kind="token")
        sid = request.session.get("sid") if "session" in request.scope else None
        if isinstance(sid, str):
            return await asyncio.to_thread(services.accounts.check, sid, kind="session")
    except AccessError as e:
        raise HTTPException(401, str(e), headers={"WWW-Authenticate": "Bearer"}) from e
    raise HTTPException(
        401, "sign in, or send a bearer token", headers={"WWW-Authenticate": "Bearer"}
    )


async def caller(
    credential: Annotated[Credential, Depends(credential_of)],
    stated: Annotated[
        str | None,
        Header(
            alias=PURPOSE_HEADER,
            description="why you are looking: a case number or reason (audited)",
        ),
    ] = None,
) -> Caller:
    """The signed-in user and their stated purpose (P6): the header, or the session's."""
    given = (stated or credential.purpose or "").strip()
    if not given:
        raise HTTPException(
            400, f"state why you are looking: send the {PURPOSE_HEADER} header (a case or reason)"
        )
    try:
        purpose = purpose_of(given)
    except ValueError as e:
        raise HTTPException(400, str(e)) from e
    return Caller(credential.user, purpose, credential)
