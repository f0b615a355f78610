"""Every interface string MAST shows, found with Babel's extractors, and which of them the
Welsh catalogue still lacks.

    python -m mast.web.i18n_extract          # prints the missing entries, ready to append

Sources: Python (`_()`, `gettext()`, `ngettext()`, `N_()` anywhere under mast/), the web
UI's templates (Jinja's own Babel extractor: `{{ _() }}` and `{% trans %}`), and the named
reports' titles, descriptions and parameter names (read from the .cypher headers by
`cypher_strings`, the way `mast.graph.queries` reads them).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import IO, Any, Final

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from mast.text.i18n import LOCALE_DIR, WELSH

ROOT: Final = Path(__file__).resolve().parent.parent  # the mast package
METHODS: Final = [
    ("web/templates/**.html", "jinja2.ext:babel_extract"),
    ("cypher/*.cypher", "mast.web.i18n_extract:cypher_strings"),
    ("**.py", "python"),
]
OPTIONS: Final = {"web/templates/**.html": {"trimmed": "true"}}
_PARAM = re.compile(r"@param\s+(\w+)")
_RETURN = re.compile(r"\bRETURN\b(?:\s+DISTINCT\b)?", re.IGNORECASE)
_END = re.compile(r"\b(?:ORDER\s+BY|LIMIT|SKIP|UNION)\b", re.IGNORECASE)
_ALIAS = re.compile(r"\bAS\s+`?(\w+)`?\s*$", re.IGNORECASE)
_BARE = re.compile(r"(\w+)")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")

Msgid = str | tuple[str, ...]


def cypher_strings(
    fileobj: IO[bytes],
    keywords: Collection[str],  # Babel's extractor signature: unused here
    comment_tags: Collection[str],
    options: Any,
) -> Iterator[tuple[int, str, str, list[str]]]:
    """A Babel extractor for a named report: its title (the file name, as the pages show
    it), its description (the header's leading comment lines, joined) and summary
    (`@summary`), its parameters and its columns (what each RETURN names), as the report
    page shows them."""
    name = Path(getattr(fileobj, "name", "")).name.removesuffix(".cypher")
    if name.endswith(".ladybug"):
        return  # the embedded engine's form of a query described in its main file
    yield 1, "_", name.replace("_", " ").capitalize(), ["the name of a report"]
    about: list[str] = []
    summary: list[str] = []
    text = fileobj.read().decode()
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("//"):
            break
        body = line[2:].strip()
        if param := _PARAM.match(body):
            yield lineno, "_", param.group(1).replace("_", " "), ["a report's parameter"]
        elif body.startswith("@summary"):
            summary.append(body.removeprefix("@summary").strip())
        elif body and not body.startswith(("@roles", "@compare")):
            about.append(body)
    if about:
        yield 1, "_", " ".join(about), ["what a report shows"]
    if summary:
        yield 1, "_", " ".join(summary), ["what a report shows, in words for its readers"]
    for column in columns(text):
        yield 1, "_", column.replace("_", " "), ["a report's column"]


def columns(cypher: str) -> list[str]:
    """The names each RETURN gives its columns: `x AS name`, or a bare variable."""
    code = "\n".join(line for line in cypher.splitlines() if not line.startswith("//"))
    found: list[str] = []
    for part in _RETURN.split(code)[1:]:
        items = _END.split(part, maxsplit=1)[0]
        depth, item, split = 0, "", []
        for char in items:  # commas inside brackets belong to the item (collect(a, b))
            depth += char in "([{"
            depth -= char in ")]}"
            if char == "," and depth == 0:
                split.append(item)
                item = ""
            else:
                item += char
        split.append(item)
        for one in split:
            named = _ALIAS.search(one) or _BARE.fullmatch(one.strip())
            if named and named.group(1) not in found:
                found.append(named.group(1))
    return found


def extract() -> dict[Msgid, list[str]]:
    """Every msgid used under mast/, with where it is used."""
    found: dict[Msgid, list[str]] = {}
    for path, lineno, message, _comments, _context in extract_from_dir(
        ROOT, METHODS, OPTIONS, strip_comment_tags=True
    ):
        key: Msgid = tuple(message) if isinstance(message, tuple | list) else message
        if isinstance(key, tuple):
            key = tuple(m for m in key if m)  # ngettext's third argument is the count
        found.setdefault(key, []).append(f"{path}:{lineno}")
    return found


def read_catalogue(language: str = WELSH) -> Catalog:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def missing(catalogue: Catalog | None = None) -> dict[Msgid, list[str]]:
    """Msgids used in the code whose translation (Welsh, unless another catalogue is given)
    is absent, empty or fuzzy."""
    catalogue = catalogue or read_catalogue()
    out = {}
    for msgid, where in extract().items():
        entry = catalogue.get(msgid[0] if isinstance(msgid, tuple) else msgid)
        strings = entry.string if entry else None
        forms = strings if isinstance(strings, tuple | list) else [strings]
        if entry is None or entry.fuzzy or not all(forms):
            out[msgid] = where
    return out


def _po(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main() -> None:
    """Print the missing entries as .po text, to translate and append to the catalogue."""
    gaps = missing()
    for msgid, where in gaps.items():
        print(f"#: {' '.join(where[:3])}")
        if isinstance(msgid, tuple):
            print(f"msgid {_po(msgid[0])}\nmsgid_plural {_po(msgid[1])}")
            print("\n".join(f'msgstr[{i}] ""' for i in range(6)) + "\n")
        else:
            print(f'msgid {_po(msgid)}\nmsgstr ""\n')
    print(f"# {len(gaps)} missing", file=sys.stderr)


if __name__ == "__main__":
    main()
