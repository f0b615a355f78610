"""What every `mast` command shares: the console, settings, and turning MAST's errors
into a message and exit code 2 rather than a traceback."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.text import Text

from mast.core.errors import MastError
from mast.core.settings import Settings

# Markup off: what MAST prints is mostly partner data, and a name of `[/bold]` crashed a
# command while `[link=…]` was rendered. Styling is given explicitly (`styled`, `style=`).
console = Console(width=None if sys.stdout.isatty() else 150, markup=False)


def styled(*parts: str | tuple[str, str]) -> Text:
    """Text from plain strings and (text, style) pairs; no part is read as markup."""
    return Text.assemble(*parts)


@contextmanager
def errors() -> Iterator[None]:
    """MAST's own errors end the command with their message, not a traceback."""
    try:
        yield
    except MastError as e:
        console.print(styled(("error:", "red"), f" {e}"))
        raise typer.Exit(2) from e


def settings() -> Settings:
    return Settings()


def operator() -> str:
    """Who ran a command, as the audit trail names them."""
    return f"cli:{os.environ.get('USER') or getpass.getuser()}"
