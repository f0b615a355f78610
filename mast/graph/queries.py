"""Named queries: the `.cypher` files of `mast/cypher/`, their headers, and running them.

Each file starts with comment lines: what the query answers, then

    // @param NAME TYPE [= DEFAULT]     string | strings | int | date | datetime
    // @roles ROLE ...                  who may run it (the API enforces this)
    // @compare COLUMN ...              columns the contract test compares, if not all

A query may also use `$whole_from` and `$whole_to`, the whole calendar months inside its
`from`–`to` window (`tally.whole_months`): they are derived when it is bound, never given,
so a report can add up the months' tallies and count only the part-months' events.

A missing parameter silently returns nothing on Ladybug, so every call is
checked against the header, and every header against the `$names` its query uses, before
anything runs. Defaults for dates are `now`, `today` or `-Nd` (N days back); a date is
also taken as the UK writes it (01/06/2026, 1/6/2026).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from mast.core.errors import ConfigError, QueryRefused
from mast.graph.store import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_S, GraphStore, QueryResult
from mast.graph.tally import whole_months

CYPHER_DIR = Path(__file__).parent.parent / "cypher"
API_DIR = CYPHER_DIR / "api"
"""The API's own reads (`@roles system`): not reports, but held to the same checks."""
SCAN_DIR = CYPHER_DIR / "scan"
"""The reports that read tallies, as they were before tallies: walking every event. Kept to
check the tallies against (tests, `bench/graph.py`), and as the plainer reading of each."""
PARAM_TYPES = ("string", "strings", "int", "date", "datetime")
DERIVED = ("whole_from", "whole_to")
"""Parameters bound from `from` and `to`, not given (`derive`)."""
_PARAM = re.compile(r"^@param\s+(\w+)\s+(\w+)(?:\s*=\s*(.*))?$")
_USED = re.compile(r"\$(\w+)")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")

CHOICES = {
    "agency_kind": "agency_kind",
    "agency_kinds": "agency_kind",
    "known": "agency_kind",
    "not_known": "agency_kind",
    "categories": "category",
    "leaver_kinds": "event_kind",
    "custody_kinds": "event_kind",
}
"""Parameters whose values come from the data, by name: the vocabulary (a `field` of
`api/report_choices.cypher`) a form offers as a pick-list and checks a value against."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None
    """As written in the header; None means the caller must give it."""

    @property
    def choices(self) -> str | None:
        """The vocabulary its values come from, if they come from the data."""
        return CHOICES.get(self.name)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    params: tuple[Param, ...]
    roles: tuple[str, ...]
    compare: tuple[str, ...]
    cypher: str
    """The form every backend runs, unless it has its own below."""
    ladybug: str | None = None
    derived: tuple[str, ...] = ()
    """Of DERIVED, those it uses."""
    summary: str = ""
    """What the report shows, in words for the people who read it (its `@summary` lines);
    the description is the query's own, naming its parameters and graph types."""

    @property
    def for_people(self) -> str:
        return self.summary or self.description

    def text_for(self, backend: str) -> str:
        return self.ladybug if backend == "ladybug" and self.ladybug else self.cypher


@cache
def load_queries(folder: Path = CYPHER_DIR) -> dict[str, NamedQuery]:
    queries = {}
    for path in sorted(folder.glob("*.cypher")):
        if path.name.endswith(".ladybug.cypher"):
            continue
        embedded = path.with_name(path.stem + ".ladybug.cypher")
        query = _parse(
            path.stem,
            path.read_text(encoding="utf-8"),
            embedded.read_text(encoding="utf-8") if embedded.exists() else None,
        )
        queries[query.name] = query
    return queries


def _parse(name: str, text: str, ladybug: str | None) -> NamedQuery:
    about: list[str] = []
    params: list[Param] = []
    roles: tuple[str, ...] = ()
    compare: tuple[str, ...] = ()
    summary: list[str] = []
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        body = line[2:].strip()
        if body.startswith("@summary"):
            summary.append(body.removeprefix("@summary").strip())
        elif match := _PARAM.match(body):
            kind = match.group(2)
            if kind not in PARAM_TYPES:
                raise ConfigError(
                    f"{name}.cypher: parameter type {kind!r} is not one of {PARAM_TYPES}"
                )
            default = match.group(3)
            params.append(Param(match.group(1), kind, None if default is None else default.strip()))
        elif body.startswith("@roles"):
            roles = tuple(body.split()[1:])
        elif body.startswith("@compare"):
            compare = tuple(body.split()[1:])
        elif body:
            about.append(body)
    declared = {p.name for p in params}
    derived: set[str] = set()
    for form, cypher in (("", text), (".ladybug", ladybug)):
        if cypher is None:
            continue
        used = set(_USED.findall(_code(cypher)))
        derived |= used & set(DERIVED)
        if used - set(DERIVED) != declared or (derived and not {"from", "to"} <= declared):
            raise ConfigError(
                f"{name}{form}.cypher uses parameters {sorted(used)}"
                f" but its header declares {sorted(declared)}"
            )
    if not roles:
        raise ConfigError(f"{name}.cypher: the header needs an @roles line")
    return NamedQuery(
        name,
        " ".join(about),
        tuple(params),
        roles,
        compare,
        text,
        ladybug,
        tuple(sorted(derived)),
        " ".join(summary),
    )


def header_params(text: str) -> tuple[Param, ...]:
    """The `@param` lines of a query's leading comments, as a named query's header reads
    them: the web workbench binds an analyst's own query by them (ConfigError if a type
    is not one of PARAM_TYPES)."""
    params = []
    for line in text.lstrip().splitlines():
        if not line.startswith("//"):
            break
        if match := _PARAM.match(line[2:].strip()):
            if match.group(2) not in PARAM_TYPES:
                raise ConfigError(f"parameter type {match.group(2)!r} is not one of {PARAM_TYPES}")
            default = match.group(3)
            params.append(
                Param(match.group(1), match.group(2), None if default is None else default.strip())
            )
    return tuple(params)


def used_params(text: str) -> set[str]:
    """The `$names` a query's code (not its comments) uses."""
    return set(_USED.findall(_code(text)))


def _code(cypher: str) -> str:
    return "\n".join(line for line in cypher.splitlines() if not line.lstrip().startswith("//"))


def bind(query: NamedQuery, given: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """The query's parameters from `given` (typed values, or text as typed on a command
    line) and the header's defaults; refuses unknown and missing ones."""
    known = {p.name: p for p in query.params}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise QueryRefused(
            f"{query.name} has no parameter {', '.join(unknown)}; it takes "
            + (", ".join(f"{p.name} ({p.type})" for p in query.params) or "none")
        )
    bound = {}
    for p in query.params:
        if p.name in given:
            bound[p.name] = convert(p, given[p.name], now=now)
        elif p.default is not None:
            bound[p.name] = convert(p, p.default, now=now)
        else:
            raise QueryRefused(f"{query.name} needs the parameter {p.name} ({p.type})")
    return bound | derive(bound, query.derived)


def derive(bound: Mapping[str, Any], names: tuple[str, ...] | set[str]) -> dict[str, Any]:
    """Those of DERIVED in `names`, from the bound `from` and `to` (dates as midnight)."""
    if not names:
        return {}
    start, end = (
        v if isinstance(v, datetime) else datetime.combine(v, datetime.min.time())
        for v in (bound["from"], bound["to"])
    )
    first, last = whole_months(start, end)
    return {k: v for k, v in (("whole_from", first), ("whole_to", last)) if k in names}


def convert(param: Param, value: Any, *, now: datetime) -> Any:
    """A value of the parameter's type; the error names the parameter, never the value."""
    try:
        if param.type == "string":
            return str(value)
        if param.type == "strings":
            if isinstance(value, str):
                return [v.strip() for v in value.split(",") if v.strip()]
            return [str(v) for v in value]
        if param.type == "int":
            number = int(value)
            if not -(2**63) <= number < 2**63:  # the engines' integers are 64-bit
                raise ValueError(param.name)
            return number
        moment = _moment(value, now) if isinstance(value, str) else value
        if param.type == "date":
            return moment.date() if isinstance(moment, datetime) else moment
        return (
            moment
            if isinstance(moment, datetime)
            else datetime.combine(moment, datetime.min.time())
        )
    except (TypeError, ValueError, OverflowError) as e:  # OverflowError: "-99999999999d"
        raise QueryRefused(f"parameter {param.name} must be a {param.type}") from e


def _moment(text: str, now: datetime) -> date | datetime:
    text = text.strip()
    if text == "now":
        return now
    if text == "today":
        return now.date()
    if re.fullmatch(r"-\d+d", text):
        return now - timedelta(days=int(text[1:-1]))
    if uk := _UK_DATE.fullmatch(text):  # day first, as the UK writes it
        return date(int(uk.group(3)), int(uk.group(2)), int(uk.group(1)))
    return datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)


def run_named(
    graph: GraphStore,
    name: str,
    params: Mapping[str, Any],
    *,
    now: datetime,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_bytes: int | None = None,
    folder: Path = CYPHER_DIR,
) -> QueryResult:
    queries = load_queries(folder)
    if name not in queries:
        raise QueryRefused(f"no named query {name!r}; `mast report --list` shows them")
    query = queries[name]
    return graph.read(
        query.text_for(graph.backend),
        bind(query, params, now=now),
        timeout_s=timeout_s,
        max_rows=max_rows,
        max_bytes=max_bytes,
    )
