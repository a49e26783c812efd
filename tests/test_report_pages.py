"""The report a decision-maker reads in one minute: an executive first page (heat map, top findings, forest
plot, remediation progress, review), a contents page with page numbers and links, an outline, "page n of N",
pictures with captions, a one-line-per-right register with its details in an annex, and a sign-off page where
the issuer's and the countersigner's signatures show. Checked through poppler's text, boxes and signatures and
pyHanko's reader, never through pixels."""

import io
import re
import subprocess
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from test_report_layout import needs_cjk_font, poppler

from reports import SignatureAppearance, build_report, sign_pdf, verify_pdf
from reports.keys import create_authority, create_signing_identity, load_identity

CITY, BOARD = "City of Riverton Procurement Office", "Riverton Algorithmic Oversight Board"
VERIFY = "https://hria.riverton.example/verify"


def welfare_content(lang: str = "en") -> dict:
    """The demo's welfare report as plain content: four rights (three rated), one fairness audit, one
    explanation, four actions in each state, and an oversight body to countersign."""
    groups = [
        {
            "name": "nationality national",
            "family": "nationality",
            "count": 4200,
            "selection_rate": 0.1,
            "false_positive_rate": 0.05,
            "true_positive_rate": 0.4,
            "false_negative_rate": 0.6,
            "intervals": {"false_positive_rate": [0.043, 0.058], "selection_rate": [0.09, 0.11]},
        },
        {
            "name": "nationality EU",
            "family": "nationality",
            "count": 900,
            "selection_rate": 0.14,
            "false_positive_rate": 0.08,
            "true_positive_rate": 0.45,
            "false_negative_rate": 0.55,
            "intervals": {"false_positive_rate": [0.06, 0.1], "selection_rate": [0.12, 0.17]},
        },
        {
            "name": "nationality non-EU",
            "family": "nationality",
            "count": 900,
            "selection_rate": 0.3,
            "false_positive_rate": 0.21,
            "true_positive_rate": 0.6,
            "false_negative_rate": 0.4,
            "intervals": {"false_positive_rate": [0.18, 0.24], "selection_rate": [0.27, 0.33]},
        },
        {
            "name": "sex female",
            "family": "sex",
            "count": 3000,
            "selection_rate": 0.12,
            "false_positive_rate": 0.07,
            "intervals": {},
        },
        {
            "name": "sex male",
            "family": "sex",
            "count": 3000,
            "selection_rate": 0.13,
            "false_positive_rate": 0.075,
            "intervals": {},
        },
    ]
    return {
        "kind": "risk",
        "lang": lang,
        "title": "risk and remediation report",
        "report_id": "HRIA-2026-0000ABCD-v1",
        "issued_at": "2026-11-22 10:00 UTC",
        "organisation": "City of Riverton Procurement Office",
        "stage": "Scoping",
        "bank_version": "2026.1",
        "system": {
            "name": "Welfare fraud risk score",
            "purpose": "Scores applications for housing and income support.",
            "sector": "Welfare",
            "owner": "City of Riverton Procurement Office",
            "vendor": "Civic Analytics Ltd",
        },
        "impact": {
            "level": "III",
            "raw": 14,
            "raw_max": 23,
            "mitigation": 9,
            "mitigation_max": 15,
            "reduced": False,
            "score": 14.0,
            "share": 0.61,
        },
        "summary": ["Welfare fraud risk score (Welfare) was assessed at the Scoping stage."],
        "risk_matrix": {
            "severity": [3, 12],
            "likelihood": [1, 4],
            "levels": [
                {"key": "low", "label": "Low", "up_to": 9},
                {"key": "medium", "label": "Medium", "up_to": 18},
                {"key": "high", "label": "High", "up_to": 30},
                {"key": "very_high", "label": "Very high", "up_to": 48},
            ],
        },
        "review": {
            "status": "In progress",
            "decisions": [],
            "countersigners": ["Riverton Algorithmic Oversight Board"],
        },
        "verify_url": "https://hria.riverton.example/verify",
        "method": {"checks": ["15 questions were asked."], "paragraphs": ["§43(a)", "§50(c)"]},
        "sections": [
            {
                "title": "Purpose",
                "questions": [
                    {
                        "id": "SCO-01",
                        "text": "What public problem should the system help solve?",
                        "answer": "Investigators cannot check every claim.",
                        "cites": ["§57"],
                    },
                    {
                        "id": "SCO-08",
                        "text": "Have the people affected been consulted?",
                        "answer": "No",
                        "cites": ["§43(a)"],
                    },
                ],
            }
        ],
        "risks": [
            {
                "right": "Privacy",
                "finding": "Safeguard missing: a data protection impact assessment.",
                "findings": ["SCO-11 (safeguard missing): Is there a DPIA?"],
                "scale": 2,
                "scope": 3,
                "reversibility": 2,
                "likelihood": 2,
                "severity": 7,
                "level": "Medium",
                "level_key": "medium",
                "treatment": "Data protection impact assessment before design.",
                "owner": "Data Protection Officer",
                "due": "2027-02-28",
            },
            {
                "right": "Equality",
                "finding": "False positive rate for nationality non-EU 4.2 times that of national.",
                "findings": [
                    "SCO-08 (safeguard missing): Have the people affected been consulted?",
                    "Nationality non-EU: false positive rate 21.0 % against 5.0 % for nationality national.",
                ],
                "scale": 3,
                "scope": 3,
                "reversibility": 3,
                "likelihood": 3,
                "severity": 9,
                "level": "High",
                "level_key": "high",
                "treatment": "Human review of every flag.",
                "owner": "Head of Benefits",
                "due": "2027-01-28",
            },
            {
                "right": "Social and economic rights",
                "finding": "Payments may be suspended on the score.",
                "findings": ["SCO-05: Can payments be suspended?"],
                "scale": 4,
                "scope": 2,
                "reversibility": 3,
                "likelihood": 2,
                "severity": 9,
                "level": "Medium",
                "level_key": "medium",
                "treatment": "No payment is suspended on the score alone.",
                "owner": "Head of Benefits",
                "due": "2027-03-28",
            },
            {
                "right": "Remedy",
                "finding": "No complaint channel yet.",
                "findings": ["SCO-13: complaint channel?"],
            },
        ],
        "fairness": [
            {
                "file": "welfare-model-outputs-2026Q3.csv",
                "sha256": "ab" * 32,
                "rows": 6000,
                "groups": groups,
                "findings": [
                    "Nationality non-EU: false positive rate 21.0 % against 5.0 % for nationality national."
                ],
                "confidence": 0.95,
                "ratio_band": [0.8, 1.25],
                "references": {"nationality": "nationality national", "sex": "sex female"},
                "verdicts": [
                    {
                        "group": "nationality non-EU",
                        "reference": "nationality national",
                        "metric": "false_positive_rate",
                        "family": "nationality",
                        "ratio": 4.2,
                        "low": 3.5,
                        "high": 5.1,
                        "verdict": "disparity",
                    },
                    {
                        "group": "nationality EU",
                        "reference": "nationality national",
                        "metric": "false_positive_rate",
                        "family": "nationality",
                        "ratio": 1.6,
                        "low": 1.2,
                        "high": 2.0,
                        "verdict": "disparity",
                    },
                    {
                        "group": "nationality non-EU",
                        "reference": "nationality national",
                        "metric": "selection_rate",
                        "family": "nationality",
                        "ratio": 3.0,
                        "low": 2.6,
                        "high": 3.4,
                        "verdict": "disparity",
                    },
                    {
                        "group": "sex male",
                        "reference": "sex female",
                        "metric": "false_positive_rate",
                        "family": "sex",
                        "ratio": 1.07,
                        "low": 0.85,
                        "high": 1.3,
                        "verdict": "inconclusive",
                    },
                    {
                        "group": "sex male",
                        "reference": "sex female",
                        "metric": "selection_rate",
                        "family": "sex",
                        "ratio": 1.02,
                        "low": 0.95,
                        "high": 1.1,
                        "verdict": "no evidence of disparity",
                    },
                ],
            }
        ],
        "explanations": [
            {
                "file": "welfare-model-outputs-2026Q3.csv",
                "fidelity": "The surrogate explains 94 % of the variance of the scores (R² 0.94).",
                "explains_model": True,
                "importance": [
                    {"feature": "months_on_benefit", "share": 0.34},
                    {"feature": "household_size", "share": 0.3},
                    {"feature": "language_of_forms", "share": 0.2},
                    {"feature": "postcode", "share": 0.11},
                    {"feature": "monthly_income", "share": 0.05},
                ],
                "proxies": ["language_of_forms", "postcode"],
                "flags": ["language_of_forms tells nationality apart (AUC 0.83) and carries 20 % of it."],
            }
        ],
        "remediation": [
            {
                "action": "Consult the people affected",
                "paragraph": "§43(a)",
                "right": "Equality",
                "owner": "Head of Benefits",
                "due": "2027-01-28",
                "status": "In progress",
                "state": "in_progress",
            },
            {
                "action": "Carry out a DPIA",
                "paragraph": "§59",
                "right": "Privacy",
                "owner": "Data Protection Officer",
                "due": "2026-02-28",
                "status": "Open",
                "state": "overdue",
            },
            {
                "action": "Publish a notice",
                "paragraph": "§63(a)",
                "right": "Remedy",
                "owner": "Procurement lead",
                "due": "2027-03-28",
                "status": "Open",
                "state": "open",
            },
            {
                "action": "Set up complaints",
                "paragraph": "§56(g)",
                "right": "Remedy",
                "owner": "Procurement lead",
                "due": "2026-03-28",
                "status": "Done",
                "state": "done",
            },
        ],
        "obligations": [
            "A person reviews every adverse decision before it takes effect.",
            "An independent peer review of the system, its data and its tests, published in summary.",
            "Consult the affected communities and record how their views changed the system.",
            "Monitor disparities and incidents at least quarterly and report them to the oversight body.",
        ],
        "signoff": [
            {"organisation": "City of Riverton Procurement Office", "role": "risk and remediation report"},
            {"organisation": "Riverton Algorithmic Oversight Board", "role": "countersignature (oversight)"},
        ],
    }


def page_text(pdf: Path, page: int, layout: bool = False) -> str:
    """The page's text as one line, or, with layout, in lines as laid out (table rows stay rows)."""
    out = subprocess.run(
        [
            poppler("pdftotext"),
            *(["-layout"] if layout else []),
            "-f",
            str(page),
            "-l",
            str(page),
            str(pdf),
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out if layout else " ".join(out.split())


def pages_of(pdf: Path) -> int:
    info = subprocess.run([poppler("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def words_of(pdf: Path, page: int) -> list[tuple[str, float, float]]:
    """(word, x centre, y centre) of every word pdftotext finds on a page; y grows downwards."""
    html = subprocess.run(
        [poppler("pdftotext"), "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    return [
        (word, (float(x1) + float(x2)) / 2, (float(y1) + float(y2)) / 2)
        for x1, y1, x2, y2, word in re.findall(pattern, html)
    ]


def outline_titles(pdf: bytes) -> list[tuple[int, str]]:
    """(depth, title) of every outline entry, in order, read with pyHanko's reader."""
    root = PdfFileReader(io.BytesIO(pdf)).root
    found: list[tuple[int, str]] = []

    def walk(node, depth: int) -> None:
        item = node.get("/First")
        while item is not None:
            entry = item.get_object()
            found.append((depth, str(entry["/Title"])))
            walk(entry, depth + 1)
            item = entry.get("/Next")

    walk(root["/Outlines"].get_object(), 0)
    return found


@pytest.fixture(scope="module")
def signers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    authority = create_authority(folder)
    return authority, {
        name: load_identity(create_signing_identity(folder, name, f"{i}.p12", b"pw"), b"pw")
        for i, name in enumerate((CITY, BOARD))
    }


def issued(content: dict, tmp_path: Path, signers, countersign: bool = True) -> tuple[bytes, Path]:
    _, keys = signers
    lang = content["lang"]
    pdf = sign_pdf(
        build_report(content),
        keys[CITY],
        name=CITY,
        reason="Issued",
        countersignatures=1,
        appearance=SignatureAppearance("Paula Procurer", "risk and remediation report", CITY, VERIFY, lang),
    )
    if countersign:
        pdf = sign_pdf(
            pdf,
            keys[BOARD],
            name=BOARD,
            reason="Countersigned",
            appearance=SignatureAppearance(
                "Omar Oversight", "countersignature (oversight)", BOARD, VERIFY, lang
            ),
        )
    path = tmp_path / f"welfare-{lang}.pdf"
    path.write_bytes(pdf)
    return pdf, path


def test_the_welfare_report_opens_with_the_executive_page(signers, tmp_path):
    _, path = issued(welfare_content(), tmp_path, signers)
    first = page_text(path, 1)
    for expected in (
        "Executive summary",
        "Welfare fraud risk score",
        f"Buyer {CITY}",
        "Vendor Civic Analytics Ltd",
        "Lifecycle stage Scoping",
        "Date 2026-11-22 10:00 UTC",
        "Impact level III",
        "A person reviews every adverse decision before it takes effect.",  # what level III obliges
        "Risk heat map",
        "The most serious findings",
        "Fairness verdicts",
        "Remediation progress",
        "Done 1 In progress 1 Overdue 1 Open 1",
        f"Countersignature expected from: {BOARD}.",
    ):
        assert expected in first, expected
    # the three most serious, worst first, each one sentence pointing to its annex
    top = first.split("The most serious findings")[1]
    assert (
        top.index("R2 Equality (High)") < top.index("R3 Social and economic rights") < top.index("R1 Privacy")
    )
    assert "R4 Remedy" not in top
    assert "False positive rate for nationality non-EU 4.2 times that of national. → Annex B.2" in top
    assert "Page 1 of" in first


def test_the_heat_map_places_each_rated_right_in_its_cell(signers, tmp_path):
    _, path = issued(welfare_content(), tmp_path, signers, countersign=False)
    words = words_of(path, 1)
    top = next(y for w, _, y in words if w == "heat")
    bottom = next(y for w, _, y in words if w == "Severity")
    inside = [(w, x, y) for w, x, y in words if top < y < bottom]
    columns = {int(w): x for w, x, y in inside if w.isdigit() and abs(y - bottom) < 20}
    rows = {int(w): y for w, x, y in inside if w.isdigit() and abs(y - bottom) >= 20}
    assert sorted(columns) == list(range(3, 13)) and sorted(rows) == [1, 2, 3, 4]

    def cell(ref: str) -> tuple[int, int]:
        [(x, y)] = [(x, y) for w, x, y in inside if w == ref]
        return (
            min(columns, key=lambda s: abs(columns[s] - x)),
            min(rows, key=lambda lik: abs(rows[lik] - y)),
        )

    # severity = scale + scope + reversibility, likelihood as rated; R4 is not rated and has no cell
    assert cell("R1") == (7, 2) and cell("R2") == (9, 3) and cell("R3") == (9, 2)
    assert not [w for w, _, _ in inside if w == "R4"]
    assert "R1 Privacy: 7 × 2, Medium; R2 Equality: 9 × 3, High" in page_text(path, 1)  # the caption


def test_the_forest_plot_shows_each_verdict_against_the_band(signers, tmp_path):
    _, path = issued(welfare_content(), tmp_path, signers, countersign=False)
    first = page_text(path, 1)
    for label in ("0.25", "0.8", "1.25", "4", "Ratio to the reference group (log scale)"):
        assert label in first
    # disparities first, farthest from 1 first, then the inconclusive; no-disparity verdicts stay off page 1
    plot = first.split("Fairness verdicts", 1)[1]
    order = [
        "nationality non-EU · False positive rate",
        "nationality non-EU · Selection rate",
        "nationality EU · False positive rate",
        "sex male · False positive rate",
    ]
    assert [plot.index(label) for label in order] == sorted(plot.index(label) for label in order)
    assert "sex male · Selection rate" not in plot.split("Figure 2.")[0]
    assert "False positive rate: 4.20 (3.50–5.10), disparity" in plot  # the caption in words
    assert "sex male vs sex female, False positive rate: 1.07 (0.85–1.30), inconclusive" in plot


def test_contents_outline_and_page_numbers_agree(signers, tmp_path):
    pdf, path = issued(welfare_content(), tmp_path, signers)
    total = pages_of(path)
    for page in range(1, total + 1):
        assert f"Page {page} of {total}" in page_text(path, page), page
    titles = outline_titles(pdf)
    assert titles[0] == (0, "Executive summary") and titles[-1] == (0, "Sign-off")
    for section in (
        "Summary",
        "Method",
        "Risk register",
        "Fairness results: welfare-model-outputs-2026Q3.csv",
        "Explanations: welfare-model-outputs-2026Q3.csv",
        "Remediation plan",
        "Obligations",
        "Annex A: Answers",
        "Annex B: What each risk rests on",
        "Annex C: Fairness findings in words",
    ):
        assert (0, section) in titles, section
    assert (1, "B.2 R2 Equality") in titles and (1, "A.1 Purpose") in titles
    contents = page_text(path, 2, layout=True)
    assert re.search(r"^\s*Executive summary\s+1$", contents, re.M)
    for heading in ("Risk register", "Annex B: What each risk rests on", "Sign-off"):
        listed = int(re.search(r"^\s*" + re.escape(heading) + r"\s+(\d+)$", contents, re.M).group(1))
        found = next(p for p in range(3, total + 1) if heading in page_text(path, p))
        assert listed == found, heading
    assert "Sign-off" in page_text(path, total)  # the sign-off page is the last


def test_the_register_is_one_line_per_right_and_its_details_are_in_an_annex(signers, tmp_path):
    _, path = issued(welfare_content(), tmp_path, signers, countersign=False)
    text = " ".join(page_text(path, p) for p in range(3, pages_of(path) + 1))
    register = text.split("Risk register")[1].split("Fairness results")[0]
    rows = page_text(path, 3, layout=True)
    assert re.search(r"Right\s+Level\s+Finding\s+Treatment\s+Owner\s+Due", rows)
    assert re.search(
        r"R2\s+Equality\s+High\s+False positive rate for .*Human review of every\s+Head of\s+2027-01-28", rows
    )
    assert "(see Annex B.2)" in register and "(see Annex B.4)" in register
    # the questions and the disparity sentences are in the annex, not the register
    assert "Have the people affected been consulted?" not in register
    annex = text.split("Annex B: What each risk rests on")[-1]
    assert (
        "B.2 R2 Equality" in annex
        and "SCO-08 (safeguard missing): Have the people affected been consulted?" in annex
    )
    assert "Nationality non-EU: false positive rate 21.0 % against 5.0 %" in annex


def test_fairness_and_explanation_sections_have_captioned_charts(signers, tmp_path):
    _, path = issued(welfare_content(), tmp_path, signers, countersign=False)
    text = " ".join(page_text(path, p) for p in range(3, pages_of(path) + 1))
    # per-group rates with intervals for each metric a verdict used
    assert (
        "False positive rate by group, with 95% intervals (nationality): nationality national 5.0% "
        "(4.3%–5.8%); nationality EU 8.0% (6.0%–10.0%); nationality non-EU 21.0% (18.0%–24.0%)." in text
    )
    assert "Selection rate by group, with 95% intervals (nationality)" in text
    assert "nationality national (reference)" in text
    # fidelity above the importance bars; proxies marked in the chart and named
    explanation = text.split("Explanations: welfare-model-outputs-2026Q3.csv")[1]
    assert explanation.index("Fidelity: The surrogate explains 94 %") < explanation.index("months_on_benefit")
    assert "language_of_forms 20.0% · proxy" in explanation
    assert "Proxies of a protected attribute: language_of_forms, postcode." in explanation
    assert "language_of_forms 20.0% (proxy); postcode 11.0% (proxy); monthly_income 5.0%." in explanation


def test_the_sign_off_page_names_only_the_issuer_as_signed_and_the_board_as_awaited(signers, tmp_path):
    _, path = issued(welfare_content(), tmp_path, signers, countersign=False)
    signoff = page_text(path, pages_of(path))
    assert "1. City of Riverton Procurement Office Signed: risk and remediation report" in signoff
    assert "2. Riverton Algorithmic Oversight Board Awaited: countersignature (oversight)" in signoff
    assert "Signed: countersignature" not in signoff


def test_both_signatures_are_valid_and_visible_on_the_sign_off_page(signers, tmp_path):
    authority, _ = signers
    pdf, path = issued(welfare_content(), tmp_path, signers)
    out = subprocess.run([poppler("pdfsig"), str(path)], capture_output=True, text=True).stdout
    assert out.count("Signature is Valid") == 2 and "Total document signed" in out.split("Signature #2")[1]
    result = verify_pdf(pdf, [authority.read_bytes()])
    assert result.ok, result.problems()
    assert [(s.intact, s.trusted) for s in result.signatures] == [(True, True), (True, True)]
    assert result.signatures[0].certification and result.signatures[0].later_changes_allowed
    # each signature field has a widget with a box on the last page and an appearance stream
    reader = PdfFileReader(io.BytesIO(pdf))
    last_page = reader.root["/Pages"]["/Kids"][-1].get_object()
    boxes = {}
    for annotation in last_page["/Annots"]:
        widget = annotation.get_object()
        if widget.get("/FT") == "/Sig":
            x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
            assert "/N" in widget["/AP"]
            boxes[str(widget["/T"])] = (x2 - x1, y2 - y1)
    assert set(boxes) == {"Signature1", "Signature2"} and all(w > 200 and h > 90 for w, h in boxes.values())
    signoff = page_text(path, pages_of(path))
    for expected in (
        "Paula Procurer",
        "risk and remediation report",
        "Omar Oversight",
        "countersignature (oversight)",
        f"verify at {VERIFY}",
    ):
        assert expected in signoff, expected
    assert re.search(r"20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC", signoff)


def test_a_chinese_report_has_the_same_pages_and_pictures(signers, tmp_path):
    needs_cjk_font()
    content = welfare_content("zh")
    content["system"]["name"] = "福利欺诈风险评分"
    _, keys = signers
    pdf = sign_pdf(
        build_report(content),
        keys[CITY],
        name=CITY,
        reason="Issued",
        countersignatures=1,
        appearance=SignatureAppearance("李明", "风险与整改报告", "河城市采购办公室", VERIFY, "zh"),
    )
    path = tmp_path / "zh.pdf"
    path.write_bytes(pdf)
    first = page_text(path, 1)
    total = pages_of(path)
    for expected in (
        "执行摘要",
        "福利欺诈风险评分",
        "风险热图",
        "最严重的发现",
        "公平性结论",
        "整改进度",
        f"第 1 页\uff0c共 {total} 页",  # the footer, with its full-width comma
    ):
        assert expected in first, expected
    assert "李明" in page_text(path, total) and "河城市采购办公室" in page_text(path, total)
    assert outline_titles(pdf)[0] == (0, "执行摘要")
    out = subprocess.run([poppler("pdfsig"), str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in out


def test_sections_absent_from_the_content_are_left_out(tmp_path):
    content = welfare_content()
    for key in ("impact", "risks", "risk_matrix", "remediation", "obligations"):
        content.pop(key)
    path = tmp_path / "vendor.pdf"
    path.write_bytes(build_report(content))
    text = " ".join(page_text(path, p) for p in range(1, pages_of(path) + 1))
    for absent in (
        "Risk register",
        "Risk heat map",
        "Remediation plan",
        "Remediation progress",
        "Obligations",
        "Impact level",
        "Annex B",
    ):
        assert absent not in text, absent
    assert "Fairness verdicts" in text and "Annex A: Answers" in text
