"""Who may do what. Deny by default: an operation not listed here is refused to everyone.

Roles are MAST's users (docs/user-guide.md). Named reports carry their own `@roles` line; everything
else is decided by OPERATIONS. Reading a person's records with the explanation of each
link is a reviewer's and an investigator's task; administrators see no personal data at
all, and auditors only the names of the people in audit entries (read when the trail is).
"""

from __future__ import annotations

from typing import Final

ROLES: Final = ("practitioner", "investigator", "analyst", "reviewer", "admin", "auditor")

_CASEWORK = frozenset({"practitioner", "investigator", "reviewer", "analyst"})

OPERATIONS: Final[dict[str, frozenset[str]]] = {
    "search": _CASEWORK,
    "view": _CASEWORK,  # a person or address: names, dates, chronology, household, cases
    "records": frozenset({"investigator", "reviewer"}),  # partner records and why they linked
    "network": frozenset({"investigator", "reviewer", "analyst"}),
    "report": _CASEWORK,  # and the report's own @roles
    "cypher": frozenset({"analyst"}),
    "audit": frozenset({"auditor"}),
    "review": frozenset({"reviewer"}),  # rule on pairs: link or unlink
    # "Not this person": practitioners report, reviewers decide ("review").
    "report-link": frozenset({"practitioner", "investigator", "reviewer"}),
    "quality": frozenset({"admin", "analyst"}),  # feeds and data quality: counts only
    "daily-run": frozenset({"admin"}),  # start the daily run now
    # The change feed: ids and kinds only, for the apps of those who read the people it
    # names (`view`); an app follows it to keep its own records of MAST ids in step.
    "changes": _CASEWORK,
    # Watch a person or address and read one's alerts (when MAST_ALERTS is on).
    "watch": frozenset({"practitioner", "investigator"}),
}


MIN_PURPOSE: Final = 4
MAX_PURPOSE: Final = 500
PURPOSE_RULE: Final = (
    f"a case number or reason of {MIN_PURPOSE} to {MAX_PURPOSE} printable characters, on one line"
)


def purpose_of(stated: str | None) -> str:
    """The stated purpose, trimmed; ValueError (naming PURPOSE_RULE) unless it is 4–500 printable
    characters with a letter or digit. One rule for the header, the session, the sign-in
    and the CLI: a purpose of "x", or one holding a newline or ESC, says nothing to an
    auditor and could forge lines in what shows it."""
    text = (stated or "").strip()
    if (
        not MIN_PURPOSE <= len(text) <= MAX_PURPOSE
        or not text.isprintable()
        or not any(c.isalnum() for c in text)
    ):
        raise ValueError(f"a purpose is {PURPOSE_RULE}")
    return text


def allowed(role: str, operation: str) -> bool:
    return role in OPERATIONS.get(operation, frozenset())
