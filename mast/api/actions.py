"""What an audit entry says was done, in words an auditor can read.

A GraphQL read is one operation ("graphql") whether it opened a person's page, listed
search results or ran a report; to an auditor those differ. The entry therefore carries an
`action` code, chosen when it is written from the page that asked (the route's template)
or, for the API, from the query's top-level fields; entries written before codes existed
get theirs the same way when read. Labels are English msgids, translated where shown.
"""

from __future__ import annotations

from typing import Any, Final

from graphql import (
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    parse,
)

from mast.text.i18n import N_

_PAGES: Final[dict[str, str]] = {
    "/search": "search",
    "/search/results": "search",
    "/people/{person_id}": "person-page",
    "/addresses/{address_id}": "address-page",
    "/analysis/{name}": "report",
    "/analysis/figure/{index}": "report",
    "/analysis/weekly": "report",
    "/analysis/{name}/csv": "report-export",
    "/network/{person_id}": "network",
    "/network/address/{address_id}": "network",
    "/network/{person_id}/neighbours": "network",
    "/network/{person_id}/connection/{other_id}": "connection",
    "/network/{person_id}/find": "search",
    "/review": "review-page",
}
"""Pages of the web UI that read through GraphQL, by route template."""

# API queries, by their first top-level field in this order of precedence.
_FIELDS: Final = (
    ("report", "report-api"),
    ("person", "person-api"),
    ("searchPeople", "search-api"),
    ("searchAddresses", "search-api"),
    ("address", "address-api"),
    ("connection", "connection"),
    ("node", "node-api"),
    ("changes", "changes-api"),
)

GRAPHQL_ACTIONS: Final = frozenset(
    {*_PAGES.values(), *(code for _, code in _FIELDS), "chronology-export", "export", "graphql"}
)
"""Actions that are GraphQL reads (the rest are their entry's operation)."""

LABELS: Final[dict[str, str]] = {
    "search": "appeared in search results",
    "person-page": "opened person page",
    "address-page": "opened address page",
    "report": "report %(name)s",
    "report-export": "exported report %(name)s (CSV)",
    "chronology-export": "exported chronology",
    "chronology-print": N_("printed a chronology"),
    "chronology-csv": N_("exported a chronology (CSV)"),
    "chronology-pdf": N_("exported a chronology (PDF)"),
    "export": "exported a download",
    "network": "network explorer",
    "network-export": "saved the network explorer's picture, PDF or CSV",
    "connection": "looked for a connection between people",
    "review-page": "opened the review queue",
    "search-api": "appeared in search results (API)",
    "person-api": "read a person's record (API)",
    "address-api": "read an address (API)",
    "report-api": "report %(name)s (API)",
    "node-api": "read an item by its id (API)",
    "changes-api": "read the change feed (API)",
    "graphql": "other GraphQL query (API)",
    "cypher": "ran an ad-hoc Cypher query",
    "login": "signed in",
    "logout": "signed out",
    "purpose": "stated a purpose",
    "review": "opened the review queue",
    "review-decide": "ruled on a review item",
    "report-link": "reported a record as not this person",
    "audit": "read the audit trail",
    "audit-export": "exported the audit trail",
    "audit-unmerged": "read who viewed people later unmerged",
    "quality": "opened data quality",
    "daily-run": "started the daily run",
    "reports": "listed the reports",
    "purge": "removed records past retention",
    "export-person": "exported everything held on a person (subject access)",
    "users-add": "added a user account",
    "users-disable": "disabled a user account",
    "users-token": "issued an API token",
    "watch": "started watching a person or address",
    "unwatch": "stopped watching a person or address",
    "alerts": "read their alerts",
    "alert-email": "set where their alerts are e-mailed",
}
"""Each action's words (English msgids with `%(name)s` for a report's name)."""

CHOOSABLE: Final = (
    "person-page",
    "search",
    "address-page",
    "report",
    "report-export",
    "chronology-print",
    "chronology-pdf",
    "chronology-csv",
    "network",
    "review-page",
    "person-api",
    "search-api",
    "report-api",
    "cypher",
    "audit",
    "audit-export",
    "login",
)
"""The actions an auditor may filter the trail by, most asked-for first."""


def action_code(page: str | None, query: str | None) -> str:
    """The action of a GraphQL read: by the page that asked, else by the query's fields."""
    if page and page != "/graphql":
        if page in _PAGES:
            return _PAGES[page]
        if page.endswith(("/csv", ".csv", "/pdf", ".pdf", "/print")):
            return "chronology-export" if "chronolog" in page else "export"
    return _by_fields(query or "")


def _by_fields(query: str) -> str:
    try:
        document = parse(query, no_location=True)
    except GraphQLError:
        return "graphql"
    fields = {
        selection.name.value
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
        for selection in definition.selection_set.selections
        if hasattr(selection, "name")
    }
    return next((code for field, code in _FIELDS if field in fields), "graphql")


def action_of(operation: str, params: dict[str, Any]) -> str:
    """The action code of a stored entry (its own, or worked out for an older entry)."""
    if operation != "graphql":
        return operation
    stored = params.get("action")
    if isinstance(stored, str) and stored:
        return stored
    query = params.get("query")
    return action_code(None, query if isinstance(query, str) else None)


def report_name(params: dict[str, Any]) -> str:
    """The saved report an entry ran, if any: the `name` argument of its query's `report`
    field (a literal or a variable), else a `name` in its parameters."""
    variables = params.get("variables")
    query = params.get("query")
    value = _report_argument(query) if isinstance(query, str) else None
    if isinstance(value, StringValueNode):
        return value.value
    if isinstance(value, VariableNode) and isinstance(variables, dict):
        return str(variables.get(value.name.value, "?"))
    name = params.get("name")
    return name if isinstance(name, str) else "?"


def _report_argument(query: str) -> ValueNode | None:
    try:
        document = parse(query, no_location=True)
    except GraphQLError:
        return None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for field in definition.selection_set.selections:
                if isinstance(field, FieldNode) and field.name.value == "report":
                    named = [a.value for a in field.arguments or () if a.name.value == "name"]
                    return named[0] if named else None
    return None


def describe(operation: str, params: dict[str, Any]) -> tuple[str, str]:
    """An entry's action code and its English words, a report's name filled in."""
    code = action_of(operation, params)
    words = LABELS.get(code, code)
    return code, words % {"name": report_name(params)} if "%(name)s" in words else words
