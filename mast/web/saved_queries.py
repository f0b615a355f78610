"""Analysts' saved Cypher: kept per user, and optionally shared with everyone of their
agency (their team). Writes go through `recording.change`, so a save or a deletion and its
audit entry commit together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from mast.accounts.accounts import User
from mast.core import clock
from mast.schema.tables import saved_queries

MAX_SAVED = 200
"""Saved queries a user may keep: a list to pick from, not a store."""


@dataclass(frozen=True)
class Saved:
    query_id: int
    user_id: int
    name: str
    cypher: str
    params: str
    shared: bool
    saved_at: datetime

    def mine(self, user: User) -> bool:
        return self.user_id == user.user_id


def _saved(row: sa.Row[tuple[object, ...]]) -> Saved:
    m = row._mapping
    return Saved(
        int(m["query_id"]),
        int(m["user_id"]),
        str(m["name"]),
        str(m["cypher"]),
        str(m["params"] or ""),
        bool(m["shared"]),
        m["saved_at"],
    )


def _visible(user: User) -> sa.ColumnElement[bool]:
    return sa.or_(
        saved_queries.c.user_id == user.user_id,
        sa.and_(saved_queries.c.shared.is_(True), saved_queries.c.agency == user.agency),
    )


def visible(engine: sa.Engine, user: User) -> list[Saved]:
    """The user's own saved queries and those their team shares, newest first."""
    q = (
        sa.select(saved_queries)
        .where(_visible(user))
        .order_by(saved_queries.c.saved_at.desc(), saved_queries.c.query_id.desc())
    )
    with engine.connect() as conn:
        return [_saved(r) for r in conn.execute(q)]


def one(engine: sa.Engine, user: User, query_id: int) -> Saved | None:
    """A saved query the user may open; None if it is not there or not theirs to see."""
    q = sa.select(saved_queries).where(saved_queries.c.query_id == query_id, _visible(user))
    with engine.connect() as conn:
        row = conn.execute(q).first()
    return _saved(row) if row else None


def save(
    engine: sa.Engine, user: User, name: str, cypher: str, params: str, *, shared: bool
) -> int | None:
    """Keep a query; its id, or None if the user already keeps MAX_SAVED."""
    with engine.begin() as conn:
        held = conn.scalar(
            sa.select(sa.func.count()).where(saved_queries.c.user_id == user.user_id)
        )
        if int(held or 0) >= MAX_SAVED:
            return None
        result = conn.execute(
            saved_queries.insert().values(
                user_id=user.user_id,
                agency=user.agency,
                name=name,
                cypher=cypher,
                params=params,
                shared=shared,
                saved_at=clock.now().replace(tzinfo=None),
            )
        )
        key = result.inserted_primary_key
        return int(key[0]) if key else None


def delete(engine: sa.Engine, user: User, query_id: int) -> bool:
    """Forget one of the user's own saved queries (a shared one is its owner's to delete)."""
    with engine.begin() as conn:
        gone = conn.execute(
            saved_queries.delete().where(
                saved_queries.c.query_id == query_id, saved_queries.c.user_id == user.user_id
            )
        )
    return gone.rowcount == 1
