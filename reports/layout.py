"""Where things sit on a report's pages: the margins, and the signature boxes of the sign-off page.

The sign-off page is the report's last page. ``build_report`` draws an empty, captioned frame at each box and
``sign_pdf`` places the signature fields, and so the signers' visible appearances, in the same boxes: both
read them from here.
"""

from __future__ import annotations

from typing import TypedDict

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm


class Margins(TypedDict):
    leftMargin: float
    rightMargin: float
    topMargin: float
    bottomMargin: float


MARGINS: Margins = {
    "leftMargin": 18 * mm,
    "rightMargin": 18 * mm,
    "topMargin": 20 * mm,
    "bottomMargin": 18 * mm,
}
PAGE_WIDTH, PAGE_HEIGHT = A4
BODY_WIDTH = PAGE_WIDTH - MARGINS["leftMargin"] - MARGINS["rightMargin"]
BODY_HEIGHT = PAGE_HEIGHT - MARGINS["topMargin"] - MARGINS["bottomMargin"]

# The sign-off page: its heading and note above, the boxes below in two columns.
SIGNOFF_TEXT_HEIGHT = 62 * mm
BOX_WIDTH, BOX_HEIGHT = 84 * mm, 34 * mm
CAPTION_HEIGHT = 9 * mm  # two lines: who and as what
COLUMN_GAP = BODY_WIDTH - 2 * BOX_WIDTH
ROW_PITCH = BOX_HEIGHT + CAPTION_HEIGHT + 4 * mm
_FIRST_TOP = PAGE_HEIGHT - MARGINS["topMargin"] - SIGNOFF_TEXT_HEIGHT
SIGNATURE_BOXES = 2 * int((_FIRST_TOP - MARGINS["bottomMargin"]) // ROW_PITCH)
# The index pyHanko takes for the last page.
SIGNOFF_PAGE = -1


def signature_box(index: int) -> tuple[int, int, int, int] | None:
    """The box (x1, y1, x2, y2, in whole points, as signature fields take them) of the index-th signature
    (0: the issuer's) on the sign-off page; None beyond the boxes the page has, for a signature without a
    visible appearance."""
    if not 0 <= index < SIGNATURE_BOXES:
        return None
    row, column = divmod(index, 2)
    x1 = MARGINS["leftMargin"] + column * (BOX_WIDTH + COLUMN_GAP)
    y2 = _FIRST_TOP - row * ROW_PITCH - CAPTION_HEIGHT
    return (round(x1), round(y2 - BOX_HEIGHT), round(x1 + BOX_WIDTH), round(y2))
