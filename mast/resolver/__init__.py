"""Record linkage: Person and Address clusters with stable ids.

Other rooms come in through these doors, and only these:

- `resolve(engine, now=..., full=..., retrain=...)` — resolve addresses then people;
- `explain(engine, record_id)` — why a record belongs to its person;
- `forget_records(conn, record_ids)` — drop what the resolver keeps of records a purge removes;
- `match_rates(conn)` — each feed's share of records whose person another feed knows;
- `change_feed` — what each run did to persons, for partner apps: `page` reads it (the
  API), `prune` forgets what is past retention (the purge).
- `pending_work(conn)` — whether a resolve would find anything to do.

The resolver owns its tables (record links, profiles, edges, pending work, its marks); no
other room writes them. The doors load lazily, so naming one does not load Splink.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mast.resolver.bookkeeping import pending_work
    from mast.resolver.explain import explain
    from mast.resolver.records import forget_records, match_rates
    from mast.resolver.service import resolve

__all__ = ["explain", "forget_records", "match_rates", "pending_work", "resolve"]

_DOORS = {
    "resolve": "mast.resolver.service",
    "explain": "mast.resolver.explain",
    "forget_records": "mast.resolver.records",
    "match_rates": "mast.resolver.records",
    "pending_work": "mast.resolver.bookkeeping",
}


def __getattr__(name: str) -> Any:
    if name in _DOORS:
        return getattr(importlib.import_module(_DOORS[name]), name)
    raise AttributeError(f"module 'mast.resolver' has no attribute {name!r}")
