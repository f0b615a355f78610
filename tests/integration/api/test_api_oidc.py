"""Single sign-on (RELIABILITY P9): a real OpenID Connect provider on 127.0.0.1 signs a user
in; MAST takes the session only for an active MAST account, whose role then applies."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import RSAKey
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from mast.accounts.accounts import Accounts
from mast.core.db import open_store
from mast.core.settings import Settings
from mast.schema.tables import audit_entries, credentials
from mast.web.app import create_app
from tests.support.api_server import running

pytestmark = pytest.mark.integration
CLIENT_ID, CLIENT_SECRET = "mast", "provider-secret"


class Provider:
    """A minimal OpenID Connect provider: discovery, authorize (consents at once, as
    `signs_in`), token (checks the code, the client and PKCE), JWKS."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
        self.url = ""
        self.signs_in = "investigator"
        self.subject: str | None = None
        """The `sub` claimed; by default `sub-` and the user's name."""
        self.codes: dict[str, dict[str, str]] = {}

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/jwks", self.jwks),
            ]
        )

    async def discovery(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": q.get("nonce", ""),
            "challenge": q["code_challenge"],
            "redirect_uri": q["redirect_uri"],
            "user": self.signs_in,
            "sub": self.subject or f"sub-{self.signs_in}",
        }
        return RedirectResponse(
            f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}"
        )

    async def token(self, request: Request) -> Response:
        form = await request.form()
        grant = self.codes.pop(str(form["code"]), None)
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        client_ok = request.headers.get("authorization") == f"Basic {basic}" or (
            form.get("client_id") == CLIENT_ID and form.get("client_secret") == CLIENT_SECRET
        )
        verifier = str(form.get("code_verifier", ""))
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if grant is None or not client_ok or challenge != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": grant["sub"],
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            "preferred_username": grant["user"],
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )

    async def jwks(self, _request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Provider, Settings]]:
    provider = Provider()
    with running(provider.app()) as idp_url:
        provider.url = idp_url
        settings = Settings(
            home=Path(tmp_path_factory.mktemp("sso")),
            oidc_issuer=idp_url,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret=SecretStr(CLIENT_SECRET),
            cookie_secure=False,
        )
        engine = open_store(settings)
        accounts = Accounts(engine, settings)
        accounts.add(
            "investigator",
            display_name="I",
            role="investigator",
            agency="police",
            password=None,
            sso_subject="sub-investigator",
        )
        accounts.add(  # a password account: never signed in through the provider
            "analyst", display_name="A", role="analyst", agency="police", password="x" * 12
        )
        engine.dispose()
        with running(create_app(settings)) as url:
            yield url, provider, settings


def _browser(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, follow_redirects=True, timeout=30)


def test_the_provider_signs_in_a_mast_account(sso: tuple[str, Provider, Settings]) -> None:
    url, provider, settings = sso
    provider.signs_in = "investigator"
    with _browser(url) as client:
        response = client.get("/auth/oidc/login")
        assert response.history and response.history[-1].status_code == 303
        me = client.get("/auth/me").json()
        assert (me["username"], me["role"]) == ("investigator", "investigator")
        engine = open_store(settings)
        with engine.connect() as conn:
            last: Any = conn.execute(
                audit_entries.select().order_by(audit_entries.c.seq.desc())
            ).first()
        engine.dispose()
        assert (last.operation, last.username, '"oidc"' in last.params) == (
            "login",
            "investigator",
            True,
        )


def test_a_provider_account_without_a_mast_account_is_refused(
    sso: tuple[str, Provider, Settings],
) -> None:
    url, provider, _ = sso
    provider.signs_in = "stranger"
    with _browser(url) as client:
        response = client.get("/auth/oidc/login")
        assert response.status_code == 403
        assert client.get("/auth/me").status_code == 401


@pytest.mark.parametrize(
    ("username", "subject"),
    [
        ("investigator", "sub-mallory"),  # renamed herself at the provider to a MAST user
        ("analyst", None),  # a password account, with a matching sub and name
    ],
)
def test_sign_on_matches_the_subject_of_an_sso_account_not_a_name(
    sso: tuple[str, Provider, Settings], username: str, subject: str | None
) -> None:
    """Accounts used to be matched on `preferred_username`, which a user can often change
    at the provider, and any active account matched, password accounts included."""
    url, provider, _ = sso
    provider.signs_in, provider.subject = username, subject
    try:
        with _browser(url) as client:
            assert client.get("/auth/oidc/login").status_code == 403
            assert client.get("/auth/me").status_code == 401
    finally:
        provider.subject = None


def test_a_replayed_callback_is_refused(sso: tuple[str, Provider, Settings]) -> None:
    url, provider, _ = sso
    provider.signs_in = "investigator"
    with httpx.Client(base_url=url, timeout=30) as client:
        to_idp = client.get("/auth/oidc/login")
        back = httpx.get(to_idp.headers["location"])
        callback = back.headers["location"]
        with httpx.Client(timeout=30) as other:  # another browser, without the sign-in state
            assert other.get(callback).status_code == 401


def test_an_sso_account_is_added_with_its_subject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner  # noqa: PLC0415

    from mast.cli.main import app  # noqa: PLC0415

    monkeypatch.setenv("MAST_HOME", str(tmp_path / "home"))
    add = ["users", "add", "sso-user", "--role", "analyst", "--agency", "t", "--sso", "sub-42"]
    refused = CliRunner().invoke(app, add)
    assert refused.exit_code == 2 and "MAST_OIDC_ISSUER" in refused.output
    monkeypatch.setenv("MAST_OIDC_ISSUER", "https://idp.example/")
    added = CliRunner().invoke(app, add)
    assert added.exit_code == 0, added.output
    settings = Settings(home=tmp_path / "home", oidc_issuer="https://idp.example/")
    engine = open_store(settings)
    found = Accounts(engine, settings).by_subject("https://idp.example", "sub-42")
    engine.dispose()
    assert found is not None and found.username == "sso-user"


def test_no_single_sign_on_session_starts_without_its_audit_entry(
    sso: tuple[str, Provider, Settings],
) -> None:
    url, provider, settings = sso
    provider.signs_in = "investigator"
    engine = open_store(settings)

    def sessions() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(credentials)).scalar() or 0
            )

    before = sessions()
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER audit_down BEFORE INSERT ON audit_entries "
            "BEGIN SELECT RAISE(ABORT, 'audit store unwritable'); END"
        )
    try:
        with _browser(url) as client:
            assert client.get("/auth/oidc/login").status_code == 503
            assert client.get("/auth/me").status_code == 401
        assert sessions() == before  # the session was rolled back with its entry
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER audit_down")
        engine.dispose()
