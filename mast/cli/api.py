"""The API's commands: `mast serve`, `mast users …`, `mast audit …`, `mast export person`.

Account changes and exports made here are audited like the API's own reads, in the name
of the operating-system user who ran them (`cli:NAME`)."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.table import Table

from mast.cli.common import console, errors, operator, settings, styled

if TYPE_CHECKING:
    from mast.accounts.accounts import Accounts
    from mast.audit.chain import AuditLog

T = TypeVar("T")
users_app = typer.Typer(help="Individual accounts: one person each, with a role and agency.")
audit_app = typer.Typer(help="The audit trail of every search and view.")


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Run the API and web UI until stopped, and the daily run at MAST_DAILY_AT.

    This process owns the embedded graph. MAST_SCHEDULE=false leaves the daily run to
    `mast run-daily` (cron or a systemd timer), which on the embedded graph can only run
    while this is stopped; on Neo4j both can run at once.
    """
    import logging  # noqa: PLC0415

    import uvicorn  # noqa: PLC0415

    logging.getLogger("mast").setLevel(logging.INFO)  # the daily run's steps, for operators

    from mast.web.app import create_app  # noqa: PLC0415

    with errors():
        app = create_app(settings())
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)


def _open() -> tuple[Accounts, AuditLog]:
    from mast.accounts.accounts import Accounts  # noqa: PLC0415
    from mast.audit.chain import AuditLog  # noqa: PLC0415
    from mast.core.db import open_store  # noqa: PLC0415

    cfg = settings()
    engine = open_store(cfg)
    return Accounts(engine, cfg), AuditLog.open(engine, cfg)


def _changed(
    audit: AuditLog, operation: str, do: Callable[[Accounts], T], params: dict[str, Any]
) -> T:
    """An account change and its audit entry, committed together (the audit first)."""
    from mast.accounts.accounts import Accounts  # noqa: PLC0415
    from mast.audit.chain import Entry  # noqa: PLC0415

    return audit.audited(
        lambda engine: do(Accounts(engine, settings())),
        lambda _: Entry(operator(), "admin", "-", "", operation, params),
    )


def _record(
    audit: AuditLog,
    operation: str,
    params: dict[str, Any],
    purpose: str,
    ids: list[str] = [],  # noqa: B006 - read only
) -> None:
    from mast.audit.chain import Entry  # noqa: PLC0415

    audit.append(Entry(operator(), "admin", "-", purpose, operation, params, ids))


def record_read(operation: str, params: dict[str, Any], ids: list[str], purpose: str) -> None:
    """A read at the command line (`mast report`, `mast cypher`), audited before it is shown."""
    _, audit = _open()
    try:
        _record(audit, operation, params, purpose, ids)
    finally:
        audit.engine.dispose()


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[str, typer.Option(help="practitioner, investigator, analyst, reviewer, …")],
    agency: Annotated[str, typer.Option(help="the agency the user works for")],
    name: Annotated[str, typer.Option(help="display name")] = "",
    sso: Annotated[
        str | None,
        typer.Option(
            "--sso",
            metavar="SUBJECT",
            help="signs in only through OIDC, as the provider's `sub` for this person",
        ),
    ] = None,
    password_stdin: Annotated[bool, typer.Option(help="read the password from stdin")] = False,
) -> None:
    """Add an account. The password is asked for (or read from stdin), never an argument."""
    password = None
    if sso is None:
        password = (
            sys.stdin.readline().rstrip("\n")
            if password_stdin
            else getpass.getpass("Password (12 characters or more): ")
        )
    with errors():
        _, audit = _open()
        user = _changed(
            audit,
            "users-add",
            lambda accounts: accounts.add(
                username,
                display_name=name,
                role=role,
                agency=agency,
                password=password,
                sso_subject=sso,
            ),
            {"username": username, "role": role, "agency": agency},
        )
    console.print(f"Added {user.username} ({user.role}, {user.agency}).")


@users_app.command("list")
def users_list() -> None:
    with errors():
        accounts, _ = _open()
        listed = accounts.list()
    table = Table("username", "name", "role", "agency", "active")
    for user, active in listed:
        table.add_row(user.username, user.display_name, user.role, user.agency, str(active))
    console.print(table)


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Stop an account signing in; its sessions and tokens end at once."""
    with errors():
        _, audit = _open()
        _changed(
            audit,
            "users-disable",
            lambda accounts: accounts.set_active(username, False),
            {"username": username},
        )
    console.print(f"Disabled {username}.")


@users_app.command("token")
def users_token(
    username: str, label: Annotated[str, typer.Option(help="which app or system it is for")]
) -> None:
    """Issue a bearer token for a partner app; it is shown once."""
    from mast.core.errors import ConfigError  # noqa: PLC0415

    with errors():
        accounts, audit = _open()
        user = accounts.get(username)
        if user is None:
            raise ConfigError("no such active user")
        secret = _changed(
            audit,
            "users-token",
            lambda accounts: accounts.issue(user, kind="token", label=label),
            {"username": username, "label": label},
        )
    print(secret)  # stdout alone, so a script can capture it


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the chain: any edited, deleted, reordered or cut-off entry is reported."""
    with errors():
        _, audit = _open()
        verdict = audit.verify()
    for problem in verdict.problems[:50]:
        console.print(styled((f"entry {problem.seq}", "red"), f": {problem.what}"))
    if not verdict.ok:
        console.print(
            styled(
                ("The audit trail has been tampered with", "red"),
                f" ({len(verdict.problems)} problems).",
            )
        )
        raise typer.Exit(1)
    console.print(f"Audit trail intact: {verdict.entries:,} entries.")


def export_person(
    person_id: str,
    out: Annotated[Path, typer.Option(help="JSON file to write")],
    purpose: Annotated[str, typer.Option(help="the request this answers, e.g. SAR-2026-0113")],
) -> None:
    """Subject access: everything held about one person, across agencies, as JSON."""
    from mast.accounts.access import purpose_of  # noqa: PLC0415
    from mast.api.subject_access import gather, write  # noqa: PLC0415

    try:
        purpose = purpose_of(purpose)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--purpose") from e
    with errors():
        accounts, audit = _open()
        data = gather(accounts.engine, audit, person_id)
        ids = [person_id, *(r["record_id"] for r in data["records"])]
        _record(audit, "export-person", {"person_id": person_id}, purpose, ids)
        write(data, out)
    console.print(f"Wrote {len(data['records']):,} records about {person_id} to {out}.")
