"""The read-only guard for analyst Cypher (RELIABILITY P11).

A query is read as tokens — string literals, backtick names and comments are skipped, so
neither `'DELETE'` in a string nor `DE/**/LETE` fools it — and refused if it uses a keyword
of the deny-list `REFUSED` (every writing, file, network, procedure and administration
clause of either engine), if it holds more than one statement, or if it calls a namespaced
function that is not on the allow-list (Neo4j plugins such as APOC reach files and the
network that way). A deny-list of clauses rather than an allow-list of keywords, because
the engines' reading keywords also name functions and properties. The backend then runs
what passes in a read-only transaction with a time limit and a row cap, so the engine
enforces it a second time and a missed keyword does no harm.
"""

from __future__ import annotations

import re

from mast.core.errors import QueryRefused

REFUSED = frozenset(
    {
        "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "ALTER", "RENAME",
        "COPY", "LOAD", "INSTALL", "UNINSTALL", "ATTACH", "USE", "EXPORT", "IMPORT", "CALL",
        "FOREACH", "BEGIN", "COMMIT", "ROLLBACK", "CHECKPOINT", "TRUNCATE", "GRANT", "DENY",
        "REVOKE", "SHOW", "START", "STOP", "TERMINATE", "ENABLE", "DISABLE", "PROFILE",
        "EXPLAIN", "PERIODIC", "TRANSACTIONS", "FINISH", "INSERT", "UPDATE", "UPSERT",
        "DATABASE", "GRAPH", "PROJECT", "MACRO", "EXTENSION", "SEQUENCE", "TABLE",
    }
)  # fmt: skip

ALLOWED_NAMESPACES = frozenset({"date", "datetime", "localdatetime", "duration", "time"})
"""Namespaced functions analysts may call: Neo4j's temporal constructors, nothing else."""

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<line_comment>//[^\n]*)
    | (?P<block_comment>/\*.*?\*/)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<backtick>`(?:[^`]|``)*`)
    | (?P<param>\$\w+)
    | (?P<word>[^\W\d]\w*)
    | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<symbol>.)
    """,
    re.VERBOSE | re.DOTALL,
)


MAX_CYPHER_CHARS = 10_000
"""The longest query text taken: the embedded engine's parser slows with the square of some
inputs' length (20,000 characters of one number took it 4 s), and no useful query is this long."""


def check_read_only(cypher: str) -> str:
    """The query, if it only reads; else QueryRefused saying why (never echoing values)."""
    if len(cypher) > MAX_CYPHER_CHARS:
        raise QueryRefused(f"the query is longer than {MAX_CYPHER_CHARS:,} characters")
    tokens = _tokens(cypher)
    meaningful = [t for t in tokens if t[0] not in {"space", "line_comment", "block_comment"}]
    if not meaningful:
        raise QueryRefused("the query is empty")
    semicolons = [i for i, t in enumerate(meaningful) if t == ("symbol", ";")]
    if semicolons and semicolons != [len(meaningful) - 1]:
        raise QueryRefused("one statement at a time: remove the ';' between statements")
    for i, (kind, text) in enumerate(meaningful):
        if kind != "word":
            continue
        previous = meaningful[i - 1] if i else ("", "")
        following = meaningful[i + 1] if i + 1 < len(meaningful) else ("", "")
        if previous in {("symbol", "."), ("symbol", ":")}:
            continue  # a property, label or type name
        if following == ("symbol", ".") and _namespaced_call(meaningful, i):
            if text.lower() not in ALLOWED_NAMESPACES:
                raise QueryRefused(f"procedures and plugin functions ({text}.…) are not allowed")
            continue
        if text.upper() in REFUSED:
            raise QueryRefused(
                f"{text.upper()} is not allowed: analyst queries only read "
                "(MATCH, OPTIONAL MATCH, WITH, UNWIND, WHERE, RETURN, ORDER BY, SKIP, LIMIT, UNION)"
            )
    return cypher.strip().rstrip(";")


def _namespaced_call(tokens: list[tuple[str, str]], i: int) -> bool:
    """`a.b.c(` : a word, dots and words, then an opening parenthesis."""
    j = i + 1
    while j + 1 < len(tokens) and tokens[j] == ("symbol", ".") and tokens[j + 1][0] == "word":
        j += 2
    return j < len(tokens) and tokens[j] == ("symbol", "(")


def _tokens(cypher: str) -> list[tuple[str, str]]:
    found = []
    for match in _TOKEN.finditer(cypher):
        kind = match.lastgroup or "symbol"
        found.append((kind, match.group()))
    if "".join(text for _, text in found) != cypher:
        raise QueryRefused("the query could not be read")
    if any(kind == "symbol" and text in {"'", '"', "`"} for kind, text in found):
        raise QueryRefused("an unterminated string, name or comment")
    return found
