"""Reading a partner file safely: bounded, decoded strictly, parsed as CSV, hashed as read.

Anything that makes the whole file untrustworthy raises ``FileRejected`` before the
caller commits; a single bad row is left to the mapper to quarantine.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mast.core.errors import FileRejected
from mast.schema.feed import FeedDefinition

_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"PK\x03\x04": "a ZIP archive or Excel workbook; export it as CSV",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"\xd0\xcf\x11\xe0": "an old Excel/Office document; export it as CSV",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SNIFF = 8192


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader(io.RawIOBase):
    """Hashes exactly the bytes the parser consumes, so a file changed mid-read is caught."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.digest = hashlib.sha256()
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.digest.update(data)
        self.bytes_read += n
        return n


@dataclass(frozen=True, slots=True)
class FileShape:
    encoding: str
    ends_with_newline: bool


def inspect(path: Path, feed: FeedDefinition, max_bytes: int) -> FileShape:
    """Refuse files that are empty, too big, binary or of an undeclared UTF-16 form."""
    size = path.stat().st_size
    if size == 0:
        raise FileRejected("the file is empty (0 bytes): the partner export failed", code="empty")
    if size > max_bytes:
        raise FileRejected(
            f"the file is {size:,} bytes, over the limit of {max_bytes:,} (MAST_MAX_FILE_BYTES)",
            code="too_large",
        )
    with path.open("rb") as fh:
        head = fh.read(_SNIFF)
        fh.seek(-1, io.SEEK_END)
        last = fh.read(1)
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise FileRejected(f"the file is not text: it looks like {what}", code="not_text")
    encoding = feed.encoding
    for bom, name in _BOMS:
        if head.startswith(bom):
            encoding = name
            break
    else:
        if head.count(b"\x00") > len(head) // 10:
            raise FileRejected(
                "the file is mostly NUL bytes: binary, or UTF-16 without a byte-order mark "
                "(set `encoding: utf-16-le` in the feed definition if so)",
                code="not_text",
            )
    try:
        codecs.lookup(encoding)
    except LookupError as e:
        raise FileRejected(
            f"the feed definition names an unknown encoding {encoding!r}", code="bad_encoding"
        ) from e
    return FileShape(encoding, last in (b"\n", b"\r"))


def _first_undecodable_line(path: Path, encoding: str) -> int:
    """The text layer decodes in large blocks, so find the line of the bad bytes separately."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as fh:
        for line_no, line in enumerate(fh, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                return line_no
    return line_no if "line_no" in locals() else 1


@dataclass
class CsvRows:
    """Header and rows of one file; `rows` yields (first line number, fields)."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    hashing: _HashingReader
    raw: BinaryIO

    def close(self) -> None:
        self.raw.close()


def read_csv(path: Path, feed: FeedDefinition, shape: FileShape, max_field: int) -> CsvRows:
    raw = path.open("rb")
    hashing = _HashingReader(raw)
    text = io.TextIOWrapper(
        io.BufferedReader(hashing, buffer_size=1 << 20),
        encoding=shape.encoding,
        errors="strict",
        newline="",
    )
    csv.field_size_limit(max_field)
    reader = csv.reader(text, delimiter=feed.delimiter, quotechar=feed.quotechar, strict=True)
    state = {"line": 0}

    def _next() -> list[str] | None:
        try:
            return next(reader)
        except StopIteration:
            return None
        except UnicodeDecodeError as e:
            raise FileRejected(
                f"line {_first_undecodable_line(path, shape.encoding)}: "
                f"bytes that are not valid {shape.encoding} "
                "(mixed or wrong encoding; set `encoding:` in the feed definition, e.g. cp1252)",
                code="undecodable",
            ) from e
        except csv.Error as e:
            message = str(e)
            if "field larger than field limit" in message:
                reason = f"a field is longer than {max_field:,} characters (MAST_MAX_FIELD_CHARS)"
                code = "field_too_large"
            elif "unexpected end of data" in message:
                reason = "the file ends inside a quoted field (truncated upload?)"
                code = "truncated"
            else:
                reason = "broken CSV quoting (a quote is not closed or is followed by text)"
                code = "bad_quoting"
            raise FileRejected(f"line {state['line'] + 1}: {reason}", code=code) from e

    header: list[str] | None = None
    try:
        while header is None:
            row = _next()
            if row is None:
                raise FileRejected("the file has no header row", code="no_header")
            state["line"] = reader.line_num
            if any(cell.strip() for cell in row):
                header = row
    except FileRejected:
        raw.close()
        raise

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            while True:
                start = state["line"] + 1
                row = _next()
                if row is None:
                    return
                state["line"] = reader.line_num
                if row and any(cell.strip() for cell in row):
                    yield start, row
        finally:
            raw.close()

    return CsvRows(header, rows(), hashing, raw)
