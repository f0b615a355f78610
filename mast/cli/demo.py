"""`mast demo-accounts`: one account per role on the demo home, with one password for them
all, printed so the first run can sign in at once (`make demo`). The demo only: the password
is kept in the home, readable by its owner alone, and the data is synthetic."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer
from rich.table import Table

from mast.cli.common import console, errors, settings, styled

if TYPE_CHECKING:
    from mast.accounts.accounts import Accounts, User

PASSWORD_FILE: Final = "demo-password"  # noqa: S105 - a file name, not a password
AGENCIES: Final = {
    "practitioner": "Swansea Children's Services",
    "investigator": "South Wales Police",
    "analyst": "West Glamorgan Safeguarding Board",
    "reviewer": "West Glamorgan Safeguarding Board",
    "admin": "MAST",
    "auditor": "Information governance",
}


def _password(home: Path) -> tuple[str, bool]:
    """The demo's one password, made on first use; and whether it was just made."""
    path = home / PASSWORD_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip(), False
    made = secrets.token_urlsafe(12)  # 16 characters, above the accounts' minimum
    home.mkdir(parents=True, exist_ok=True)
    path.write_text(made + "\n", encoding="utf-8")
    path.chmod(0o600)
    return made, True


def _adder(role: str, password: str) -> Callable[[Accounts], User]:
    return lambda accounts: accounts.add(
        role,
        display_name=f"Demo {role}",
        role=role,
        agency=AGENCIES.get(role, "demo"),
        password=password,
    )


def _said(role: str) -> dict[str, Any]:
    return {"username": role, "role": role, "agency": AGENCIES.get(role, "demo")}


def demo_accounts(
    url: Annotated[str, typer.Option(help="where the web UI will be served, to print")] = "",
) -> None:
    """Make one demo account per role (if not there yet) and print their names and password.
    For the synthetic demo only: the password is printed and kept in MAST_HOME."""
    from mast.accounts.access import ROLES  # noqa: PLC0415
    from mast.cli.api import _changed, _open  # noqa: PLC0415

    home = settings().home
    with errors():
        accounts, audit = _open()
        existing = {user.username for user, _active in accounts.list()}
        password, made = _password(home)
        stale = [role for role in ROLES if role in existing] if made else []
        for role in ROLES:
            if role not in existing:
                _changed(audit, "users-add", _adder(role, password), _said(role))
        audit.engine.dispose()
    table = Table("user name", "role", "agency", title="Demo accounts (synthetic data only)")
    for role in ROLES:
        table.add_row(role, role, AGENCIES.get(role, "demo"))
    console.print(table)
    console.print(
        styled(
            "Password for every demo account: ",
            (password, "bold"),
            f"  (kept in {home / PASSWORD_FILE}; for this demo only, never for real data)",
        )
    )
    if stale:
        console.print(
            styled(
                ("warning:", "yellow"),
                f" {', '.join(stale)} existed before this password was made and keep their own;"
                " `make demo-clean` starts the demo afresh.",
            )
        )
    if url:
        console.print(
            styled("Open ", (url, "bold"), " and sign in. Ctrl-C stops the server; the data stays.")
        )
