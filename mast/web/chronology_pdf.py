"""A person's chronology as a PDF for a review meeting, built with fpdf2 (pure Python).

The text is set in DejaVu Sans, embedded (subset) so Welsh letters (ŵ, ŷ, â) and every
name a partner wrote render on any reader; Debian ships it as `fonts-dejavu-core`
(`make install` puts it there). Every page carries the protective marking at top and foot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from mast.core.errors import MastError

MARKING = "OFFICIAL-SENSITIVE"
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)


class FontMissing(MastError):
    """The Unicode font the PDF embeds is not installed."""


@dataclass(frozen=True)
class Sheet:
    """What heads the chronology: title, who it is about, the window, why, by whom, when."""

    title: str
    person: str
    date_range: str
    purpose: str
    printed_by: str
    printed_at: str
    columns: tuple[str, ...]
    marking: str = MARKING


def _font(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FontMissing(
        f"the PDF font {name} is not installed: install Debian's fonts-dejavu-core (make install)"
    )


class _Pdf(FPDF):
    marking = MARKING

    def header(self) -> None:
        self.set_font("dejavu", "B", 9)
        self.cell(0, 5, self.marking, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("dejavu", "", 8)
        self.cell(0, 5, f"{self.marking} · {self.page_no()}/{{nb}}", align="C")


def chronology_pdf(sheet: Sheet, rows: list[tuple[str, ...]]) -> bytes:
    """The sheet's heading and the rows as a table, A4 landscape."""
    pdf = _Pdf(orientation="L", format="A4")
    pdf.marking = sheet.marking
    pdf.add_font("dejavu", "", str(_font("DejaVuSans.ttf")))
    pdf.add_font("dejavu", "B", str(_font("DejaVuSans-Bold.ttf")))
    pdf.set_title(f"{sheet.title}: {sheet.person}")
    pdf.set_author(sheet.printed_by)
    pdf.set_subject(sheet.marking)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("dejavu", "B", 15)
    pdf.multi_cell(0, 8, f"{sheet.title}: {sheet.person}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("dejavu", "", 10)
    for line in (sheet.date_range, sheet.purpose, f"{sheet.printed_by} · {sheet.printed_at}"):
        pdf.multi_cell(0, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font("dejavu", "", 8)
    widths = (24, 38, 28, 60, 26, 52, 22, 27)[: len(sheet.columns)]  # 277 mm: A4 across
    with pdf.table(col_widths=widths, text_align="LEFT", repeat_headings=1) as table:
        heading = table.row()
        for name in sheet.columns:
            heading.cell(name)
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(value)
    return finished(pdf)


def finished(pdf: FPDF) -> bytes:
    """The PDF's bytes, its font files closed: fontTools reads them lazily and would hold
    them open until the garbage collector found them (a ResourceWarning in every test)."""
    try:
        return bytes(pdf.output())
    finally:
        close_fonts(pdf)


def close_fonts(pdf: FPDF) -> None:
    for font in pdf.fonts.values():
        if (ttfont := getattr(font, "ttfont", None)) is not None:
            ttfont.close()
