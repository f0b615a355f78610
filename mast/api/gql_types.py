"""The GraphQL object types: Person, Address and what hangs off them.

Every object that carries personal data is made through `person_of` / `address_of` or
records its ids with `ctx.saw`, so the request's audit entry lists everything it showed.
Nested fields load through per-request data loaders: a page of twenty people costs one
look-up, not twenty.
"""

from __future__ import annotations

import base64
import binascii
import enum
import itertools
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from mast.api.context import ClientError, RequestContext, not_found
from mast.resolver.aliases import aliases
from mast.resolver.disputes import Dispute, disputed
from mast.resolver.explain import explain_many, for_and_against
from mast.resolver.near import possibly_same

MAX_PAGE = 100
_INVERSE = {"mother": "child", "father": "child", "parent": "child", "child": "parent"}


def ctx_of(info: Info[RequestContext, None]) -> RequestContext:
    return info.context


# --- Relay ids and pages -------------------------------------------------------------------


def global_id(kind: str, key: str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode())


def parse_id(value: str, kind: str) -> str:
    """A global id of this kind, or the plain MAST id (P…, A…) partner systems store."""
    found_kind, key = split_id(value)
    if found_kind not in {kind, ""}:
        raise not_found()
    return key


def split_id(value: str) -> tuple[str, str]:
    try:
        text = base64.urlsafe_b64decode(value.encode() + b"==").decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return "", value
    kind, sep, key = text.partition(":")
    return (kind, key) if sep and kind in {"Person", "Address"} else ("", value)


def page(first: int, after: str | None, total: int) -> tuple[int, int]:
    """(start, stop) of the page a Relay `first`/`after` pair asks for."""
    if not 1 <= first <= MAX_PAGE:
        raise ClientError(f"first must be between 1 and {MAX_PAGE}", "BAD_USER_INPUT")
    start = 0
    if after:
        try:
            start = int(base64.urlsafe_b64decode(after.encode()).decode().removeprefix("o:")) + 1
        except (binascii.Error, UnicodeDecodeError, ValueError) as e:
            raise ClientError("after is not a cursor this API gave", "BAD_USER_INPUT") from e
    return start, min(start + first, total)


def cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def page_info(stop: int, total: int) -> PageInfo:
    return PageInfo(has_next_page=stop < total, end_cursor=cursor(stop - 1) if stop else None)


def window(ctx: RequestContext, from_: datetime | None, to: datetime | None) -> dict[str, datetime]:
    now = ctx.services.now()
    start = from_ or now - timedelta(days=ctx.services.settings.retention_days)
    return {"from": start, "to": to or now}


# --- Loaders -------------------------------------------------------------------------------


async def load_person(ctx: RequestContext, person_id: str) -> Person | None:
    return (await people(ctx, [person_id])).get(person_id)


async def load_address(ctx: RequestContext, address_id: str) -> Address | None:
    return (await places(ctx, [address_id])).get(address_id)


def _by_key(ctx: RequestContext, query: str, key: str, ids: list[str]) -> list[Any]:
    rows = {r[key]: r for r in ctx.services.api_read(query, {"ids": ids}).records()}
    return [rows.get(i) for i in ids]


def person_of(ctx: RequestContext, row: dict[str, Any]) -> Person:
    ctx.saw(row["person_id"])
    return Person(
        id=global_id("Person", row["person_id"]),
        person_id=row["person_id"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        other_names=[n.strip() for n in (row["other_names"] or "").split(";") if n.strip()],
        dob=row["dob"],
        sex=row["sex"],
        nhs_number=row["nhs_number"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
    )


def address_of(ctx: RequestContext, row: dict[str, Any]) -> Address:
    ctx.saw(row["address_id"])
    return Address(
        id=global_id("Address", row["address_id"]),
        address_id=row["address_id"],
        uprn=row["uprn"],
        line=row["line"],
        postcode=row["postcode"],
        town=row["town"],
        local_authority=row["local_authority"],
        premises_type=row["premises_type"],
        residential=row["residential"],
    )


async def people(ctx: RequestContext, ids: list[str]) -> dict[str, Person]:
    """These people, by id, in one batched look-up (ids not in the graph are left out)."""
    loader = ctx.loader("person", lambda ids: _by_key(ctx, "people_by_id", "person_id", ids))
    rows = await loader.load_many(ids)
    return {row["person_id"]: person_of(ctx, row) for row in rows if row}


async def places(ctx: RequestContext, ids: list[str]) -> dict[str, Address]:
    """These addresses, by id, in one batched look-up."""
    loader = ctx.loader("address", lambda ids: _by_key(ctx, "addresses_by_id", "address_id", ids))
    rows = await loader.load_many(ids)
    return {row["address_id"]: address_of(ctx, row) for row in rows if row}


# --- What hangs off a person -----------------------------------------------------------------


@strawberry.type
class AgencyInvolvement:
    agency: str
    agency_kind: str
    events: int
    last_event: datetime | None
    agency_id: str | None = strawberry.field(
        default=None, description="the id open cases name their agency by"
    )


@strawberry.type
class ChronologyEvent:
    occurred_at: datetime
    agency: str | None
    agency_kind: str | None
    kind: str | None
    category: str | None
    role: str | None
    ref: str | None
    address_id: str | None
    address_line: str | None
    record_id: str | None
    score: float | None = strawberry.field(
        default=None, description="the match weight that linked the record (none if ruled)"
    )
    dispute: DisputeFlag | None = strawberry.field(
        default=None, description="set while someone has reported the record as not this person"
    )


@strawberry.type
class DisputeFlag:
    reported_by: str
    reason: str
    reported_at: datetime
    state: str = strawberry.field(
        description="'open': waiting for a reviewer; 'upheld': unlinked, moves at the next run"
    )
    review_item: int


def flag_of(d: Dispute | None) -> DisputeFlag | None:
    if d is None:
        return None
    return DisputeFlag(
        reported_by=d.reported_by,
        reason=d.reason,
        reported_at=d.reported_at,
        state=d.state,
        review_item=d.item_id,
    )


async def disputes_of(ctx: RequestContext, record_ids: list[str]) -> dict[str, Dispute]:
    def read() -> dict[str, Dispute]:
        with ctx.services.engine.connect() as conn:
            return disputed(conn, record_ids)

    return await ctx.run(read) if record_ids else {}


@strawberry.type
class ChronologyEdge:
    cursor: str
    node: ChronologyEvent


@strawberry.type
class ChronologyConnection:
    edges: list[ChronologyEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class OpenCase:
    case_id: str
    agency: str | None
    kind: str | None
    opened: date | None
    lead_name: str | None = strawberry.field(description="the case or safeguarding lead")
    lead_phone: str | None
    lead_email: str | None
    team: str | None


@strawberry.type
class HouseholdMember:
    person: Person
    address_id: str
    address_line: str | None
    since: date | None
    until: date | None


@strawberry.type
class LastHousehold:
    address_id: str
    address_line: str | None
    recorded_on: date | None = strawberry.field(
        description="the last day the records place this person at the address"
    )
    members: list[HouseholdMember] = strawberry.field(
        description="others recorded there during the person's last stay, with when"
    )


@strawberry.type
class PossibleMatch:
    person: Person
    weight: float | None = strawberry.field(description="the closest pair's match weight")
    why: str = strawberry.field(description="how the pair came up, in plain words")
    evidence_for: str
    evidence_against: str
    review_item: int | None


@strawberry.type
class Relative:
    person: Person
    kind: str = strawberry.field(description="what they are to this person: mother, child …")
    valid_from: date | None
    valid_to: date | None
    evidence: str | None


@strawberry.type
class SharedEvent:
    agency: str | None
    kind: str | None
    category: str | None
    occurred_at: datetime | None


@strawberry.type
class NetworkMember:
    person: Person
    via: str = strawberry.field(description="'related' or 'shared event'")
    hops: int
    events: list[SharedEvent] = strawberry.field(
        description="for 'shared event': the events they were both at"
    )


@strawberry.type
class Stay:
    address: Address
    local_authority: str | None
    valid_from: date | None
    valid_to: date | None
    sources: list[str]


@strawberry.type
class LinkedRecord:
    record_id: str
    feed: str | None
    agency: str | None
    source_person_id: str | None
    given_name: str | None
    family_name: str | None
    dob: date | None
    sex: str | None
    address_text: str | None
    postcode: str | None
    role: str | None
    occurred_at: datetime | None
    score: float | None
    decided_by: str | None
    explanation: str = strawberry.field(description="why this record is this person's")
    evidence_for: str = ""
    evidence_against: str = strawberry.field(
        default="", description="what spoke against this record being this person's"
    )
    dispute: DisputeFlag | None = None


@strawberry.type
class Transition:
    adult_on: date | None
    last_child_contact: date | None
    first_adult_contact: date | None


@strawberry.type
class BoundaryMove:
    moved_on: date | None
    from_authority: str | None
    to_authority: str | None
    from_address_id: str
    to_address_id: str


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class Person(Node):
    person_id: str
    given_name: str | None
    family_name: str | None
    other_names: list[str]
    dob: date | None
    sex: str | None
    nhs_number: str | None
    first_seen: datetime | None
    last_seen: datetime | None

    @strawberry.field(
        description="other names a partner recorded, leaving out typing slips of this name"
    )
    def aliases(self) -> list[str]:
        return aliases(self.given_name, self.family_name, self.other_names)

    @strawberry.field(description="agencies involved, with their events in the graph")
    async def agencies(self, info: Info[RequestContext, None]) -> list[AgencyInvolvement]:
        ctx = ctx_of(info)
        ctx.require("view")
        rows = await ctx.run(
            lambda: ctx.services.api_read("agencies_of", {"person_id": self.person_id})
        )
        return [AgencyInvolvement(**r) for r in rows.records()]

    @strawberry.field(
        description="every agency's events, oldest first unless newestFirst (last 12 months)"
    )
    async def chronology(
        self,
        info: Info[RequestContext, None],
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        agencies: list[str] | None = None,
        first: int = 50,
        after: str | None = None,
        newest_first: bool = False,
    ) -> ChronologyConnection:
        ctx = ctx_of(info)
        ctx.require("view")
        params = {"person_id": self.person_id, **window(ctx, from_, to)}
        rows = (await ctx.run(ctx.services.report, "person_chronology", params)).records()
        if agencies:
            wanted = {a.lower() for a in agencies}
            rows = [
                r
                for r in rows
                if str(r["agency"]).lower() in wanted or str(r["agency_kind"]).lower() in wanted
            ]
        if newest_first:
            rows = rows[::-1]
        start, stop = page(first, after, len(rows))
        flags = await disputes_of(ctx, [rows[i]["record_id"] for i in range(start, stop)])
        edges = []
        for i in range(start, stop):
            row = rows[i]
            ctx.saw(row["record_id"], row["address_id"])
            event = ChronologyEvent(
                occurred_at=row["occurred_at"],
                agency=row["agency"],
                agency_kind=row["agency_kind"],
                kind=row["kind"],
                category=row["category"],
                role=row["role"],
                ref=row["ref"],
                address_id=row["address_id"],
                address_line=row["address"],
                record_id=row["record_id"],
                score=row.get("score"),
                dispute=flag_of(flags.get(row["record_id"])),
            )
            edges.append(ChronologyEdge(cursor=cursor(i), node=event))
        return ChronologyConnection(
            edges=edges, page_info=page_info(stop, len(rows)), total_count=len(rows)
        )

    @strawberry.field(description="who lived with them on a day (today if not given)")
    async def household(
        self, info: Info[RequestContext, None], on: date | None = None
    ) -> list[HouseholdMember]:
        ctx = ctx_of(info)
        ctx.require("view")
        params: dict[str, Any] = {"person_id": self.person_id}
        if on:
            params["day"] = on
        rows = (await ctx.run(ctx.services.report, "household_on", params)).records()
        found = await people(ctx, [r["person_id"] for r in rows])
        members = []
        for r in rows:
            if person := found.get(r["person_id"]):
                ctx.saw(r["address_id"])
                members.append(
                    HouseholdMember(
                        person=person,
                        address_id=r["address_id"],
                        address_line=r["address"],
                        since=r["since"],
                        until=r["until"],
                    )
                )
        return members

    @strawberry.field(
        description="who the records last placed with them: at their latest address, during "
        "their last stay there, each with the days recorded (not 'today': records lag)"
    )
    async def household_last(self, info: Info[RequestContext, None]) -> LastHousehold | None:
        ctx = ctx_of(info)
        ctx.require("view")
        stays = await _stays(ctx, self.person_id)
        dated = [s for s in stays if s["valid_to"] is not None]
        if not dated:
            return None
        last = max(dated, key=lambda s: (s["valid_to"], s["valid_from"] or s["valid_to"]))
        params = {
            "address_id": last["address_id"],
            "from": last["valid_from"] or last["valid_to"],
            "to": last["valid_to"],
        }
        rows = (await ctx.run(ctx.services.api_read, "address_residents", params)).records()
        found = await people(ctx, [r["person_id"] for r in rows])
        ctx.saw(last["address_id"])
        members = [
            HouseholdMember(
                person=person,
                address_id=last["address_id"],
                address_line=last["line"],
                since=r["valid_from"],
                until=r["valid_to"],
            )
            for r in sorted(rows, key=lambda r: (str(r["valid_to"]), r["person_id"]), reverse=True)
            if r["person_id"] != self.person_id and (person := found.get(r["person_id"]))
        ]
        return LastHousehold(
            address_id=last["address_id"],
            address_line=last["line"],
            recorded_on=last["valid_to"],
            members=members,
        )

    @strawberry.field(
        description="other people this one may be: open review items and near misses, with why"
    )
    async def possibly_same(self, info: Info[RequestContext, None]) -> list[PossibleMatch]:
        ctx = ctx_of(info)
        ctx.require("view")
        found = await ctx.run(possibly_same, ctx.services.engine, self.person_id)
        known = await people(ctx, [c.person_id for c in found])
        return [
            PossibleMatch(
                person=person,
                weight=c.weight,
                why=c.why,
                evidence_for=c.evidence_for,
                evidence_against=c.evidence_against,
                review_item=c.item_id,
            )
            for c in found
            if (person := known.get(c.person_id))
        ]

    @strawberry.field(description="family and household relationships the records show")
    async def relatives(self, info: Info[RequestContext, None]) -> list[Relative]:
        ctx = ctx_of(info)
        ctx.require("view")
        rows = (
            await ctx.run(ctx.services.api_read, "relatives", {"person_id": self.person_id})
        ).records()
        found = await people(ctx, [r["person_id"] for r in rows])
        out = []
        for r in rows:
            if person := found.get(r["person_id"]):
                kind = r["kind"] if r["outward"] else _INVERSE.get(r["kind"], r["kind"])
                out.append(
                    Relative(
                        person=person,
                        kind=kind,
                        valid_from=r["valid_from"],
                        valid_to=r["valid_to"],
                        evidence=r["evidence"],
                    )
                )
        return out

    @strawberry.field(description="people related to them or at the same events")
    async def network(self, info: Info[RequestContext, None], hops: int = 1) -> list[NetworkMember]:
        ctx = ctx_of(info)
        ctx.require("network")
        if not 1 <= hops <= 2:
            raise ClientError("hops must be 1 or 2", "BAD_USER_INPUT")
        rows = (
            await ctx.run(ctx.services.report, "network", {"person_id": self.person_id})
        ).records()
        best: dict[tuple[str, str], int] = {}
        for r in rows:
            if r["hops"] <= hops:
                k = (r["person_id"], r["via"])
                best[k] = min(best.get(k, 9), int(r["hops"]))
        found = await people(ctx, sorted({pid for pid, _ in best}))
        shared: dict[str, list[SharedEvent]] = {}
        if any(via == "shared event" for _, via in best):
            result = await ctx.run(
                ctx.services.api_read, "shared_events", {"person_id": self.person_id}
            )
            for e in result.records():
                ctx.saw(e["event_id"])
                shared.setdefault(e["person_id"], []).append(
                    SharedEvent(
                        agency=e["agency"],
                        kind=e["kind"],
                        category=e["category"],
                        occurred_at=e["occurred_at"],
                    )
                )
        out = []
        for (pid, via), n in sorted(best.items(), key=lambda kv: (kv[1], kv[0])):
            if person := found.get(pid):
                met = shared.get(pid, []) if via == "shared event" else []
                out.append(NetworkMember(person=person, via=via, hops=n, events=met))
        return out

    @strawberry.field(description="open cases, with the lead's name, phone, email and team")
    async def open_cases(self, info: Info[RequestContext, None]) -> list[OpenCase]:
        ctx = ctx_of(info)
        ctx.require("view")
        rows = (
            await ctx.run(ctx.services.report, "open_cases", {"person_id": self.person_id})
        ).records()
        ctx.saw(*(r["case_id"] for r in rows))
        return [OpenCase(**r) for r in rows]

    @strawberry.field(description="where they lived, over time")
    async def addresses(self, info: Info[RequestContext, None]) -> list[Stay]:
        ctx = ctx_of(info)
        ctx.require("view")
        rows = await _stays(ctx, self.person_id)
        found = await places(ctx, [r["address_id"] for r in rows])
        out = []
        for r in rows:
            if address := found.get(r["address_id"]):
                out.append(
                    Stay(
                        address=address,
                        local_authority=r["local_authority"],
                        valid_from=r["valid_from"],
                        valid_to=r["valid_to"],
                        sources=list(r["sources"] or []),
                    )
                )
        return out

    @strawberry.field(description="each agency's record of them, and why it was linked")
    async def records(
        self,
        info: Info[RequestContext, None],
        ids: Annotated[
            list[str] | None,
            strawberry.argument(description="only these records (a reviewer's pair)"),
        ] = None,
    ) -> list[LinkedRecord]:
        ctx = ctx_of(info)
        ctx.require("records")
        rows = (
            await ctx.run(ctx.services.api_read, "person_records", {"person_id": self.person_id})
        ).records()
        if ids is not None:  # each record explained costs a read of the model: only those asked
            wanted = set(ids)
            rows = [r for r in rows if r["record_id"] in wanted]

        ids = [r["record_id"] for r in rows]
        # One batched explanation: the model is read once, not once per record.
        explained = await ctx.run(explain_many, ctx.services.engine, ids)
        flags = await disputes_of(ctx, ids)
        ctx.saw(*ids)
        out = []
        for r in rows:
            why = explained.get(r["record_id"])
            pro, con = for_and_against(why.contributions) if why else ("", "")
            out.append(
                LinkedRecord(
                    **r,
                    explanation=why.sentence if why else "not resolved by the state store yet",
                    evidence_for=pro,
                    evidence_against=con,
                    dispute=flag_of(flags.get(r["record_id"])),
                )
            )
        return out

    @strawberry.field(description="children's to adult services at 18, if they made it")
    async def transitions(self, info: Info[RequestContext, None]) -> list[Transition]:
        ctx = ctx_of(info)
        ctx.require("view")
        rows = await ctx.run(
            ctx.services.api_read, "person_transitions", {"person_id": self.person_id}
        )
        return [Transition(**r) for r in rows.records()]

    @strawberry.field(description="moves from one local authority to another")
    async def boundary_moves(self, info: Info[RequestContext, None]) -> list[BoundaryMove]:
        ctx = ctx_of(info)
        ctx.require("view")
        stays = await _stays(ctx, self.person_id)
        moves = []
        for before, after in itertools.pairwise(stays):
            if before["local_authority"] != after["local_authority"]:
                ctx.saw(before["address_id"], after["address_id"])
                moves.append(
                    BoundaryMove(
                        moved_on=after["valid_from"],
                        from_authority=before["local_authority"],
                        to_authority=after["local_authority"],
                        from_address_id=before["address_id"],
                        to_address_id=after["address_id"],
                    )
                )
        return moves


async def _stays(ctx: RequestContext, person_id: str) -> list[dict[str, Any]]:
    rows = await ctx.run(ctx.services.api_read, "person_addresses", {"person_id": person_id})
    return rows.records()


# --- What hangs off an address ---------------------------------------------------------------


@strawberry.type
class Residency:
    person: Person
    valid_from: date | None
    valid_to: date | None


@strawberry.type
class EventCount:
    agency: str | None
    category: str | None
    events: int


@strawberry.type
class AddressEvent:
    occurred_at: datetime
    agency: str | None
    agency_kind: str | None
    kind: str | None
    category: str | None
    ref: str | None
    people: list[Person]


@strawberry.type
class AddressEventEdge:
    cursor: str
    node: AddressEvent


@strawberry.type
class AddressEventConnection:
    edges: list[AddressEventEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class Address(Node):
    address_id: str
    uprn: str | None
    line: str | None
    postcode: str | None
    town: str | None
    local_authority: str | None
    premises_type: str | None
    residential: bool | None

    @strawberry.field(description="who lived here during the window (12 months if not given)")
    async def residents(
        self,
        info: Info[RequestContext, None],
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> list[Residency]:
        ctx = ctx_of(info)
        ctx.require("view")
        params: dict[str, Any] = {"address_id": self.address_id}
        if from_:
            params["from"] = from_
        if to:
            params["to"] = to
        rows = (await ctx.run(ctx.services.api_read, "address_residents", params)).records()
        found = await people(ctx, [r["person_id"] for r in rows])
        out = []
        for r in rows:
            if person := found.get(r["person_id"]):
                out.append(
                    Residency(person=person, valid_from=r["valid_from"], valid_to=r["valid_to"])
                )
        return out

    @strawberry.field(description="every event recorded here, oldest first (or newest)")
    async def chronology(
        self,
        info: Info[RequestContext, None],
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        first: int = 50,
        after: str | None = None,
        newest_first: bool = False,
    ) -> AddressEventConnection:
        ctx = ctx_of(info)
        ctx.require("view")
        params = {"address_id": self.address_id, **window(ctx, from_, to)}
        rows = (await ctx.run(ctx.services.report, "address_chronology", params)).records()
        if newest_first:  # a control room wants the latest first, and the first page of it
            rows.reverse()
        start, stop = page(first, after, len(rows))
        found = await people(ctx, sorted({p for r in rows[start:stop] for p in r["people"] or []}))
        edges = []
        for i in range(start, stop):
            r = rows[i]
            event = AddressEvent(
                occurred_at=r["occurred_at"],
                agency=r["agency"],
                agency_kind=r["agency_kind"],
                kind=r["kind"],
                category=r["category"],
                ref=r["ref"],
                people=[found[p] for p in r["people"] or [] if p in found],
            )
            edges.append(AddressEventEdge(cursor=cursor(i), node=event))
        return AddressEventConnection(
            edges=edges, page_info=page_info(stop, len(rows)), total_count=len(rows)
        )

    @strawberry.field(description="events here by agency and category")
    async def counts(
        self,
        info: Info[RequestContext, None],
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> list[EventCount]:
        ctx = ctx_of(info)
        ctx.require("view")
        params = {"address_id": self.address_id, **window(ctx, from_, to)}
        rows = await ctx.run(ctx.services.api_read, "address_counts", params)
        return [EventCount(**r) for r in rows.records()]


# --- The change feed ---------------------------------------------------------------------


@strawberry.enum(description="what a resolution did to a person")
class ChangeKind(enum.Enum):
    CREATED = "created"
    SPLIT = "split"
    MERGED = "merged"
    RETIRED = "retired"
    EVENT = "event"


@strawberry.type(description="one entry of the change feed: ids and a kind, nothing else")
class Change:
    kind: ChangeKind
    person_id: str = strawberry.field(
        description="created, retired: that person; split: the id split; merged: the id "
        "retired; event: the person the event is now linked to"
    )
    into_id: str | None = strawberry.field(
        description="merged: the surviving id; split: the new id that took part of its records"
    )
    event_id: str | None = strawberry.field(
        description="event: the event's id, as in the graph and on the person's chronology"
    )
    at: datetime = strawberry.field(description="the clock of the run that made the change")


@strawberry.type
class ChangeEdge:
    cursor: str
    node: Change


@strawberry.type
class ChangeConnection:
    edges: list[ChangeEdge]
    page_info: PageInfo = strawberry.field(
        description="endCursor: where the next read starts (the cursor given, if no entry is new)"
    )
    head_cursor: str | None = strawberry.field(
        description="the newest entry's cursor: where an app that has just read everything "
        "afresh starts following"
    )


def change_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"c:{seq}".encode()).decode()


def parse_change_cursor(value: str | None) -> int:
    """The entry number a change cursor stands for (0: from the start)."""
    if value is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(value.encode()).decode()
        if not text.startswith("c:"):
            raise ValueError(text)
        seq = int(text.removeprefix("c:"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as e:
        raise ClientError("after is not a change cursor this API gave", "BAD_USER_INPUT") from e
    if seq < 0:
        raise ClientError("after is not a change cursor this API gave", "BAD_USER_INPUT")
    return seq
