"""The pictures of a report: risk heat map, forest plot of the fairness verdicts, per-group rates with their
intervals, explanation importance, remediation progress.

Drawn with reportlab's own graphics rather than matplotlib, for three reasons:

- no matplotlib dependency: issuing stays a pure reportlab + pyHanko affair (no 40 MB of plotting library, no
  font cache to build on first use, no per-issue start-up cost against the 0.5 s budget);
- the fonts are the text's: every label is set in the same embedded TrueType subset as the paragraphs, so a
  chart in a Chinese report has Chinese labels (CJK works with no font configuration of its own), and
- everything stays vector and real text, which a reader can zoom and a screen reader or ``pdftotext`` can
  read; a raster image of a chart would lose both.

Every function returns a ``Drawing`` of the width asked for. The words (axis titles, legend entries) come in
``labels``, already in the report's language.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from fairness.scales import rate_axis, threshold_band, tick_label

from .content import FairnessGroup, FeatureShare, Risk, RiskMatrix
from .fonts import ReportFonts

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#6b7280")
AXIS = colors.HexColor("#9aa1ab")
BAR = colors.HexColor("#0b5cad")
HIGHLIGHT = colors.HexColor("#d9480f")
BAND = colors.HexColor("#dcefdc")
# Levels of the risk matrix from the lowest up; a matrix with more levels repeats the last colour.
LEVEL_COLOURS = tuple(map(colors.HexColor, ("#cfe8cf", "#fff0b3", "#ffc98a", "#f28b82")))
# Remediation states, in the order the progress bar shows them.
STATES = ("done", "in_progress", "overdue", "open")
STATE_COLOURS = dict(
    zip(STATES, map(colors.HexColor, ("#2f9e44", "#1c7ed6", "#e03131", "#ced4da")), strict=True)
)
VERDICT_COLOURS = {
    "disparity": colors.HexColor("#c92a2a"),
    "inconclusive": colors.HexColor("#e67700"),
}


class Chart:
    """A drawing under construction: strings in the report's fonts, shortened to fit where asked."""

    def __init__(self, width: float, height: float, fonts: ReportFonts):
        # initialFontName: else a drawing starts in reportlab's Helvetica, which is not embedded
        self.drawing = Drawing(width, height, initialFontName=fonts.name)
        self.fonts = fonts

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float = 7,
        anchor: Literal["start", "middle", "end"] = "start",
        colour: colors.Color = INK,
        fit: float | None = None,
        bold: bool = False,
    ) -> None:
        font = self.fonts.bold_name if bold else self.fonts.label_font(text)
        if fit is not None:
            text = shorten(text, font, size, fit)
        self.drawing.add(
            String(x, y, text, fontName=font, fontSize=size, textAnchor=anchor, fillColor=colour)
        )

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        fill: colors.Color | None,
        stroke: colors.Color | None = None,
    ) -> None:
        shape = Rect(x, y, w, h)
        shape.fillColor, shape.strokeColor, shape.strokeWidth = fill, stroke, 0.4
        self.drawing.add(shape)

    def line(
        self, x1: float, y1: float, x2: float, y2: float, colour: colors.Color = INK, width: float = 0.8
    ) -> None:
        self.drawing.add(Line(x1, y1, x2, y2, strokeColor=colour, strokeWidth=width))


def shorten(text: str, font: str, size: float, width: float) -> str:
    """The text, cut and ended with an ellipsis where it is wider than width."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def level_colour(index: int) -> colors.Color:
    return LEVEL_COLOURS[min(index, len(LEVEL_COLOURS) - 1)]


def band_of(matrix: RiskMatrix, severity: int, likelihood: int) -> int:
    """The index of the level a cell falls in: by its severity alone when the matrix puts severity first,
    else by its risk score (severity × likelihood)."""
    value = severity if matrix.get("basis") == "severity" else severity * likelihood
    for index, band in enumerate(matrix["levels"]):
        if value <= band["up_to"]:
            return index
    return len(matrix["levels"]) - 1


@dataclass(frozen=True)
class Placed:
    """A rated right on the heat map: its id (R1…), severity and likelihood."""

    ref: str
    severity: int
    likelihood: int


def placed_risks(risks: Sequence[Risk]) -> list[Placed]:
    """The rated rights, numbered R1… in register order; unrated rights have no cell."""
    placed = []
    for number, risk in enumerate(risks, start=1):
        severity, likelihood = risk.get("severity"), risk.get("likelihood")
        if severity is not None and likelihood is not None:
            placed.append(Placed(f"R{number}", severity, likelihood))
    return placed


def heat_map(
    risks: Sequence[Risk], matrix: RiskMatrix, labels: Mapping[str, str], fonts: ReportFonts, width: float
) -> Drawing:
    """Severity across, likelihood up; each cell coloured by its level, each rated right written in it."""
    s_low, s_high = matrix["severity"]
    l_low, l_high = matrix["likelihood"]
    columns, rows = s_high - s_low + 1, l_high - l_low + 1
    legend_w, axis_w, cell_h = 78.0, 22.0, 22.0
    cell_w = (width - legend_w - axis_w) / columns
    bottom = 26.0
    chart = Chart(width, bottom + rows * cell_h + 4, fonts)
    cells: dict[tuple[int, int], list[str]] = {}
    for risk in placed_risks(risks):
        key = (min(max(risk.severity, s_low), s_high), min(max(risk.likelihood, l_low), l_high))
        cells.setdefault(key, []).append(risk.ref)
    for column in range(columns):
        severity = s_low + column
        x = axis_w + column * cell_w
        chart.text(x + cell_w / 2, bottom - 9, str(severity), size=6.5, anchor="middle", colour=MUTED)
        for row in range(rows):
            likelihood = l_low + row
            y = bottom + row * cell_h
            chart.rect(
                x, y, cell_w, cell_h, level_colour(band_of(matrix, severity, likelihood)), colors.white
            )
            refs = cells.get((severity, likelihood), [])
            for line, chunk in enumerate(_chunks(refs, 2)[:2]):
                text = " ".join(chunk) + (" …" if line == 1 and len(refs) > 4 else "")
                top = y + cell_h / 2 + (3 if len(refs) > 2 else -2.5)
                chart.text(x + cell_w / 2, top - line * 8, text, size=6.5, anchor="middle", bold=True)
    for row in range(rows):
        y = bottom + row * cell_h
        chart.text(axis_w - 4, y + cell_h / 2 - 2.5, str(l_low + row), size=6.5, anchor="end", colour=MUTED)
    chart.text(
        axis_w + columns * cell_w / 2, 2, labels["severity_axis"], size=6.5, anchor="middle", colour=MUTED
    )
    chart.text(2, bottom + rows * cell_h + 6 - 10, labels["likelihood"], size=6.5, colour=MUTED)
    legend_x = width - legend_w + 8
    for index, band in enumerate(reversed(matrix["levels"])):
        level = len(matrix["levels"]) - 1 - index
        y = bottom + rows * cell_h - 12 - index * 12
        chart.rect(legend_x, y, 8, 8, level_colour(level), AXIS)
        chart.text(legend_x + 12, y + 1.5, band["label"], size=6.5, fit=legend_w - 22)
    return chart.drawing


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass(frozen=True)
class ForestRow:
    """One line of the forest plot: what is compared, the ratio and its interval, the verdict in words."""

    label: str
    ratio: float | None
    low: float | None
    high: float | None
    verdict: str
    verdict_label: str
    # A ratio that cannot be estimated (a rate of 0, or too few events) is written as such, never drawn.
    not_estimable: bool = False


FOREST_RANGE = (0.25, 4.0)
FOREST_TICKS = (0.25, 0.5, 0.8, 1.0, 1.25, 2.0, 4.0)


def forest_plot(
    rows: Sequence[ForestRow],
    band: Sequence[float],
    labels: Mapping[str, str],
    fonts: ReportFonts,
    width: float,
) -> Drawing:
    """Each ratio as a point with its interval as a line, on a log scale, over the shaded band of ratios that
    are not taken as a disparity; a value beyond the scale ends in an arrow at the edge."""
    label_w, verdict_w, row_h, bottom = width * 0.38, 62.0, 12.0, 22.0
    plot_x, plot_w = label_w + 6, width - label_w - verdict_w - 12
    low_end, high_end = (math.log(v) for v in FOREST_RANGE)

    def x_of(value: float) -> float:
        clamped = min(max(value, FOREST_RANGE[0]), FOREST_RANGE[1])
        return plot_x + (math.log(clamped) - low_end) / (high_end - low_end) * plot_w

    height = bottom + len(rows) * row_h + 6
    chart = Chart(width, height, fonts)
    top = bottom + len(rows) * row_h
    chart.rect(x_of(band[0]), bottom, x_of(band[1]) - x_of(band[0]), top - bottom, BAND)
    chart.line(x_of(1.0), bottom, x_of(1.0), top, AXIS, 0.6)
    chart.line(plot_x, bottom, plot_x + plot_w, bottom, AXIS, 0.6)
    for tick in FOREST_TICKS:
        chart.line(x_of(tick), bottom, x_of(tick), bottom - 2, AXIS, 0.6)
        chart.text(x_of(tick), bottom - 9, f"{tick:g}", size=6, anchor="middle", colour=MUTED)
    chart.text(plot_x + plot_w / 2, 1, labels["ratio_axis"], size=6.5, anchor="middle", colour=MUTED)
    for index, row in enumerate(rows):
        y = top - (index + 0.5) * row_h
        colour = VERDICT_COLOURS.get(row.verdict, MUTED)
        chart.text(label_w, y - 2.3, row.label, size=6.5, anchor="end", fit=label_w - 2)
        chart.text(
            width - verdict_w + 2, y - 2.3, row.verdict_label, size=6.5, colour=colour, fit=verdict_w - 2
        )
        if row.not_estimable:
            chart.text(x_of(1.0), y - 2.3, labels["not_estimable"], size=6.5, anchor="middle", colour=MUTED)
            continue
        if row.low is not None and row.high is not None:
            chart.line(x_of(row.low), y, x_of(row.high), y, colour, 1.0)
            for end, value in ((FOREST_RANGE[0], row.low), (FOREST_RANGE[1], row.high)):
                if (value < end) if end < 1 else (value > end):
                    _arrow(chart, x_of(end), y, -1 if end < 1 else 1, colour)
        if row.ratio is not None:
            chart.drawing.add(Circle(x_of(row.ratio), y, 2.2, fillColor=colour, strokeColor=colors.white))
    return chart.drawing


def _arrow(chart: Chart, x: float, y: float, direction: int, colour: colors.Color) -> None:
    chart.drawing.add(
        Polygon(
            [x, y, x - 4 * direction, y + 2.5, x - 4 * direction, y - 2.5], fillColor=colour, strokeColor=None
        )
    )


def progress_bar(
    counts: Mapping[str, int], labels: Mapping[str, str], fonts: ReportFonts, width: float
) -> Drawing:
    """One bar split into done, in progress, overdue and open, with the counts in a legend beneath."""
    chart = Chart(width, 30, fonts)
    total = sum(counts.get(state, 0) for state in STATES)
    x = 0.0
    for state in STATES:
        share = counts.get(state, 0) / total if total else 0
        if share:
            chart.rect(x, 14, share * width, 12, STATE_COLOURS[state])
            x += share * width
    if not total:
        chart.rect(0, 14, width, 12, None, AXIS)
    legend_x = 0.0
    for state in STATES:
        entry = f"{labels['state_' + state]} {counts.get(state, 0)}"
        chart.rect(legend_x, 2, 7, 7, STATE_COLOURS[state])
        chart.text(legend_x + 10, 3, entry, size=7)
        legend_x += 10 + stringWidth(entry, fonts.label_font(entry), 7) + 14
    return chart.drawing


def rate_chart(
    groups: Sequence[FairnessGroup],
    metric: str,
    reference: str | None,
    labels: Mapping[str, str],
    fonts: ReportFonts,
    width: float,
    ratio_band: Sequence[float] | None = None,
) -> Drawing:
    """A bar per group for one rate, with its interval as a whisker, on an axis ending a little above the
    largest figure (``fairness.scales.rate_axis``). The reference group's bar is grey, its rate a dashed line,
    and the rates within ``ratio_band`` (``[threshold, 1 / threshold]``) of it shaded."""
    label_w, value_w, row_h, bottom, legend_h = width * 0.3, 48.0, 13.0, 20.0, 10.0
    plot_x, plot_w = label_w + 6, width - label_w - value_w - 10
    reference_rate = next(
        (
            _number(g.get(metric))
            for g in groups
            if g["name"] == reference and _number(g.get(metric)) is not None
        ),
        None,
    )
    low_ratio, high_ratio = ratio_band or (0.8, 1.25)
    band = threshold_band(reference_rate, low_ratio)
    figures = [
        _number(value)
        for group in groups
        for value in (group.get(metric), *group.get("intervals", {}).get(metric, [None, None]))
    ]
    # the axis follows the rates and their intervals; the band is cut at its end rather than widening it
    top_value, ticks = rate_axis(figures)
    chart = Chart(width, bottom + len(groups) * row_h + 4 + legend_h, fonts)
    top = bottom + len(groups) * row_h

    def x_of(value: float) -> float:
        return plot_x + min(value, top_value) / top_value * plot_w

    if band is not None:
        chart.rect(x_of(band[0]), bottom, x_of(band[1]) - x_of(band[0]), top - bottom, BAND)
    chart.line(plot_x, bottom, plot_x + plot_w, bottom, AXIS, 0.6)
    for tick in ticks:
        chart.line(x_of(tick), bottom, x_of(tick), bottom - 2, AXIS, 0.6)
        chart.text(x_of(tick), bottom - 9, tick_label(tick), size=6, anchor="middle", colour=MUTED)
    for index, group in enumerate(groups):
        y = top - (index + 1) * row_h
        name = group["name"] + (f" ({labels['reference']})" if group["name"] == reference else "")
        chart.text(label_w, y + 3.5, name, size=6.5, anchor="end", fit=label_w - 2)
        value = _number(group.get(metric))
        if value is None:
            chart.text(plot_x + 2, y + 3.5, labels["undefined"], size=6.5, colour=MUTED)
            continue
        fill = AXIS if group["name"] == reference else BAR
        chart.rect(plot_x, y + 2, x_of(value) - plot_x, row_h - 5, fill)
        low, high = group.get("intervals", {}).get(metric, [None, None])
        if low is not None and high is not None:
            mid = y + 2 + (row_h - 5) / 2
            x1, x2 = x_of(low), x_of(high)
            chart.line(x1, mid, x2, mid, INK, 0.8)
            chart.line(x1, mid - 2.5, x1, mid + 2.5, INK, 0.8)
            chart.line(x2, mid - 2.5, x2, mid + 2.5, INK, 0.8)
        chart.text(plot_x + plot_w + 4, y + 3.5, f"{value * 100:.1f}%", size=6.5)
    if reference_rate is not None:
        _dashed(chart, x_of(reference_rate), bottom, top)
        legend = labels["reference_line"].format(low=f"{low_ratio:.2f}", high=f"{high_ratio:.2f}")
        chart.text(plot_x, top + 3, legend, size=6, colour=MUTED, fit=plot_w + value_w)
    return chart.drawing


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, float | int) else None


def _dashed(chart: Chart, x: float, y1: float, y2: float) -> None:
    line = Line(x, y1, x, y2, strokeColor=INK, strokeWidth=0.8, strokeDashArray=[2, 1.5])
    chart.drawing.add(line)


def importance_chart(
    importance: Sequence[FeatureShare],
    proxies: Sequence[str],
    labels: Mapping[str, str],
    fonts: ReportFonts,
    width: float,
) -> Drawing:
    """A bar per feature of its share of the explanation; features flagged as proxies in the highlight colour,
    marked in words too so that the mark survives printing in grey."""
    label_w, value_w, row_h = width * 0.3, 80.0, 12.0
    plot_x, plot_w = label_w + 6, width - label_w - value_w - 10
    top_share = max((row["share"] for row in importance), default=1.0) or 1.0
    chart = Chart(width, len(importance) * row_h + 4, fonts)
    top = len(importance) * row_h
    for index, row in enumerate(importance):
        y = top - (index + 1) * row_h
        proxy = row["feature"] in proxies
        chart.text(label_w, y + 3.5, row["feature"], size=6.5, anchor="end", fit=label_w - 2, bold=proxy)
        chart.rect(plot_x, y + 2, row["share"] / top_share * plot_w, row_h - 4, HIGHLIGHT if proxy else BAR)
        text = f"{row['share'] * 100:.1f}%" + (f" · {labels['proxy']}" if proxy else "")
        chart.text(
            plot_x + plot_w + 4, y + 3.5, text, size=6.5, colour=HIGHLIGHT if proxy else INK, fit=value_w
        )
    return chart.drawing
