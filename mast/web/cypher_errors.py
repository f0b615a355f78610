"""An analyst's failed Cypher in plain words, with where in the query it went wrong.

Both engines' messages are read (Ladybug's `Binder exception: …`, Neo4j's `Variable `q` not
defined (line 1, column 25 …)`) and rewritten: what is wrong, what to do, and the line
and column to put a caret under. The words never quote data: only the analyst's own names
(variables, labels, properties, functions) are repeated, and the stores have already taken
quoted values out of the engine's text (`graph.store.unquote`, `redact`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from mast.core.errors import GraphError, QueryRefused, QueryTimedOut, ResultTooLarge
from mast.schema.graph import NODES, RELS
from mast.text.i18n import N_
from mast.text.i18n import gettext as _


@dataclass(frozen=True)
class PlainError:
    message: str
    line: int | None = None
    """1-based line of the query the caret points at."""
    column: int | None = None
    """1-based column of the caret on that line."""
    line_text: str = ""

    @property
    def caret(self) -> str:
        return " " * ((self.column or 1) - 1) + "^"


_LADYBUG_AT = re.compile(r"\(line: (\d+), offset: (\d+)\)")
_NEO4J_AT = re.compile(r"line (\d+), column (\d+)")
_NAMES = sorted({n.label for n in NODES} | {r.type for r in RELS})
_PROPERTIES = sorted({p for n in NODES for p in n.names} | {p for r in RELS for p in r.names})
_STRING_OR_COMMENT = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|//[^\n]*|/\*.*?\*/", re.S)


def plain(query: str, error: Exception) -> PlainError:
    """The error in words, with a position where the engine gave one or a name shows it."""
    if isinstance(error, QueryTimedOut):
        return PlainError(
            _(
                "The query took longer than its time limit and was stopped. Narrow it: a "
                "label on every node, a date range, or a LIMIT."
            )
        )
    if isinstance(error, ResultTooLarge):
        return PlainError(
            _("The answer is too large to show. Return fewer columns or add a LIMIT.")
        )
    text = str(error)
    if isinstance(error, QueryRefused):
        return _refused(text)
    if isinstance(error, GraphError):
        return _engine(query, text)
    return PlainError(_("The query could not be run."))


_REFUSALS = (
    ("procedures", N_("Procedures and plugin functions cannot be called here.")),
    ("one statement", N_("Run one query at a time: take out the ';' between queries.")),
    ("empty", N_("Write a query first.")),
    ("unterminated", N_("A quote, backtick or comment is opened and never closed.")),
    ("does not suit", N_("A parameter's value does not suit the query: check its type.")),
)


def _refused(text: str) -> PlainError:
    if "is not allowed" in text and "procedures" not in text:
        return PlainError(
            _(
                "The workbench only reads: %(word)s would change or leave the graph. Use "
                "MATCH, OPTIONAL MATCH, WITH, UNWIND, WHERE, RETURN, ORDER BY, SKIP, LIMIT "
                "and UNION."
            )
            % {"word": text.split(maxsplit=1)[0]}
        )
    for needle, message in _REFUSALS:
        if needle in text:
            return PlainError(_(message))
    return PlainError(text)  # the workbench's own refusals, already in words


def _engine(query: str, text: str) -> PlainError:
    if at := _LADYBUG_AT.search(text):
        return _at(
            query,
            int(at.group(1)),
            int(at.group(2)) + 1,
            _(
                "The query could not be read at the caret: check the brackets, commas and "
                "keywords just before it."
            ),
        )
    return _by_name(query, text) or _by_kind(query, text)


def _by_name(query: str, text: str) -> PlainError | None:
    """Errors about a name in the query: the caret goes under its first use."""
    if m := re.search(r"Variable `?(\w+)`? (?:is not in scope|not defined)", text):
        name = m.group(1)
        return _named(
            query,
            name,
            _("“%(name)s” is not defined here: name it in a MATCH or carry it through WITH.")
            % {"name": name},
        )
    if m := re.search(r"Table (\w+) does not exist", text):
        name = m.group(1)
        return _named(
            query,
            name,
            _("There is no label or relationship type “%(name)s”.") % {"name": name}
            + _suggest(name, _NAMES),
        )
    if m := re.search(r"Cannot find property (\w+) for (\w+)", text):
        name, of = m.group(1), m.group(2)
        return _named(
            query,
            name,
            _("“%(of)s” has no property “%(name)s”.") % {"of": of, "name": name}
            + _suggest(name, _PROPERTIES),
            after=f"{of}.",
        )
    if m := re.search(r"function (\w+) does not exist|Unknown function", text):
        message = _(
            "That function is not one both graphs have. For months, weeks and ages use "
            "the stored properties (Event.day, Event.week, Person.adult_on)."
        )
        if m.group(1) is None and (at := _NEO4J_AT.search(text)):  # Neo4j quotes the name
            return _at(query, int(at.group(1)), int(at.group(2)), message)
        return _named(query, m.group(1) or "", message, call=True)
    return None


def _by_kind(query: str, text: str) -> PlainError:
    """Errors about types, and anything else with a position or none."""
    if m := re.search(r"Cannot compare types (\w+) and (\w+)", text):
        return PlainError(
            _(
                "A value of type %(left)s is compared with one of type %(right)s. Compare "
                "dates with dates (date('2026-01-31')) and times with times "
                "(datetime('2026-01-31T00:00'))."
            )
            % {"left": m.group(1), "right": m.group(2)}
        )
    if "has data type" in text or "Type mismatch" in text or "Conversion" in text:
        return PlainError(
            _(
                "A value is used as the wrong type. Check each property's type in the "
                "schema on this page."
            )
        )
    if at := _NEO4J_AT.search(text):
        return _at(
            query,
            int(at.group(1)),
            int(at.group(2)),
            _("The query could not be read at the caret: check the words just before it."),
        )
    return PlainError(_("The graph could not run this query. Check it against the schema."))


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6) or [
        k for k in known if k.casefold() == name.casefold()
    ]
    return (" " + _("Did you mean “%(name)s”?") % {"name": close[0]}) if close else ""


def _at(query: str, line: int, column: int, message: str) -> PlainError:
    lines = query.splitlines() or [""]
    line = min(max(line, 1), len(lines))
    text = lines[line - 1]
    return PlainError(message, line, min(max(column, 1), len(text) + 1), text)


def _named(
    query: str, name: str, message: str, *, after: str = "", call: bool = False
) -> PlainError:
    """The message with the caret under the first use of `name` in the query's code (not in
    a string or comment), if it can be found."""
    if not name:
        return PlainError(message)
    code = _STRING_OR_COMMENT.sub(lambda m: " " * len(m.group()), query)
    pattern = re.escape(after) + r"`?\b" + re.escape(name) + r"\b" + (r"\s*\(" if call else "")
    found = re.search(pattern, code, flags=re.IGNORECASE if call else 0)
    if found is None:
        return PlainError(message)
    start = found.start() + len(after)
    line = code.count("\n", 0, start) + 1
    column = start - (code.rfind("\n", 0, start) + 1) + 1
    return _at(query, line, column, message)
