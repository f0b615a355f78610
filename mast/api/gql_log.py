"""What the server log says of a GraphQL error MAST did not mean (RELIABILITY P16).

Strawberry's own logging prints the error with its source excerpt (the query text, with the
names and dates of birth searched for) and the exception's message (an engine's can quote
values). Instead: the operation's name, a digest of the query (to match it with the audit
entry's text), the field path, the error's class and where in MAST's code it was raised.
"""

from __future__ import annotations

import hashlib
import logging
import traceback

from graphql import GraphQLError
from strawberry.types import ExecutionContext

log = logging.getLogger("mast.api.graphql")


def query_digest(query: str | None) -> str:
    """The first 16 hex digits of the query's SHA-256: enough to find it in the audit."""
    return hashlib.sha256((query or "").encode()).hexdigest()[:16]


def log_internal(error: GraphQLError, context: ExecutionContext | None) -> None:
    original = error.original_error
    kind = type(original).__name__ if original is not None else type(error).__name__
    # Frames only (file, line, function): never the message, locals or source excerpt.
    frames = (
        [f"{f.filename}:{f.lineno} {f.name}" for f in traceback.extract_tb(original.__traceback__)]
        if original is not None
        else []
    )
    path = ".".join(str(p) for p in error.path or ())
    operation = (context.operation_name if context else None) or "(anonymous)"
    log.error(
        "GraphQL internal error %s in operation %s, query sha256 %s, at %s; raised at: %s",
        kind,
        operation[:100],
        query_digest(context.query if context else None),
        path or "(no field)",
        " < ".join(reversed(frames[-6:])) or "(no traceback)",
    )
