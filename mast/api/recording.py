"""Writing a request's audit entry, and refusing what a role may not do."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from fastapi import HTTPException

from mast.accounts.access import allowed
from mast.accounts.accounts import User
from mast.api.services import Services
from mast.audit.chain import Entry

T = TypeVar("T")


async def record(
    services: Services,
    user: User,
    operation: str,
    params: dict[str, Any],
    ids: Iterable[str] = (),
    outcome: str = "ok",
    purpose: str | None = None,
) -> None:
    """Commit the audit entry; AuditUnavailable (→ 503) rather than go on without one."""
    entry = Entry(
        username=user.username,
        role=user.role,
        agency=user.agency,
        purpose=purpose or "",
        operation=operation,
        params=params,
        result_ids=sorted(set(ids)),
        outcome=outcome,
    )
    await asyncio.to_thread(services.audit.append, entry)


async def change(
    services: Services,
    user: User,
    operation: str,
    do: Callable[[sa.Engine], T],
    params: Callable[[T], dict[str, Any]],
    ids: Callable[[T], Iterable[str]] = lambda _: (),
    purpose: str | None = None,
) -> T:
    """Make a state change and commit its audit entry in one transaction, the audit first
    (`AuditLog.audited`): `do` gets the engine to change the store through; `params` and
    `ids` make the entry from its result. AuditUnavailable (→ 503) and nothing changed if the
    entry cannot be written; an error from `do` writes nothing and propagates."""

    def entry(result: T) -> Entry:
        return Entry(
            username=user.username,
            role=user.role,
            agency=user.agency,
            purpose=purpose or "",
            operation=operation,
            params=params(result),
            result_ids=sorted(set(ids(result))),
        )

    return await asyncio.to_thread(services.audit.audited, do, entry)


def require(user: User, operation: str) -> None:
    """404, as for a route that does not exist: forbidden and not found look the same (P8)."""
    if not allowed(user.role, operation):
        raise HTTPException(404, "Not Found")


def anonymous(username: str) -> User:
    """Who a failed sign-in claimed to be, for its audit entry."""
    return User(0, username[:64], "", "none", "none")
