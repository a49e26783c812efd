"""Reports that always lay out and that any reader can read: text as long as the forms allow flows across
pages, every font is embedded, Chinese text is real text, and such reports still sign and validate."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import post_form
from test_wizard import save_section

from hria.domain.models import Assessment, Report
from hria.extensions import db
from reports import build_report, sign_pdf
from reports.fonts import LATIN_FONTS, FontNotFound, cjk_font
from reports.keys import create_authority, create_signing_identity, load_identity

# The forms' own limits: an answer of 10,000 characters, a purpose of 5,000.
LONG_ANSWER = " ".join(f"w{i:04d}" for i in range(1666)) + " end."  # 10,000 characters
ANSWER_LINES = [f"{i:04d}" for i in range(2000)]  # 2,000 lines, 9,999 characters
PURPOSE_LINES = [chr(ord("a") + i % 26) for i in range(2500)]  # 2,500 lines, 4,999 characters
CHINESE = ("人权风险与整改报告", "福利欺诈风险评分", "是否考虑并比较了不使用算法的方案")


def poppler(tool: str) -> str:
    if not shutil.which(tool):
        if os.environ.get("CI"):
            pytest.fail(f"{tool} (poppler-utils) is missing")
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    return tool


def needs_cjk_font() -> None:
    try:
        cjk_font()
    except FontNotFound as error:
        if os.environ.get("CI"):
            pytest.fail(str(error))
        pytest.skip(f"no CJK TrueType font is installed (apt-get install fonts-wqy-zenhei): {error}")


def pdf_file(pdf: bytes, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return path


def page_count(path: Path) -> int:
    info = subprocess.run([poppler("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def text_of(path: Path) -> str:
    return subprocess.run(
        [poppler("pdftotext"), str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def fonts_of(path: Path) -> list[tuple[str, str]]:
    """(name, embedded) for every font pdffonts lists."""
    out = subprocess.run([poppler("pdffonts"), str(path)], capture_output=True, text=True, check=True).stdout
    _header, rule, *rows = out.splitlines()
    # the second line's runs of dashes mark the columns: name, type, encoding, emb, sub, uni, object ID
    spans = [m.span() for m in re.finditer(r"-+", rule)]
    return [(row[slice(*spans[0])].strip(), row[slice(*spans[3])].strip()) for row in rows]


def signature_valid(path: Path) -> bool:
    out = subprocess.run([poppler("pdfsig"), str(path)], capture_output=True, text=True).stdout
    return "Signature is Valid" in out and "Total document signed" in out


def lines_in(text: str, wanted: list[str]) -> list[str]:
    """The lines of text that are of the kind the long input is made of, in order."""
    shape = re.compile(r"\d{4}" if wanted[0].isdigit() else r"[a-z]")
    return [line for line in text.splitlines() if shape.fullmatch(line)]


@pytest.fixture(scope="module")
def signer(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    create_authority(folder)
    return load_identity(create_signing_identity(folder, "City of Riverton", "city.p12", b"pw"), b"pw")


def report(
    lang: str = "en",
    purpose: str = "Scores applications",
    answer: str = "Yes",
    name: str = "Welfare score",
    question: str = "Were options without an algorithm considered?",
) -> dict:
    return {
        "kind": "risk",
        "lang": lang,
        "report_id": "HRIA-2026-TEST-v1",
        "issued_at": "2026-11-22 10:00 UTC",
        "organisation": "City of Riverton",
        "stage": "Scoping",
        "bank_version": "2026.1",
        "system": {"name": name, "purpose": purpose, "sector": "Welfare", "vendor": "Civic Analytics"},
        "sections": [
            {
                "title": "Purpose",
                "questions": [
                    {
                        "id": "SCO-01",
                        "text": "What public problem should the system help solve?",
                        "answer": answer,
                        "cites": ["§57"],
                        "evidence": [{"name": "case.pdf", "sha256": "ab" * 32}],
                    },
                    {"id": "SCO-02", "text": question, "answer": "Yes", "cites": ["§50(c)"]},
                ],
            }
        ],
        "remediation": [
            {
                "action": "Consult the people affected",
                "paragraph": "§43(a)",
                "right": "Equality",
                "owner": "Planning",
                "due": "2027-01-01",
                "status": "Open",
            }
        ],
        "obligations": ["Review the assessment every year."],
        "signoff": [{"organisation": "City of Riverton", "role": "issuer"}],
    }


# -- text of any length
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case, data, last, min_pages",
    [
        ("answer of 10,000 characters", report(answer=LONG_ANSWER), "w1665 end.", 4),
        ("answer of 2,000 lines", report(answer="\n".join(ANSWER_LINES)), "1999", 36),
        ("purpose of 2,500 lines", report(purpose="\n".join(PURPOSE_LINES)), None, 45),
    ],
)
def test_long_text_flows_across_pages_and_signs(case, data, last, min_pages, signer, tmp_path):
    path = pdf_file(
        sign_pdf(build_report(data), signer, name="City of Riverton", reason="Issued"), tmp_path, "long"
    )
    text = text_of(path)
    assert page_count(path) >= min_pages, case
    if last is not None:
        assert last in text, case
    for lines in (ANSWER_LINES, PURPOSE_LINES):
        if "\n".join(lines) in (data["sections"][0]["questions"][0]["answer"], data["system"]["purpose"]):
            assert lines_in(text, lines) == lines, case  # every line, once, in order
    # the content after the long text is still there
    flowing = " ".join(text.split())
    assert "SCO-02 Were options without an algorithm considered?" in flowing
    assert "Consult the people affected" in flowing
    assert signature_valid(path), case


def test_a_short_report_keeps_its_answers_in_one_table(tmp_path):
    path = pdf_file(build_report(report()), tmp_path, "short")
    assert page_count(path) == 5  # executive summary, contents, content, annex of answers, sign-off
    text = text_of(path)
    assert text.splitlines().count("Question") == 1  # one table header, no row set apart under its labels


def issue(client, assessment_id: int) -> str:
    return post_form(
        client,
        f"/assessments/{assessment_id}",
        f"/assessments/{assessment_id}/reports",
        {},
        follow_redirects=True,
    ).get_data(as_text=True)


def current_report(app, assessment_id: int) -> Path:
    with app.app_context():
        report_ = db.session.query(Report).filter_by(assessment_id=assessment_id, superseded_by_id=None).one()
        return Path(report_.path)


def test_long_purpose_and_answers_issue_through_the_app(app, client, keyed, auth, finished):
    auth.login(keyed.users["procurer_a"])
    aid, sid = keyed.assessments["a"], keyed.systems["a"]
    purpose = "\n".join(PURPOSE_LINES)
    edited = post_form(
        client,
        f"/systems/{sid}/edit",
        f"/systems/{sid}/edit",
        {
            "name": "Benefit scoring A",
            "purpose": purpose,
            "owner_id": keyed.orgs["city_a"],
            "vendor_id": keyed.orgs["vendor_a"],
            "sector": "welfare",
            "automated_decisions": "y",
        },
    )
    assert edited.status_code == 302, edited.get_data(as_text=True)[:2000]
    assert save_section(client, aid, "purpose", {"SCO-01": LONG_ANSWER}).status_code == 302
    finished(aid)  # saving the section alone cleared the answers it did not send

    assert "Issued and signed HRIA-" in issue(client, aid)
    first = current_report(app, aid)
    text = text_of(first)
    assert lines_in(text, PURPOSE_LINES) == PURPOSE_LINES
    assert "w1665 end." in text and signature_valid(first)

    assert save_section(client, aid, "purpose", {"SCO-01": "\n".join(ANSWER_LINES)}).status_code == 302
    finished(aid)
    assert "-v2: it is listed below" in issue(client, aid)
    second = current_report(app, aid)
    assert lines_in(text_of(second), ANSWER_LINES) == ANSWER_LINES
    assert signature_valid(second)


# -- fonts
# -------------------------------------------------------------------------------------------------------


def test_every_font_of_an_english_report_is_embedded(tmp_path):
    fonts = fonts_of(pdf_file(build_report(report()), tmp_path, "en"))
    assert fonts and all(embedded == "yes" for _, embedded in fonts), fonts
    assert not any(name.startswith(("Helvetica", "Times", "Courier")) for name, _ in fonts), fonts


def test_a_chinese_report_embeds_its_font_is_real_text_and_signs(signer, tmp_path):
    needs_cjk_font()
    data = report(lang="zh", name=CHINESE[1], question=CHINESE[2] + "？")
    path = pdf_file(
        sign_pdf(build_report(data), signer, name="City of Riverton", reason="Issued"), tmp_path, "zh"
    )
    fonts = fonts_of(path)
    assert fonts and all(embedded == "yes" for _, embedded in fonts), fonts
    assert "STSong-Light" not in {name for name, _ in fonts}
    text = text_of(path)
    for phrase in CHINESE:
        assert phrase in text, phrase
    assert (
        "• Review the assessment every year." in text
    )  # a bullet the Chinese font lacks, from the Latin one
    assert signature_valid(path)


def test_chinese_in_an_english_report_is_shown_in_the_chinese_font(tmp_path):
    needs_cjk_font()
    path = pdf_file(build_report(report(name=CHINESE[1])), tmp_path, "mixed")
    assert CHINESE[1] in text_of(path)
    fonts = fonts_of(path)
    assert all(embedded == "yes" for _, embedded in fonts), fonts
    assert any(cjk_font().face.name.decode() in name for name, _ in fonts), fonts


def test_without_a_chinese_font_a_chinese_report_is_refused_saying_what_to_install(tmp_path):
    missing = tmp_path / "wqy-zenhei.ttc"
    with pytest.raises(FontNotFound, match=r"apt-get install fonts-wqy-zenhei.*HRIA_CJK_FONT"):
        cjk_font(candidates=[(str(missing), "fonts-wqy-zenhei")])
    with pytest.raises(FontNotFound, match=re.escape("wqy-zenhei.ttc (HRIA_CJK_FONT) does not exist")):
        build_report(report(lang="zh"), cjk_font=str(missing))
    (tmp_path / "notes.ttf").write_text("not a font")
    with pytest.raises(FontNotFound, match=re.escape("notes.ttf cannot be embedded")):
        build_report(report(lang="zh"), cjk_font=str(tmp_path / "notes.ttf"))
    latin_only = LATIN_FONTS[-1][0]  # reportlab's own Vera: no Chinese glyphs
    with pytest.raises(FontNotFound, match="has no Chinese glyphs"):
        build_report(report(lang="zh"), cjk_font=latin_only)
    # Chinese in an English report needs the font just as much
    with pytest.raises(FontNotFound, match="does not exist"):
        build_report(report(name=CHINESE[1]), cjk_font=str(missing))
    assert build_report(report(), cjk_font=str(missing)).startswith(b"%PDF")  # no Chinese, no font needed


def test_the_app_refuses_a_chinese_report_without_a_font_and_says_why(
    app, client, keyed, auth, tmp_path, finished
):
    app.config["CJK_FONT"] = str(tmp_path / "nowhere.ttc")
    auth.login(keyed.users["procurer_a"])
    with app.app_context():
        assessment = Assessment(system_id=keyed.systems["a"], stage="scoping", status="draft", language="zh")
        db.session.add(assessment)
        db.session.commit()
        aid = assessment.id
    finished(aid)  # complete work, so that only the font stands in the way
    page = issue(client, aid)
    assert "The report could not be issued: The Chinese font" in page and "nowhere.ttc" in page
    assert "fonts-wqy-zenhei" in page
    with app.app_context():
        assert db.session.query(Report).filter_by(assessment_id=aid).count() == 0
