"""Individual accounts, their passwords, sessions and bearer tokens (RELIABILITY P9).

Passwords are hashed with Argon2 (pwdlib). Sessions and tokens are random secrets of
which only a SHA-256 is stored, so a copy of the database lets nobody in. Failed logins
are counted per client and account and per client: past the limit the client backs off,
doubling (`login`); the account itself is never locked, so nobody can lock another out.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from pwdlib import PasswordHash

from mast.accounts.access import ROLES
from mast.core import clock
from mast.core.errors import AccessError, ConfigError
from mast.core.settings import Settings
from mast.schema.tables import credentials, login_attempts, users

_hasher = PasswordHash.recommended()
_DUMMY = _hasher.hash("an unknown user is checked against this, so timing tells nothing")
MIN_PASSWORD = 12


@dataclass(frozen=True)
class User:
    user_id: int
    username: str
    display_name: str
    role: str
    agency: str


@dataclass(frozen=True)
class Credential:
    user: User
    kind: str
    purpose: str | None
    credential_id: int


class Accounts:
    def __init__(self, engine: sa.Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def add(
        self,
        username: str,
        *,
        display_name: str,
        role: str,
        agency: str,
        password: str | None,
        sso_subject: str | None = None,
    ) -> User:
        """An account: with a password, or for single sign-on with the provider's `sub` for
        this person (matched with the configured issuer; never a user-changeable name)."""
        if role not in ROLES:
            raise ConfigError(f"role must be one of {', '.join(ROLES)}")
        if not username or len(username) > 64 or not username.isprintable():
            raise ConfigError("a username is 1–64 printable characters")
        if password is not None and len(password) < MIN_PASSWORD:
            raise ConfigError(f"a password needs at least {MIN_PASSWORD} characters")
        issuer = None
        if sso_subject is not None:
            if not self.settings.oidc_issuer:
                raise ConfigError("single sign-on needs MAST_OIDC_ISSUER set")
            if not sso_subject or len(sso_subject) > 255 or not sso_subject.isprintable():
                raise ConfigError("a single sign-on subject is 1–255 printable characters")
            issuer = issuer_of(self.settings.oidc_issuer)
        row = {
            "username": username,
            "display_name": display_name or username,
            "role": role,
            "agency": agency,
            "password_hash": _hasher.hash(password) if password is not None else None,
            "active": True,
            "created_at": clock.now(),
            "sso_issuer": issuer,
            "sso_subject": sso_subject,
        }
        try:
            with self.engine.begin() as conn:
                key = conn.execute(users.insert().values(row)).inserted_primary_key
        except sa.exc.IntegrityError as e:
            raise ConfigError("that username, or that sign-on subject, is taken") from e
        assert key is not None  # noqa: S101 - an insert always has one
        return User(int(key[0]), username, display_name or username, role, agency)

    def list(self) -> list[tuple[User, bool]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(users).order_by(users.c.username)).all()
        return [(_user(r), bool(r.active)) for r in rows]

    def get(self, username: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(users).where(users.c.username == username, users.c.active)
            ).first()
        return _user(row) if row else None

    def by_subject(self, issuer: str, subject: str) -> User | None:
        """The active account enabled for single sign-on as this issuer's `sub`."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(users).where(
                    users.c.sso_issuer == issuer_of(issuer),
                    users.c.sso_subject == subject,
                    users.c.active,
                )
            ).first()
        return _user(row) if row else None

    def set_active(self, username: str, active: bool) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(
                users.update().where(users.c.username == username).values(active=active)
            ).rowcount
            if not active:  # a disabled account's sessions and tokens stop at once
                conn.execute(
                    credentials.update()
                    .where(
                        credentials.c.user_id.in_(
                            sa.select(users.c.user_id).where(users.c.username == username)
                        ),
                        credentials.c.revoked_at.is_(None),
                    )
                    .values(revoked_at=clock.now())
                )
        if not done:
            raise ConfigError("no such user")

    def login(self, username: str, password: str, client: str = "") -> User:
        """The user, if the password is right and this client is not backing off.

        Failures are counted per client and account, and per client over all accounts,
        never per account alone: a stranger's wrong guesses must not lock the owner out.
        Past the limit each further attempt waits twice as long after the last failure
        (2 s, 4 s, 8 s … up to the window); a refused attempt is not checked or counted."""
        client = client[:64]
        username = username[:64]
        wait = self._backoff(username, client)
        if wait > 0:
            raise AccessError(f"too many failed logins from here; try again in {math.ceil(wait)} s")
        with self.engine.begin() as conn:
            row = conn.execute(
                sa.select(users).where(users.c.username == username, users.c.active)
            ).first()
            hashed = row.password_hash if row is not None and row.password_hash else _DUMMY
            good = _hasher.verify(password, hashed) and row is not None and bool(row.password_hash)
            conn.execute(
                login_attempts.insert().values(
                    username=username, client=client, at=clock.now(), ok=good
                )
            )
        if not good or row is None:
            raise AccessError("wrong username or password")
        return _user(row)

    def _backoff(self, username: str, client: str) -> float:
        """Seconds this client must still wait before trying this account, or 0."""
        window = clock.now() - timedelta(seconds=self.settings.login_window_s)
        failed = sa.and_(
            login_attempts.c.client == client,
            login_attempts.c.at >= window,
            sa.not_(login_attempts.c.ok),
        )
        counted = sa.select(sa.func.count(), sa.func.max(login_attempts.c.at))
        limits = (
            (failed & (login_attempts.c.username == username), self.settings.login_max_failures),
            (failed, self.settings.login_client_max_failures),
        )
        wait = 0.0
        with self.engine.connect() as conn:
            for where, limit in limits:
                failures, last = conn.execute(counted.where(where)).one()
                if failures >= limit and last is not None:
                    pause = min(2.0 ** (failures - limit + 1), self.settings.login_window_s)
                    wait = max(wait, pause - (clock.now() - last).total_seconds())
        return wait

    def issue(self, user: User, *, kind: str, label: str = "", purpose: str | None = None) -> str:
        """A new session or bearer token; the secret is shown once and only its hash kept."""
        secret = ("mast_" if kind == "token" else "") + secrets.token_urlsafe(32)
        life = (
            timedelta(days=self.settings.token_days)
            if kind == "token"
            else timedelta(hours=self.settings.session_hours)
        )
        with self.engine.begin() as conn:
            conn.execute(
                credentials.insert().values(
                    user_id=user.user_id,
                    kind=kind,
                    secret_hash=_digest(secret),
                    label=label[:200],
                    purpose=purpose,
                    created_at=clock.now(),
                    expires_at=clock.now() + life,
                )
            )
        return secret

    def check(self, secret: str, *, kind: str) -> Credential:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(users, credentials.c.credential_id, credentials.c.purpose)
                .join(credentials, credentials.c.user_id == users.c.user_id)
                .where(
                    credentials.c.secret_hash == _digest(secret),
                    credentials.c.kind == kind,
                    credentials.c.revoked_at.is_(None),
                    credentials.c.expires_at > clock.now(),
                    users.c.active,
                )
            ).first()
        if row is None:
            raise AccessError("not signed in, or the session or token has expired")
        return Credential(_user(row), kind, row.purpose, int(row.credential_id))

    def set_purpose(self, credential_id: int, purpose: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                credentials.update()
                .where(credentials.c.credential_id == credential_id)
                .values(purpose=purpose)
            )

    def revoke(self, secret: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                credentials.update()
                .where(credentials.c.secret_hash == _digest(secret))
                .values(revoked_at=clock.now())
            )


def issuer_of(url: str) -> str:
    """An issuer as stored and compared: without a trailing slash."""
    return url.rstrip("/")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _user(row: sa.Row[tuple[object, ...]]) -> User:
    return User(
        int(row.user_id),
        str(row.username),
        str(row.display_name),
        str(row.role),
        str(row.agency),
    )
