"""Single sign-on with the organisation's identity provider (OpenID Connect, via authlib).

Configured by MAST_OIDC_ISSUER, MAST_OIDC_CLIENT_ID and MAST_OIDC_CLIENT_SECRET. The
provider proves who someone is; MAST still decides what they may do: the token's issuer
and `sub` must be those of an active MAST account enabled for single sign-on (`mast users
add NAME --sso SUBJECT`), whose role and agency apply. Names such as `preferred_username`
are never matched: a user can often change their own. Nobody gets in by having an account
at the provider alone, and a password account is never signed in this way.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse

from mast.accounts.accounts import Accounts
from mast.api.recording import change
from mast.core.settings import Settings


def mount(app: FastAPI, settings: Settings) -> None:
    """Add /auth/oidc/login and /auth/oidc/callback when a provider is configured."""
    if not (settings.oidc_issuer and settings.oidc_client_id):
        return
    from authlib.integrations.starlette_client import OAuth, OAuthError  # noqa: PLC0415

    oauth = OAuth()
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
    oauth.register(
        "idp",
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_id=settings.oidc_client_id,
        client_secret=secret,
        client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256"},
    )
    client: Any = oauth.create_client("idp")

    @app.get("/auth/oidc/login", tags=["auth"])
    async def oidc_login(request: Request) -> Any:
        """Send the browser to the identity provider."""
        return await client.authorize_redirect(request, str(request.url_for("oidc_callback")))

    @app.get("/auth/oidc/callback", tags=["auth"], name="oidc_callback")
    async def oidc_callback(request: Request) -> RedirectResponse:
        services = request.app.state.services
        try:
            token = await client.authorize_access_token(request)
        except OAuthError as e:
            raise HTTPException(401, "the identity provider did not sign you in") from e
        claims = token.get("userinfo") or {}  # the ID token's, checked by authlib
        issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
        user = (
            await asyncio.to_thread(services.accounts.by_subject, issuer, subject)
            if issuer and subject
            else None
        )
        if user is None:
            raise HTTPException(
                403,
                f"no MAST account for this sign-in (subject {subject[:255]!r}); "
                "ask an administrator",
            )
        secret = await change(  # the session and its audit entry commit together
            services,
            user,
            "login",
            lambda engine: Accounts(engine, services.settings).issue(user, kind="session"),
            lambda _: {"via": "oidc"},
        )
        request.session["sid"] = secret
        return RedirectResponse("/", status_code=303)
