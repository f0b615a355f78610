"""The GraphQL schema partner apps and the web UI read: queries only, no mutations.

Limits (RELIABILITY P10): depth ≤ 8, aliases ≤ 15, ≤ 2,000 tokens, pages ≤ 100, a
timeout; introspection off unless MAST_DEV_MODE; any error not meant for the client is
masked to `INTERNAL`. Running an operation and writing its audit entry is `execute`'s job.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.scalars import JSON
from strawberry.types import ExecutionContext, Info

from mast.api.context import ClientError, RequestContext, not_found
from mast.api.gql_log import log_internal
from mast.api.gql_types import (
    MAX_PAGE,
    Address,
    Change,
    ChangeConnection,
    ChangeEdge,
    ChangeKind,
    Node,
    PageInfo,
    Person,
    address_of,
    change_cursor,
    ctx_of,
    cursor,
    global_id,
    load_address,
    load_person,
    page,
    page_info,
    parse_change_cursor,
    parse_id,
    people,
    places,
    split_id,
)
from mast.api.search import AddressHit, PersonFacts, PersonHit, PlaceFacts
from mast.api.search_pairs import possibly_same
from mast.api.subjects import ids_in
from mast.core.errors import QueryRefused
from mast.graph.queries import load_queries
from mast.loaders.cleanse.dates import add_years
from mast.resolver import change_feed

SDL_PATH = Path(__file__).parent.parent / "schema" / "schema.graphql"
MAX_DEPTH = 8
MAX_ALIASES = 15
MAX_TOKENS = 2_000


@strawberry.input
class AgeRange:
    min: int = 0
    max: int = 120


@strawberry.type
class HitAgency:
    agency: str
    agency_kind: str


@strawberry.type
class PersonHitEdge:
    cursor: str
    node: Person
    score: float = strawberry.field(description="0–1: how well the person fits the search")
    why: list[str] = strawberry.field(description="which details matched, and how")
    agencies: list[HitAgency] = strawberry.field(
        description="agencies involved, the latest contact first"
    )
    open_cases: int = strawberry.field(description="how many cases about them are open")
    last_address: Address | None = strawberry.field(description="the last address on record")
    possibly_same: list[str] = strawberry.field(
        description="person ids among these hits the resolver could not tell apart from them "
        "(a near miss or a pair waiting for review)"
    )


@strawberry.type
class PersonSearchConnection:
    edges: list[PersonHitEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class AddressHitEdge:
    cursor: str
    node: Address
    score: float
    why: list[str]
    residents: int = strawberry.field(description="people living there in the last 12 months")
    latest_incident: datetime | None = strawberry.field(description="the latest event there")
    incidents: int = strawberry.field(description="events recorded there")


@strawberry.type
class AddressSearchConnection:
    edges: list[AddressHitEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class ReportResult:
    name: str
    columns: list[str]
    rows: JSON = strawberry.field(description="a list of rows, each a list of values")
    truncated: bool


@strawberry.type
class Link:
    type: str = strawberry.field(description="RELATED or LIVED_AT")
    kind: str | None = strawberry.field(description="for RELATED: household, mother …")
    valid_from: date | None
    valid_to: date | None


@strawberry.type
class Connection:
    hops: int | None = strawberry.field(description="steps between them; null: none in six")
    people: list[Person]
    addresses: list[Address]
    path: list[strawberry.ID] = strawberry.field(description="global ids, in path order")
    links: list[Link] = strawberry.field(
        description="the links between consecutive steps of `path`, in order", default_factory=list
    )


@strawberry.type
class Query:
    @strawberry.field(description="people by name (typos, nicknames), date of birth, age, postcode")
    async def search_people(
        self,
        info: Info[RequestContext, None],
        name: str | None = None,
        dob: date | None = None,
        age_range: AgeRange | None = None,
        postcode: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> PersonSearchConnection:
        ctx = ctx_of(info)
        ctx.require("search")
        if not (name or dob or postcode):
            raise ClientError("give a name, a date of birth or a postcode", "BAD_USER_INPUT")
        born = None
        if age_range:
            if not 0 <= age_range.min <= age_range.max <= 130:
                raise ClientError("ageRange needs 0 <= min <= max <= 130", "BAD_USER_INPUT")
            today = ctx.services.now().date()
            born = (add_years(today, -age_range.max - 1), add_years(today, -age_range.min))
        index, _ = await ctx.run(ctx.services.indexes)
        hits: list[PersonHit] = await ctx.run(
            lambda: index.search(name=name, dob=dob, postcode=postcode, born_between=born)
        )
        start, stop = page(first, after, len(hits))
        shown = [h.person_id for h in hits[start:stop]]
        by_id = await people(ctx, shown)
        facts = {pid: index.facts.get(pid, PersonFacts()) for pid in shown}
        homes = await places(ctx, [f.last_address_id for f in facts.values() if f.last_address_id])
        same = await ctx.run(possibly_same, ctx.services.engine, shown)
        edges = [
            PersonHitEdge(
                cursor=cursor(i),
                node=by_id[h.person_id],
                score=h.score,
                why=list(h.why),
                agencies=[
                    HitAgency(agency=name, agency_kind=kind)
                    for kind, name in facts[h.person_id].agencies
                ],
                open_cases=facts[h.person_id].open_cases,
                last_address=homes.get(facts[h.person_id].last_address_id or ""),
                possibly_same=sorted(same.get(h.person_id, ())),
            )
            for i, h in enumerate(hits[start:stop], start)
            if h.person_id in by_id
        ]
        return PersonSearchConnection(
            edges=edges, page_info=page_info(stop, len(hits)), total_count=len(hits)
        )

    @strawberry.field(
        description="addresses as a caller says them ('flat 2 above the chip shop on high st', "
        "'Flat 2 77 Dyfed Crescent', a business or building name, a street) and/or a postcode "
        "(full, district or sector)"
    )
    async def search_addresses(
        self,
        info: Info[RequestContext, None],
        text: str | None = None,
        postcode: str | None = None,
        first: int = 20,
        after: str | None = None,
        loose: Annotated[
            bool,
            strawberry.argument(
                description="when the text's parts (flat, door, street, building) are not "
                "recognised, match its words anywhere in the address"
            ),
        ] = True,
    ) -> AddressSearchConnection:
        ctx = ctx_of(info)
        ctx.require("search")
        if not (text or postcode):
            raise ClientError("give address text or a postcode", "BAD_USER_INPUT")
        _, index = await ctx.run(ctx.services.indexes)
        hits: list[AddressHit] = await ctx.run(
            lambda: index.search(text=text, postcode=postcode, loose=loose)
        )
        start, stop = page(first, after, len(hits))
        found = await places(ctx, [h.address_id for h in hits[start:stop]])
        edges = []
        for i, h in enumerate(hits[start:stop], start):
            if address := found.get(h.address_id):
                facts = index.facts.get(h.address_id, PlaceFacts())
                edges.append(
                    AddressHitEdge(
                        cursor=cursor(i),
                        node=address,
                        score=h.score,
                        why=list(h.why),
                        residents=facts.residents,
                        latest_incident=facts.latest_incident,
                        incidents=facts.incidents,
                    )
                )
        return AddressSearchConnection(
            edges=edges, page_info=page_info(stop, len(hits)), total_count=len(hits)
        )

    @strawberry.field(description="one person, by global id or MAST person id")
    async def person(self, info: Info[RequestContext, None], id: strawberry.ID) -> Person | None:
        ctx = ctx_of(info)
        ctx.require("view")
        return await load_person(ctx, parse_id(id, "Person"))

    @strawberry.field(description="one address, by global id or MAST address id")
    async def address(self, info: Info[RequestContext, None], id: strawberry.ID) -> Address | None:
        ctx = ctx_of(info)
        ctx.require("view")
        return await load_address(ctx, parse_id(id, "Address"))

    @strawberry.field(description="any object by its global id")
    async def node(self, info: Info[RequestContext, None], id: strawberry.ID) -> Node | None:
        ctx = ctx_of(info)
        ctx.require("view")
        kind, key = split_id(id)
        if kind == "Person":
            return await load_person(ctx, key)
        if kind == "Address":
            return await load_address(ctx, key)
        raise not_found()

    @strawberry.field(description="a saved report (`GET /reports` lists them and their params)")
    async def report(
        self, info: Info[RequestContext, None], name: str, params: JSON | None = None
    ) -> ReportResult:
        ctx = ctx_of(info)
        ctx.require("report")
        query = load_queries().get(name)
        if query is None or ctx.user.role not in query.roles:
            raise not_found()
        if params is not None and not isinstance(params, dict):
            raise ClientError("params must be an object", "BAD_USER_INPUT")
        try:
            result = await ctx.run(ctx.services.report, name, dict(params or {}))
        except QueryRefused as e:
            raise ClientError(str(e), "BAD_USER_INPUT") from e
        # The person a report is about is viewed even when no row names them (a chronology).
        ctx.saw(*ids_in(result.columns, result.rows, params))
        return ReportResult(
            name=name,
            columns=result.columns,
            rows=jsonable(result.rows),
            truncated=result.truncated,
        )

    @strawberry.field(
        description="the values report parameters take, by vocabulary (agency_kind, agency,"
        " category, event_kind, local_authority, feed), read from the data"
    )
    async def report_choices(self, info: Info[RequestContext, None]) -> JSON:
        ctx = ctx_of(info)
        ctx.require("report")
        choices: dict[str, list[str]] = await ctx.run(ctx.services.report_choices)
        return JSON(choices)

    @strawberry.field(description="the shortest chain of family, household and addresses")
    async def connection(
        self, info: Info[RequestContext, None], person_a: strawberry.ID, person_b: strawberry.ID
    ) -> Connection:
        ctx = ctx_of(info)
        ctx.require("network")
        params = {
            "from_person": parse_id(person_a, "Person"),
            "to_person": parse_id(person_b, "Person"),
        }
        result = await ctx.run(ctx.services.report, "shortest_connection", params)
        if not result.rows:
            return Connection(hops=None, people=[], addresses=[], path=[])
        hops, nodes, rels = result.rows[0]
        on_path = [n for n in nodes if n.get("label") in {"Person", "Address"}]
        found = await people(ctx, [n["person_id"] for n in on_path if n["label"] == "Person"])
        return Connection(
            hops=int(hops),
            people=list(found.values()),
            addresses=[address_of(ctx, n) for n in on_path if n["label"] == "Address"],
            path=[_global(n) for n in on_path],
            links=[_link_of(r) for r in rels],
        )

    @strawberry.field(
        description="what resolution did to persons since `after`, in order: created, split "
        "(id → new id), merged (retired id → surviving id), retired, and events newly linked "
        "to a person; ids and kinds only (docs/api.md, 'Following changes')"
    )
    async def changes(
        self, info: Info[RequestContext, None], after: str | None = None, first: int = 100
    ) -> ChangeConnection:
        ctx = ctx_of(info)
        ctx.require("changes")
        if not 1 <= first <= MAX_PAGE:
            raise ClientError(f"first must be between 1 and {MAX_PAGE}", "BAD_USER_INPUT")
        since = parse_change_cursor(after)
        found = await ctx.run(
            lambda: change_feed.page(ctx.services.engine, after=since, first=first)
        )
        # Before what is kept, or past the newest (a store restored from an older backup,
        # whose numbers will be given again to other changes): either way, changes are lost.
        if after is not None and not found.pruned <= since <= found.head:
            raise ClientError(
                "the feed does not hold the changes after this cursor: read the people "
                "you follow afresh, then follow from headCursor",
                "CURSOR_EXPIRED",
            )
        for e in found.entries:
            ctx.saw(e.person_id, e.into_id, e.event_id)
        last = found.entries[-1].seq if found.entries else since
        return ChangeConnection(
            edges=[
                ChangeEdge(
                    cursor=change_cursor(e.seq),
                    node=Change(
                        kind=ChangeKind(e.kind),
                        person_id=e.person_id,
                        into_id=e.into_id,
                        event_id=e.event_id,
                        at=e.at,
                    ),
                )
                for e in found.entries
            ],
            page_info=PageInfo(
                has_next_page=last < found.head,
                end_cursor=change_cursor(last) if last or after is not None else None,
            ),
            head_cursor=change_cursor(found.head) if found.head else None,
        )


def _link_of(rel: dict[str, Any]) -> Link:
    return Link(
        type=str(rel.get("type")),
        kind=rel.get("kind"),
        valid_from=_date(rel.get("valid_from")),
        valid_to=_date(rel.get("valid_to")),
    )


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _global(node: dict[str, Any]) -> strawberry.ID:
    kind = str(node["label"])
    return global_id(kind, node["person_id"] if kind == "Person" else node["address_id"])


def jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value


class _Mask(MaskErrors):
    """Masks what was not meant for the client, keeping a code on every error, and takes
    graphql-core's "Did you mean …?" out of every message: with introspection off,
    suggestions would spell the schema out a guess at a time."""

    def __init__(self, *, suggest: bool) -> None:
        super().__init__(should_mask_error=_should_mask, error_message="internal error")
        self.suggest = suggest

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL"}
        return masked

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        if self.suggest:
            return processed
        for error in processed:
            error.message = _SUGGESTION.sub("", error.message)
        return processed


_SUGGESTION = re.compile(r" Did you mean [^?]*\?")


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, ClientError)


def build_schema(*, dev_mode: bool = False) -> strawberry.Schema:
    # Factories: strawberry makes each extension afresh for every request.
    extensions: list[Any] = [
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: _Mask(suggest=dev_mode),
    ]
    if not dev_mode:
        extensions.append(DisableIntrospection)
    return _Schema(query=Query, types=[Person, Address], extensions=extensions)


class _Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log what went wrong inside, without the query or the error's text (`gql_log`);
        a refused request is the client's business."""
        for error in errors:
            if _should_mask(error):
                log_internal(error, execution_context)


def sdl() -> str:
    return build_schema(dev_mode=True).as_str() + "\n"


if __name__ == "__main__":  # python -m mast.api.gql_schema: re-export the SDL
    SDL_PATH.write_text(sdl(), encoding="utf-8")
