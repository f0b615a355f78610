"""The network explorer's drawing as a PDF: A4 landscape, the protective marking at top and
foot, the title, who printed it, when and why, the drawing (made in the browser) and its
key. Built like the chronology PDF (fpdf2, DejaVu Sans embedded for Welsh letters)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from fpdf.enums import XPos, YPos

from mast.web.chronology_pdf import MARKING, _font, _Pdf, close_fonts, finished

COLOURS: dict[str, str] = {
    "household": "#1d4f91",
    "parent": "#942514",
    "sibling": "#00703c",
    "partner": "#6f3c97",
    "stated": "#505a5f",
    "incident": "#a04000",
    "address": "#0b0c0c",
}
"""Each kind's colour: the drawing's (static/network.js) and the page's key."""
DASHES: dict[str, tuple[float, float]] = {
    "stated": (0.5, 0.8),
    "incident": (1.8, 1.0),
    "address": (0.3, 1.0),
}
"""Dashed kinds, as drawn: (dash, gap) in mm."""


@dataclass(frozen=True)
class NetworkSheet:
    title: str
    printed: str
    """"Printed <when> by <who> for: <purpose>", in the reader's language."""
    key_heading: str
    key: list[tuple[str, str]]
    """(kind, its name) of each kind of link drawn."""
    marking: str = MARKING


def network_pdf(sheet: NetworkSheet, picture: bytes) -> bytes:
    """The sheet around the picture (PNG or JPEG); ValueError if it is not an image."""
    pdf = _Pdf(orientation="L", format="A4")
    pdf.marking = sheet.marking
    pdf.add_font("dejavu", "", str(_font("DejaVuSans.ttf")))
    pdf.add_font("dejavu", "B", str(_font("DejaVuSans-Bold.ttf")))
    pdf.set_title(sheet.title)
    pdf.set_subject(sheet.marking)
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("dejavu", "B", 15)
    pdf.multi_cell(0, 8, sheet.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("dejavu", "", 9)
    pdf.multi_cell(0, 5, sheet.printed, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top, key_width = pdf.get_y() + 3, 60.0
    width, height = pdf.epw - key_width - 5, pdf.eph - (top - pdf.t_margin) - 10
    try:
        pdf.image(
            io.BytesIO(picture), x=pdf.l_margin, y=top, w=width, h=height, keep_aspect_ratio=True
        )
    except Exception as e:  # fpdf2 and Pillow raise several kinds for a broken image
        close_fonts(pdf)
        raise ValueError("the picture is not a PNG or JPEG image") from e
    x = pdf.l_margin + width + 5
    pdf.set_xy(x, top)
    pdf.set_font("dejavu", "B", 11)
    pdf.cell(key_width, 6, sheet.key_heading, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("dejavu", "", 9)
    for kind, name in sheet.key:
        colour = COLOURS.get(kind, "#0b0c0c").lstrip("#")
        pdf.set_draw_color(*(int(colour[i : i + 2], 16) for i in (0, 2, 4)))
        pdf.set_line_width(0.8)
        pdf.set_dash_pattern(*DASHES.get(kind, (0, 0)))
        y = pdf.get_y() + 3
        pdf.line(x, y, x + 10, y)
        pdf.set_dash_pattern()
        pdf.set_x(x + 12)
        pdf.multi_cell(key_width - 12, 6, name, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_x(x)
    return finished(pdf)
