"""`mast resolve`: addresses first (people are compared on them), then people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from mast.gc_paused import gc_paused
from mast.resolver.address_store import AddressRun, resolve_all_addresses
from mast.resolver.people import PersonRun, resolve_people


@dataclass(frozen=True)
class ResolveRun:
    addresses: AddressRun
    people: PersonRun


def resolve(
    engine: sa.Engine, *, now: datetime, full: bool = False, retrain: bool = False
) -> ResolveRun:
    with gc_paused():
        addresses = resolve_all_addresses(engine, now=now, full=full)
        return ResolveRun(addresses, resolve_people(engine, now=now, full=full, retrain=retrain))
