"""What one `mast serve` process holds open: the state store, the graph, the accounts, the
audit trail and the search indexes. Built once by the app's lifespan."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mast.accounts.accounts import Accounts
from mast.api.search import AddressIndex, PersonIndex, person_facts, place_facts
from mast.audit.chain import AuditLog
from mast.core import clock
from mast.core.db import open_store
from mast.core.settings import Settings
from mast.graph import open_graph
from mast.graph.queries import API_DIR, CYPHER_DIR, run_named
from mast.graph.store import GraphStore, QueryResult

_ALL_ROWS = 100_000_000
_CHOICES_KEPT = timedelta(minutes=10)


@dataclass
class Services:
    settings: Settings
    engine: sa.Engine
    graph: GraphStore
    accounts: Accounts
    audit: AuditLog
    _indexes: tuple[PersonIndex, AddressIndex] | None = None
    _index_lock: threading.Lock = field(default_factory=threading.Lock)
    _choices: tuple[datetime, dict[str, list[str]]] | None = None

    @classmethod
    def open(cls, settings: Settings) -> Services:
        engine = open_store(settings)
        audit = AuditLog.open(engine, settings)
        return cls(settings, engine, open_graph(settings), Accounts(engine, settings), audit)

    def close(self) -> None:
        self.graph.close()
        self.engine.dispose()

    def now(self) -> datetime:
        return clock.now()

    def api_read(self, name: str, params: Mapping[str, Any]) -> QueryResult:
        """One of the API's own queries (`mast/cypher/api/`)."""
        return self.report(name, params, folder=API_DIR)

    def report(
        self, name: str, params: Mapping[str, Any], *, folder: Path = CYPHER_DIR
    ) -> QueryResult:
        """A named query, within the settings' time limit and row cap."""
        return run_named(
            self.graph,
            name,
            params,
            now=self.now(),
            timeout_s=self.settings.query_timeout_s,
            max_rows=self.settings.query_max_rows,
            max_bytes=self.settings.query_max_bytes,
            folder=folder,
        )

    def report_choices(self) -> dict[str, list[str]]:
        """The values the reports' pick-lists offer, by vocabulary, read from the graph
        (`api/report_choices.cypher`) and kept for a few minutes: each read scans every
        event, and the graph changes only with a daily run, which clears them."""
        held = self._choices
        if held is not None and self.now() - held[0] < _CHOICES_KEPT:
            return held[1]
        found: dict[str, set[str]] = {}
        for field_name, value, of in self.api_read("report_choices", {}).rows:
            found.setdefault(str(field_name), set()).add(str(value))
            if field_name == "agency" and of:  # "agency_of:police": the police's names
                found.setdefault(f"agency_of:{of}", set()).add(str(value))
        choices = {k: sorted(v, key=str.casefold) for k, v in found.items()}
        self._choices = (self.now(), choices)
        return choices

    def indexes(self) -> tuple[PersonIndex, AddressIndex]:
        """The search indexes, built from the graph on first use."""
        with self._index_lock:
            if self._indexes is None:
                self._indexes = self._build_indexes()
            return self._indexes

    def refresh_indexes(self) -> None:
        """Rebuild the search indexes from the graph (after a daily run) and swap them in;
        searches meanwhile use the old ones."""
        fresh = self._build_indexes()
        with self._index_lock:
            self._indexes = fresh
        self._choices = None

    def _build_indexes(self) -> tuple[PersonIndex, AddressIndex]:
        def everything(name: str) -> list[dict[str, Any]]:
            return run_named(
                self.graph,
                name,
                {},
                now=self.now(),
                timeout_s=600,
                max_rows=_ALL_ROWS,
                folder=API_DIR,
            ).records()

        stays = everything("search_stays")
        people = PersonIndex(everything("search_people"))
        people.facts = person_facts(
            everything("search_agencies"), everything("search_open_cases"), stays
        )
        since = self.now().date() - timedelta(days=365)  # as the address page's residents
        facts = place_facts(stays, everything("search_address_events"), since=since)
        return people, AddressIndex(everything("search_addresses"), facts)
