"""Sign-in for the web UI (password or OIDC), the session's stated purpose, and who am I."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import AfterValidator, BaseModel, Field

from mast.accounts.access import MAX_PURPOSE, purpose_of
from mast.accounts.accounts import Accounts, Credential, User
from mast.api.auth import PURPOSE_HEADER, credential_of, services_of
from mast.api.recording import anonymous, change, record
from mast.core.errors import AccessError

router = APIRouter(prefix="/auth", tags=["auth"])
Purpose = Annotated[str, Field(max_length=MAX_PURPOSE * 2), AfterValidator(purpose_of)]
"""A stated purpose, by the one rule of `access.purpose_of` (422 with its reason)."""


class LoginRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    purpose: Purpose | None = None


class PurposeRequest(BaseModel):
    purpose: Purpose


@router.post("/login")
async def login(request: Request, body: LoginRequest) -> dict[str, str]:
    """Password sign-in: sets the session cookie. Refused (429) after repeated failures."""
    user = await sign_in(request, body.username, body.password, body.purpose)
    return {"username": user.username, "role": user.role, "agency": user.agency}


@router.post("/logout")
async def logout(request: Request) -> dict[str, bool]:
    """End the session (audited as an authentication event, when there was one)."""
    await sign_out(request)
    return {"signed_out": True}


async def sign_in(request: Request, username: str, password: str, purpose: str | None) -> User:
    """Check the password, start a session in the cookie, audit it; 401 or 429 if refused."""
    services = services_of(request)
    try:
        client = request.client.host if request.client else ""
        user = await asyncio.to_thread(services.accounts.login, username, password, client)
    except AccessError as e:
        throttled = "too many" in str(e)
        await record(services, anonymous(username), "login", {}, outcome="refused")
        raise HTTPException(429 if throttled else 401, str(e)) from e
    secret = await change(
        services,
        user,
        "login",
        lambda engine: Accounts(engine, services.settings).issue(
            user, kind="session", purpose=purpose
        ),
        lambda _: {"via": "password"},
        purpose=purpose,
    )
    request.session["sid"] = secret
    return user


async def sign_out(request: Request) -> None:
    services = services_of(request)
    sid = request.session.get("sid")
    if isinstance(sid, str):
        try:
            credential = await asyncio.to_thread(services.accounts.check, sid, kind="session")
        except AccessError:
            request.session.pop("sid", None)
            return
        await change(
            services,
            credential.user,
            "logout",
            lambda engine: Accounts(engine, services.settings).revoke(sid),
            lambda _: {},
        )
    request.session.pop("sid", None)  # after the revocation: a refused one leaves it as it was


@router.post("/purpose")
async def set_purpose(
    request: Request,
    body: PurposeRequest,
    credential: Annotated[Credential, Depends(credential_of)],
) -> dict[str, str]:
    """The web UI asks once a session why the user is looking."""
    if credential.kind != "session":
        raise HTTPException(400, f"a token's requests each send the {PURPOSE_HEADER} header")
    services = services_of(request)
    await change(
        services,
        credential.user,
        "purpose",
        lambda engine: Accounts(engine, services.settings).set_purpose(
            credential.credential_id, body.purpose
        ),
        lambda _: {},
        purpose=body.purpose,
    )
    return {"purpose": body.purpose}


@router.get("/me")
async def me(credential: Annotated[Credential, Depends(credential_of)]) -> dict[str, Any]:
    user = credential.user
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "agency": user.agency,
        "purpose": credential.purpose,
    }
