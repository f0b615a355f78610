"""bench/RESULTS.md: one section per benchmark, each replaced whole by that benchmark's run,
so the file holds the latest figures and never grows into a diary."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
_TITLE = "# Benchmark results\n\nEach section is rewritten by its benchmark's last run.\n"


def replace_section(path: Path, name: str, note: str, blocks: Sequence[str]) -> None:
    """Write `## name` with a note and its blocks, keeping every other section as it was."""
    text = path.read_text(encoding="utf-8") if path.exists() else _TITLE
    body = "\n\n".join([f"## {name}", note, *blocks]).rstrip() + "\n"
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _: body + "\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + body
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
