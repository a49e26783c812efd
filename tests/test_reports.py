"""Signed reports: PAdES signatures checked by pyHanko's validator and poppler's pdfsig, countersignatures,
the three kinds of tampering, Chinese text, the registry, and the public verification page."""

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import csrf_token, form_fields
from test_wizard import SCOPING, save_section

from hria.cli import main
from hria.domain import reporting, signing_keys
from hria.domain.models import Assessment, Report
from hria.extensions import db
from reports import build_report, sign_pdf, verify_pdf
from reports.keys import SigningKeyError, create_authority, create_signing_identity, load_identity


def pdfsig(path: Path) -> str:
    if not shutil.which("pdfsig"):
        if os.environ.get("CI"):
            pytest.fail("pdfsig (poppler-utils) is missing")
        pytest.skip("pdfsig (poppler-utils) is not installed")
    # pdfsig exits 0 even when a signature does not match: its output is what counts
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout


def issue_in_browserless_web(client, assessment_id, draft=False):
    page = client.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    data = {"csrf_token": form_fields(page)["csrf_token"], **({"draft": "1"} if draft else {})}
    return client.post(f"/assessments/{assessment_id}/reports", data=data, follow_redirects=True)


def current_report(app, assessment_id) -> tuple[int, Path]:
    with app.app_context():
        report = db.session.query(Report).filter_by(assessment_id=assessment_id, superseded_by_id=None).one()
        return report.id, Path(report.path)


def test_procurer_issues_a_signed_report_that_validators_accept(app, client, keyed, auth, tmp_path):
    auth.login(keyed.users["procurer_a"])
    aid = keyed.assessments["a"]
    for section, answers in SCOPING.items():
        save_section(client, aid, section, answers)
    body = issue_in_browserless_web(client, aid).get_data(as_text=True)
    assert "Issued and signed HRIA-" in body
    report_id, path = current_report(app, aid)
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == path.stem
    with app.app_context():
        result = verify_pdf(data, signing_keys.trust_roots())
    assert result.ok and [s.organisation for s in result.signatures] == ["City A"]
    out = pdfsig(path)
    assert "Signature is Valid" in out and "Total document signed" in out
    assert "ETSI.CAdES.detached" in out  # the PAdES subfilter
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    for expected in (
        "Human-rights risk and remediation report",
        "Benefit scoring A",
        "Impact level",
        "II",
        "Risk register",
        "Remediation plan",
        "SCO-08",
        "§43(a)",
    ):
        assert expected in text, expected
    auth.logout()
    for other in ("procurer_b", "vendor_a", "oversight_b"):
        auth.login(keyed.users[other])
        assert client.get(f"/reports/{report_id}/download").status_code == 404, other
        auth.logout()
    auth.login(keyed.users["oversight_a"])
    assert client.get(f"/reports/{report_id}/download").data == data


def test_oversight_countersigns_keeping_the_first_signature_valid(app, client, keyed, auth):
    auth.login(keyed.users["procurer_a"])
    issue_in_browserless_web(client, keyed.assessments["a"])
    first_id, first_path = current_report(app, keyed.assessments["a"])
    auth.logout()
    auth.login(keyed.users["oversight_a"])
    page = client.get(f"/assessments/{keyed.assessments['a']}").get_data(as_text=True)
    assert "Countersign for Board A" in page
    with app.app_context():
        code = db.session.get(Report, first_id).code
    # before it countersigns, the registry lists the board as awaited, not as a signer
    row = re.search(rf"<tr>\s*<th scope=\"row\"><a [^>]*>{code}-v1</a></th>.*?</tr>", page, re.S).group(0)
    assert "<td>City A (issuing organisation)</td><td>Board A (oversight body)</td>" in row
    token = form_fields(page)["csrf_token"]
    done = client.post(f"/reports/{first_id}/countersign", data={"csrf_token": token}, follow_redirects=True)
    body = done.get_data(as_text=True)
    assert f"Countersigned {code}-v1.1 for Board A" in body
    # the countersigned file is a row of its own, with its own id; nothing is awaited any more
    rows = re.findall(
        rf"<th scope=\"row\"><a [^>]*>({code}-v1(?:\.1)?)</a></th>\s*<td>[^<]*</td><td>([^<]*)</td>"
        r"<td>([^<]*)</td>",
        body,
    )
    assert sorted(rows) == [
        (f"{code}-v1", "City A (issuing organisation)", "—"),
        (f"{code}-v1.1", "City A (issuing organisation), Board A (oversight body)", "—"),
    ]
    second_id, second_path = current_report(app, keyed.assessments["a"])
    assert second_id != first_id and first_path.exists()
    with app.app_context():
        result = verify_pdf(second_path.read_bytes(), signing_keys.trust_roots())
        assert db.session.get(Report, first_id).superseded_by_id == second_id
    assert result.ok
    assert [(s.organisation, s.intact, s.trusted) for s in result.signatures] == [
        ("City A", True, True),
        ("Board A", True, True),
    ]
    out = pdfsig(second_path)
    assert out.count("Signature is Valid") == 2
    assert "Total document signed" in out.split("Signature #2")[1]
    # another city's oversight body may not countersign (and does not even see the report)
    auth.logout()
    auth.login(keyed.users["oversight_b"])
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post(f"/reports/{second_id}/countersign", data={"csrf_token": token}).status_code == 404


def tampered_versions(app, original: bytes, tmp_path: Path) -> dict[str, bytes]:
    changed = bytearray(original)
    position = original.index(b"Benefit scoring A")
    changed[position] = ord("X")
    rogue_folder = tmp_path / "rogue"
    create_authority(rogue_folder, "Rogue authority")
    rogue = load_identity(create_signing_identity(rogue_folder, "City A", "rogue.p12", b"pw"), b"pw")
    resigned = sign_pdf(original, rogue, name="City A", reason="forged")
    return {
        "changed byte": bytes(changed),
        "appended bytes": original + b"\n% appended\n",
        "untrusted key": resigned,
    }


def test_every_kind_of_tampering_is_caught(app, client, keyed, auth, tmp_path):
    auth.login(keyed.users["procurer_a"])
    issue_in_browserless_web(client, keyed.assessments["a"])
    _, path = current_report(app, keyed.assessments["a"])
    original = path.read_bytes()
    ok = CliRunner().invoke(main, ["verify", str(path)])
    assert (
        ok.exit_code == 0
        and "Verified: every signature is intact and trusted, each signer is a party to the report"
        in ok.output
    )
    expectations = {
        "changed byte": "the signed bytes were changed after signing",
        "appended bytes": "Bytes were added after the last signature",
        "untrusted key": "signed by a certificate this instance does not trust",
    }
    for name, data in tampered_versions(app, original, tmp_path).items():
        target = tmp_path / f"{name}.pdf"
        target.write_bytes(data)
        result = CliRunner().invoke(main, ["verify", str(target)])
        assert result.exit_code == 1, (name, result.output)
        assert expectations[name] in result.output, (name, result.output)
        page = client.post(
            "/verify",
            data={
                "csrf_token": form_fields(client.get("/verify").get_data(as_text=True))["csrf_token"],
                "file": (io.BytesIO(data), "report.pdf"),
            },
            content_type="multipart/form-data",
        ).get_data(as_text=True)
        assert "Not verified" in page and expectations[name] in page, name


def test_verify_page_needs_no_login_and_names_the_registry_entry(app, client, keyed, auth):
    auth.login(keyed.users["procurer_a"])
    issue_in_browserless_web(client, keyed.assessments["a"])
    _, path = current_report(app, keyed.assessments["a"])
    auth.logout()
    page = client.get("/verify").get_data(as_text=True)
    response = client.post(
        "/verify",
        data={
            "csrf_token": form_fields(page)["csrf_token"],
            "file": (io.BytesIO(path.read_bytes()), "r.pdf"),
        },
        content_type="multipart/form-data",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Verified: every signature is intact and trusted" in body
    assert re.search(r"This is report HRIA-\d{4}-[0-9A-F]{8}-v1 \(risk\)", body)
    not_pdf = client.post(
        "/verify",
        data={"csrf_token": form_fields(page)["csrf_token"], "file": (io.BytesIO(b"hello"), "r.pdf")},
        content_type="multipart/form-data",
    )
    assert not_pdf.status_code == 422 and "This file is not a PDF." in not_pdf.get_data(as_text=True)


def test_verify_cli_exit_2_for_a_file_without_signature(app, tmp_path, keyed):
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(
        build_report(
            {
                "kind": "risk",
                "lang": "en",
                "report_id": "x",
                "issued_at": "today",
                "organisation": "O",
                "system": {"name": "S"},
                "stage": "Scoping",
            }
        )
    )
    result = CliRunner().invoke(main, ["verify", str(plain)])
    assert result.exit_code == 2 and "carries no signature" in result.output


def test_chinese_report_is_real_text(app, client, keyed, auth):
    from reports.fonts import FontNotFound, cjk_font

    try:
        cjk_font()
    except FontNotFound as error:
        if os.environ.get("CI"):
            pytest.fail(str(error))
        pytest.skip(f"no CJK TrueType font is installed (apt-get install fonts-wqy-zenhei): {error}")
    if not (shutil.which("pdftotext") and shutil.which("pdffonts")):
        pytest.skip("pdftotext and pdffonts (poppler-utils) are not installed")
    auth.login(keyed.users["procurer_a"])
    with app.app_context():
        assessment = Assessment(system_id=keyed.systems["a"], stage="scoping", status="draft", language="zh")
        db.session.add(assessment)
        db.session.commit()
        aid = assessment.id
    save_section(client, aid, "purpose", {"SCO-02": "yes"})
    refused = issue_in_browserless_web(client, aid).get_data(as_text=True)
    assert "The assessment is incomplete (1 of 23 questions answered)" in refused
    issued = issue_in_browserless_web(client, aid, draft=True).get_data(as_text=True)
    assert "as a draft of incomplete work" in issued
    _, path = current_report(app, aid)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "人权风险与整改报告" in text
    assert text.count("草稿 — 未完成：已回答 1 / 23 个问题") >= 2  # noqa: RUF001 - cover and every footer
    assert "是否考虑并比较了不使用算法的方案" in text
    # embedded, so any reader shows it without a language pack of its own
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout.splitlines()[2:]
    assert fonts and all(row.split()[-5] == "yes" for row in fonts), fonts  # the "emb" column
    assert any("WenQuanYi" in row or "UMing" in row or "UKai" in row or "Droid" in row for row in fonts), (
        fonts
    )
    out = pdfsig(path)
    assert "Signature is Valid" in out and "Total document signed" in out


def test_registry_refuses_to_overwrite(app, keyed):
    with app.app_context():
        _sha, _path = reporting.store(b"%PDF-1.7 first")
        with pytest.raises(reporting.ReportError, match="already in the registry"):
            reporting.store(b"%PDF-1.7 first")
        assessment = db.session.get(Assessment, keyed.assessments["a"])
        report = reporting.issue(assessment, "risk", None)
        db.session.commit()
        report.sha256 = "0" * 64
        with pytest.raises(reporting.ReportError, match="cannot be changed"):
            db.session.commit()
        db.session.rollback()


def test_reissuing_supersedes_and_cli_lists_the_registry(app, keyed, tmp_path):
    runner = CliRunner()
    out = tmp_path / "r.pdf"
    first = runner.invoke(main, ["report", str(keyed.assessments["a"]), "-o", str(out)])
    assert first.exit_code == 0, first.output
    assert out.read_bytes().startswith(b"%PDF")
    second = runner.invoke(main, ["report", str(keyed.assessments["a"])])
    assert "-v2" in second.output
    countersigned = runner.invoke(
        main, ["countersign", str(out), "--as", "Board A", "-o", str(tmp_path / "c.pdf")]
    )
    assert countersigned.exit_code == 1 and "superseded" in countersigned.output
    rows = json.loads(runner.invoke(main, ["reports", "list", "--json"]).output)
    assert [(r["kind"], r["signers"], r["superseded_by"] is None) for r in rows] == [
        ("risk", ["City A"], False),
        ("risk", ["City A"], True),
    ]
    assert set(rows[0]) >= {
        "id",
        "assessment",
        "kind",
        "path",
        "sha256",
        "signers",
        "issued_at",
        "superseded_by",
    }


def test_wrong_passphrase_is_a_clear_error(tmp_path):
    create_authority(tmp_path)
    path = create_signing_identity(tmp_path, "Org", "org.p12", b"right")
    with pytest.raises(SigningKeyError, match="passphrase is wrong"):
        load_identity(path, b"wrong")


def test_json_export_has_the_report_content(app, keyed, tmp_path):
    target = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["report", str(keyed.assessments["a"]), "--json", str(target)])
    assert result.exit_code == 0, result.output
    data = json.loads(target.read_text())
    from reports.pdf import REPORT_KEYS

    assert set(REPORT_KEYS) <= set(data)
    assert data["system"]["name"] == "Benefit scoring A" and data["organisation"] == "City A"
