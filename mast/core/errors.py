"""The exception tree. Every message says what to do and never carries personal data.

MastError
├── ConfigError          a setting or feed definition is wrong
│   └── FeedDefinitionError
├── FileRejected         a partner file cannot be loaded at all; nothing from it is stored
├── SourceError          a drop folder or SFTP server could not be read
├── RunInProgress        another daily run holds the lock
├── StoreError           the state store could not be opened or written
│   ├── AuditUnavailable the audit trail could not be written: nothing is returned
│   └── HeadFileError    the audit head file is missing or is unsealed (mast.audit.head)
├── ReviewError          a reviewer's ruling cannot apply as asked (mast.resolver.rulings)
├── AccessError          a login or credential is refused, or a user may not do this
└── GraphError           the graph database failed or refused a query
    ├── QueryRefused     analyst Cypher that is not read-only, or a named query's bad parameters
    ├── QueryTimedOut    a query ran past its time limit (GraphQL code TIMEOUT)
    ├── ResultTooLarge   a result passed its size cap (GraphQL code BAD_USER_INPUT)
    └── GraphBusy        the embedded graph is owned by another process (`mast serve`)

Two subclasses live beside the code that raises them (named above with their module); every
other class is here.
"""

from __future__ import annotations


class MastError(Exception):
    """Base of every error MAST raises on purpose."""


class ConfigError(MastError):
    """A setting or definition is wrong; the message names it and the fix."""


class FeedDefinitionError(ConfigError):
    """A feed definition file does not validate."""


class FileRejected(MastError):
    """A partner file is refused whole, before anything from it is committed."""

    def __init__(self, reason: str, *, code: str) -> None:
        super().__init__(reason)
        self.code = code


class SourceError(MastError):
    """A file source (drop folder, SFTP) failed; other sources carry on."""


class RunInProgress(MastError):
    """A daily run is already under way (in this process or another); this one did not start."""


class StoreError(MastError):
    """The state store failed; the message says which operation."""


class AuditUnavailable(StoreError):
    """An audit entry could not be committed, so the data it covers must not leave."""


class AccessError(MastError):
    """A login, token or session is refused, or the user's role may not do this."""


class GraphError(MastError):
    """The graph backend failed; the message names the backend and the operation."""


class QueryRefused(GraphError):
    """A query MAST will not run: it could write, reach files or network, or lacks a parameter."""


class QueryTimedOut(GraphError):
    """A query ran past its time limit and was stopped."""


class ResultTooLarge(GraphError):
    """A query's result passed its size cap and was stopped while it was fetched."""


class GraphBusy(GraphError):
    """Another process holds the embedded graph; go through its API or stop it first."""
