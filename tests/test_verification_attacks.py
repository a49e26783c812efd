"""Verification that cannot be fooled: content changed in an unsigned revision and then signed over,
signatures by organisations with no part in the report, a countersigned report cut back to its first
revision, and organisation names longer than a certificate can hold. Each attack goes through `hria
verify` and /verify."""

import codecs
import html
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PASSWORD_HASH, answer_everything, form_fields, post_form
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import MDPPerm, enumerate_sig_fields
from pyhanko.sign.validation import read_certification_data, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from test_reports import pdfsig

from hria.cli import main
from hria.domain import signing_keys
from hria.domain.models import Assessment, Organisation, OversightAssignment, System, User
from hria.extensions import db
from reports import ReportIdentity, sign_pdf, verify_pdf
from reports.keys import create_authority, create_signing_identity, load_identity
from reports.verify import _load_cert

pytestmark = pytest.mark.usefixtures("keyed")


def issue(assessment_id: int, target: Path, *extra: str) -> Path:
    result = CliRunner().invoke(main, ["report", str(assessment_id), "-o", str(target), *extra])
    assert result.exit_code == 0, result.output
    return target


def countersign(source: Path, organisation: str, target: Path) -> Path:
    result = CliRunner().invoke(main, ["countersign", str(source), "--as", organisation, "-o", str(target)])
    assert result.exit_code == 0, result.output
    return target


def verify_cli(data: bytes, tmp_path: Path, name: str = "check.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    return CliRunner().invoke(main, ["verify", str(path)])


def verify_web(client, data: bytes) -> tuple[int, str]:
    token = form_fields(client.get("/verify").get_data(as_text=True))["csrf_token"]
    response = client.post(
        "/verify",
        data={"csrf_token": token, "file": (io.BytesIO(data), "report.pdf")},
        content_type="multipart/form-data",
    )
    return response.status_code, html.unescape(response.get_data(as_text=True))


def signed_by(app, organisation: str, data: bytes) -> bytes:
    """An approval signature by ``organisation``'s own key, trusted by this instance's authority."""
    with app.app_context():
        org = db.session.query(Organisation).filter_by(name=organisation).one()
        return sign_pdf(data, signing_keys.signer_for(org), name=org.name, reason="Approved")


def replace_first_page(data: bytes) -> bytes:
    """An unsigned incremental update whose first page shows something else."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    page = writer.root["/Pages"]["/Kids"][0]
    name = generic.pdf_name
    helvetica = writer.add_object(
        generic.DictionaryObject(
            {
                name("/Type"): name("/Font"),
                name("/Subtype"): name("/Type1"),
                name("/BaseFont"): name("/Helvetica"),
            }
        )
    )
    fonts = generic.DictionaryObject({name("/FX"): helvetica})
    page[name("/Resources")] = generic.DictionaryObject({name("/Font"): fonts})
    page[name("/Contents")] = writer.add_object(
        generic.StreamObject(stream_data=b"BT /FX 28 Tf 72 700 Td (APPROVED WITHOUT CONDITIONS) Tj ET")
    )
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_freetext_annotation(data: bytes) -> bytes:
    """An unsigned incremental update that stamps "APPROVED" on the first page as a FreeText annotation."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    page = writer.root["/Pages"]["/Kids"][0]
    name = generic.pdf_name
    annotation = writer.add_object(
        generic.DictionaryObject(
            {
                name("/Type"): name("/Annot"),
                name("/Subtype"): name("/FreeText"),
                name("/Rect"): generic.ArrayObject([generic.NumberObject(n) for n in (72, 640, 420, 700)]),
                name("/Contents"): generic.TextStringObject("APPROVED"),
                name("/DA"): generic.TextStringObject("/Helv 28 Tf 0 0.5 0 rg"),
            }
        )
    )
    annotations = page.get("/Annots", generic.ArrayObject())
    annotations.append(annotation)
    page[name("/Annots")] = annotations
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pyhanko_statuses(app, data: bytes):
    with app.app_context():
        roots = [_load_cert(blob) for blob in signing_keys.trust_roots()]
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    return reader, [
        validate_pdf_signature(s, ValidationContext(trust_roots=roots, allow_fetching=False))
        for s in reader.embedded_signatures
    ]


def test_issued_report_is_certified_and_a_countersigned_one_is_valid_for_every_validator(
    app, client, keyed, tmp_path
):
    issued = issue(keyed.assessments["a"], tmp_path / "reports.pdf")
    both = countersign(issued, "Board A", tmp_path / "countersigned.pdf")

    # the certified revision prepares a field for the oversight body; countersigning only fills it in
    prepared = PdfFileReader(io.BytesIO(issued.read_bytes()), strict=False)
    assert [f for f, _, _ in enumerate_sig_fields(prepared, filled_status=False)] == ["Signature2"]
    reader, statuses = pyhanko_statuses(app, both.read_bytes())
    assert [f for f, _, _ in enumerate_sig_fields(reader)] == ["Signature1", "Signature2"]
    assert read_certification_data(reader).permission == MDPPerm.FILL_FORMS
    assert [s.bottom_line for s in statuses] == [True, True]
    assert [(s.modification_level, s.docmdp_ok) for s in statuses] == [
        (ModificationLevel.FORM_FILLING, True),
        (ModificationLevel.NONE, True),
    ]
    out = pdfsig(both)
    assert out.count("Signature is Valid") == 2 and "Total document signed" in out.split("Signature #2")[1]

    result = CliRunner().invoke(main, ["verify", str(both)])
    assert result.exit_code == 0, result.output
    assert re.search(
        r"Signature 1 \(Signature1, certification\): City A \(report signing\) for City A "
        r"\(issuing organisation\)",
        result.output,
    )
    assert re.search(
        r"Signature 2 \(Signature2, approval\): Board A \(report signing\) for Board A "
        r"\(oversight body\)",
        result.output,
    )
    assert "changed afterwards: signatures and form fields only (FORM_FILLING)" in result.output
    status, page = verify_web(client, both.read_bytes())
    assert status == 200 and "Verified: every signature is intact and trusted" in page
    assert "<td>issuing organisation</td>" in page and "<td>oversight body</td>" in page


@pytest.mark.parametrize(
    "attack", [replace_first_page, add_freetext_annotation], ids=["content", "annotation"]
)
@pytest.mark.parametrize("signer", ["City B", "Board A"], ids=["stranger", "oversight"])
def test_content_changed_in_an_unsigned_revision_then_signed_over_is_not_verified(
    app, client, keyed, tmp_path, attack, signer
):
    issued = issue(keyed.assessments["a"], tmp_path / "reports.pdf").read_bytes()
    forged = signed_by(app, signer, attack(issued))
    if attack is replace_first_page:
        first_page = subprocess.run(
            ["pdftotext", "-l", "1", "-", "-"], input=forged, capture_output=True
        ).stdout
        assert b"APPROVED WITHOUT CONDITIONS" in first_page  # the forgery shows what the attacker wanted
    _, statuses = pyhanko_statuses(app, forged)
    assert [s.intact and s.trusted for s in statuses] == [True, True]  # every signature alone checks out
    assert statuses[0].modification_level == ModificationLevel.OTHER and statuses[0].docmdp_ok is False

    changed = (
        "Signature1: after City A signed, a later revision changed content other than signatures "
        "(modification level OTHER): what the file shows now is not what City A signed."
    )
    stranger = (
        "Signature2: signed by City B, which has no part in this report (it is neither its issuer, City A, "
        "nor a body that oversees it)."
    )
    result = verify_cli(forged, tmp_path)
    assert result.exit_code == 1, result.output
    assert (
        changed in result.output and "Not verified: this file cannot be relied on as issued." in result.output
    )
    assert (stranger in result.output) == (signer == "City B")
    assert "This file is not one this instance issued for report HRIA-" in result.output
    status, page = verify_web(client, forged)
    assert status == 200 and "Not verified: this file cannot be relied on as issued." in page
    assert changed in page and (stranger in page) == (signer == "City B")


def test_a_signature_by_an_organisation_with_no_part_in_the_report_is_not_verified(
    app, client, keyed, tmp_path
):
    issued = issue(keyed.assessments["a"], tmp_path / "reports.pdf")
    refused = CliRunner().invoke(
        main, ["countersign", str(issued), "--as", "City B", "-o", str(tmp_path / "x.pdf")]
    )
    assert refused.exit_code == 1
    assert "City B has no part in report HRIA-" in refused.output
    assert "only a body that oversees City A may countersign it." in refused.output

    by_stranger = signed_by(app, "City B", issued.read_bytes())
    result = verify_cli(by_stranger, tmp_path)
    assert result.exit_code == 1, result.output
    assert "for City B (no part in this report)" in result.output
    assert (
        "Signature2: signed by City B, which has no part in this report (it is neither its issuer, City A, "
        "nor a body that oversees it)."
    ) in result.output
    _status, page = verify_web(client, by_stranger)
    assert "Not verified" in page and "<td>no part in this report</td>" in page

    by_other_board = signed_by(app, "Board B", issued.read_bytes())  # oversees City B, not City A
    assert "Signature2: signed by Board B, which has no part" in verify_cli(by_other_board, tmp_path).output


def test_the_buyer_countersigns_a_vendor_self_certification(app, keyed, tmp_path):
    issued = issue(keyed.assessments["a"], tmp_path / "self.pdf", "--kind", "self-certification")
    both = countersign(issued, "City A", tmp_path / "self-countersigned.pdf")
    result = CliRunner().invoke(main, ["verify", str(both)])
    assert result.exit_code == 0, result.output
    assert "for Vendor A (issuing organisation)" in result.output
    assert "for City A (buyer that owns the system)" in result.output


def test_a_countersigned_report_cut_back_to_its_first_revision_is_an_earlier_version(
    app, client, keyed, tmp_path
):
    issued = issue(keyed.assessments["a"], tmp_path / "reports.pdf")
    both = countersign(issued, "Board A", tmp_path / "countersigned.pdf").read_bytes()
    first_signature = next(iter(PdfFileReader(io.BytesIO(both), strict=False).embedded_signatures))
    start, length = first_signature.byte_range[2], first_signature.byte_range[3]
    truncated = both[: start + length]
    assert truncated == issued.read_bytes()
    code = re.search(r"HRIA-\d{4}-[0-9A-F]{8}", verify_cli(both, tmp_path).output).group(0)

    result = verify_cli(truncated, tmp_path)
    assert result.exit_code == 1, result.output
    expected = (
        f"This is an earlier version of report {code}-v1 (1 signature). The registry holds a later one: "
        f"{code}-v1.1, signed by City A (issuing organisation) and countersigned by Board A (oversight "
        f"body) on "
    )
    assert expected in result.output
    assert (
        "Not verified as the current report: the signatures hold, but a later version replaces this file."
        in result.output
    )
    status, page = verify_web(client, truncated)
    assert status == 200 and expected in page and "Not verified as the current report" in page

    issue(keyed.assessments["a"], tmp_path / "v2.pdf")
    after_reissue = verify_cli(both, tmp_path)
    assert after_reissue.exit_code == 1
    assert (
        f"This is an earlier version of report {code}-v1.1 (2 signatures). The registry holds a later one: "
        f"{code}-v2, signed by City A (issuing organisation) on "
    ) in after_reissue.output


def test_the_report_page_shows_what_each_signer_is_to_the_report(app, client, keyed, auth, tmp_path):
    countersign(issue(keyed.assessments["a"], tmp_path / "reports.pdf"), "Board A", tmp_path / "both.pdf")
    auth.login(keyed.users["procurer_a"])
    page = html.unescape(client.get(f"/assessments/{keyed.assessments['a']}").get_data(as_text=True))
    assert "<td>City A (issuing organisation), Board A (oversight body)</td>" in page


LONG_PREFIX = (
    "Metropolitan Joint Authority for Transport, Housing and Social Welfare Services of the Greater "
    "Riverton Area, its Municipal Districts and Special Purpose Boards"
)
# 57 characters, 171 bytes in UTF-8: a certificate holds 64 bytes
CHINESE_BOARD = (
    "里弗顿大都会区交通住房和社会福利服务联合管理局人权与算法问责独立监督委员会"
    "及其下属各专门工作组和公众咨询小组秘书处"
)


def long_name(suffix: str, length: int = 200) -> str:
    return f"{LONG_PREFIX} — {suffix} ".ljust(length, "x")[:length]


def test_organisation_names_up_to_the_form_limit_sign_and_verify(app, client, keyed, auth, tmp_path):
    buyer, board, stranger = long_name("Buyer"), CHINESE_BOARD, long_name("Unrelated")
    assert len(buyer) == 200 and buyer[:64] == stranger[:64]  # alike as far as a certificate goes
    auth.login(keyed.users["admin"])
    for name, kind in ((buyer, "buyer"), (board, "oversight"), (stranger, "buyer")):
        response = post_form(
            client, "/admin/organisations", "/admin/organisations", {"name": name, "kind": kind}
        )
        assert response.status_code == 302, name
    auth.logout()
    with app.app_context():
        orgs = {
            o.name: o
            for o in db.session.query(Organisation).filter(Organisation.name.in_([buyer, board, stranger]))
        }
        db.session.add(OversightAssignment(oversight=orgs[board], overseen=orgs[buyer]))
        db.session.add(
            User(
                email="procurer@long.example",
                role="procurer",
                organisation=orgs[buyer],
                password_hash=PASSWORD_HASH,
            )
        )
        system = System(
            name="Parking permits",
            purpose="Allocates permits",
            owner=orgs[buyer],
            sector="transport",
            automated_decisions=True,
        )
        assessment = Assessment(system=system, stage="scoping", status="draft", language="en")
        db.session.add_all([system, assessment])
        db.session.commit()
        assessment_id = assessment.id
        answer_everything(assessment_id)
    auth.login("procurer@long.example")
    page = client.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    issued = client.post(
        f"/assessments/{assessment_id}/reports",
        data={"csrf_token": form_fields(page)["csrf_token"]},
        follow_redirects=True,
    )
    assert issued.status_code == 200 and "Issued and signed HRIA-" in issued.get_data(as_text=True)
    with app.app_context():
        from hria.domain.models import Report

        path = Path(db.session.query(Report).filter_by(assessment_id=assessment_id).one().path)
    both = countersign(path, board, tmp_path / "both.pdf")

    reader = PdfFileReader(io.BytesIO(both.read_bytes()), strict=False)
    subjects = [s.signer_cert.subject.native for s in reader.embedded_signatures]
    assert all(len(s[part].encode()) <= 64 for s in subjects for part in ("common_name", "organization_name"))
    assert subjects[0]["organization_name"] == LONG_PREFIX[:61] + "…"
    assert subjects[0]["common_name"] == LONG_PREFIX[:43] + "… (report signing)"
    assert subjects[1]["organization_name"] == CHINESE_BOARD[:20] + "…"
    text = " ".join(
        subprocess.run(["pdftotext", str(both), "-"], capture_output=True, text=True).stdout.split()
    )
    assert buyer in text  # the full name, on the cover and in the sign-off

    result = CliRunner().invoke(main, ["verify", str(both)])
    assert result.exit_code == 0, result.output
    assert f"for {buyer} (issuing organisation)" in result.output
    assert f"for {board} (oversight body)" in result.output
    forged = verify_cli(signed_by(app, stranger, both.read_bytes()), tmp_path)
    assert forged.exit_code == 1
    assert (
        f"Signature3: signed by {stranger}, which has no part in this report (it is neither its issuer, "
        f"{buyer},"
    ) in forged.output


def test_the_library_takes_the_parties_as_a_mapping(tmp_path):
    """reports.verify knows no database: the caller says which certificate is whose."""
    from reports import Party, ReportIdentity, build_report
    from reports.keys import fingerprint
    from reports.verify import ISSUER, OVERSIGHT

    create_authority(tmp_path)
    city = load_identity(create_signing_identity(tmp_path, "City", "city.p12", b"pw"), b"pw")
    board = load_identity(create_signing_identity(tmp_path, "Board", "board.p12", b"pw"), b"pw")
    other = load_identity(create_signing_identity(tmp_path, "Other", "other.p12", b"pw"), b"pw")
    data = sign_pdf(
        build_report(
            {
                "kind": "risk",
                "lang": "en",
                "report_id": "R-v1",
                "issued_at": "today",
                "organisation": "City",
                "system": {"name": "S"},
                "stage": "Scoping",
            }
        ),
        city,
        name="City",
        reason="Issued",
        identity=ReportIdentity("R", 1, "City"),
    )
    data = sign_pdf(data, board, name="Board", reason="Countersigned")
    roots = [(tmp_path / "ca.pem").read_bytes()]
    parties = {
        fingerprint(city.signing_cert.dump()): Party("City", ISSUER),
        fingerprint(board.signing_cert.dump()): Party("Board", OVERSIGHT),
    }
    result = verify_pdf(data, roots, parties)
    assert result.ok and result.identity == ReportIdentity("R", 1, "City")
    assert [s.party.described for s in result.signatures] == [
        "City (issuing organisation)",
        "Board (oversight body)",
    ]
    assert [s.certification for s in result.signatures] == [True, False]
    seen = []
    assert not verify_pdf(
        sign_pdf(data, other, name="Other", reason="x"),
        roots,
        lambda identity: seen.append(identity) or parties,
    ).ok
    assert seen == [ReportIdentity("R", 1, "City")]
    board_first = sign_pdf(
        sign_pdf(
            build_report(
                {
                    "kind": "risk",
                    "lang": "en",
                    "report_id": "R-v1",
                    "issued_at": "today",
                    "organisation": "City",
                    "system": {"name": "S"},
                    "stage": "Scoping",
                }
            ),
            board,
            name="Board",
            reason="x",
        ),
        city,
        name="City",
        reason="x",
    )
    assert verify_pdf(board_first, roots, parties).problems() == [
        "Signature1: the first signature must be the issuer's, but it is by Board (oversight body)."
    ]
    unknown = verify_pdf(data, roots, lambda identity: None)
    assert unknown.problems() == [
        "This verifier does not know report R-v1, so who signed it for whom cannot be checked."
    ]


def test_signers_are_recognised_across_key_changes_and_in_key_stores_made_before_the_register(
    app, keyed, tmp_path
):
    issued = issue(keyed.assessments["a"], tmp_path / "reports.pdf")
    with app.app_context():
        folder, passphrase = signing_keys.folder(), signing_keys.passphrase()
        shutil.rmtree(
            signing_keys.certificates_folder()
        )  # as a key store from before certificates were registered
        city_b = signing_keys.identity_path(db.session.query(Organisation).filter_by(name="City B").one())
    assert "for City A (issuing organisation)" in CliRunner().invoke(main, ["verify", str(issued)]).output

    replacement = create_signing_identity(folder, "City A", "replacement.p12", passphrase)
    installed = CliRunner().invoke(
        main,
        ["keys", "install", "City A", str(replacement)],
        env={"HRIA_SIGNING_PASSPHRASE": passphrase.decode()},
    )
    assert installed.exit_code == 0, installed.output
    old = CliRunner().invoke(main, ["verify", str(issued)])
    assert "for City A (issuing organisation)" in old.output  # signed with the key City A had then
    reissued = issue(keyed.assessments["a"], tmp_path / "v2.pdf")
    new = CliRunner().invoke(main, ["verify", str(reissued)])
    assert new.exit_code == 0 and "for City A (issuing organisation)" in new.output

    borrowed = CliRunner().invoke(
        main, ["keys", "install", "City A", str(city_b)], env={"HRIA_SIGNING_PASSPHRASE": passphrase.decode()}
    )
    assert borrowed.exit_code == 1
    assert (
        "This certificate is already registered for City B; each organisation signs with a certificate of "
        "its "
        "own." in borrowed.output
    )


# Files anyone can make: an identity written by hand, a signature made outside the registry.


def small_report() -> bytes:
    from reports import build_report

    return build_report(
        {
            "kind": "risk",
            "lang": "en",
            "report_id": "R-v1",
            "issued_at": "today",
            "organisation": "Nobody",
            "system": {"name": "S"},
            "stage": "Scoping",
        }
    )


def claiming(code: str, version: str, signer) -> bytes:
    """A PDF whose document information says it is report ``code`` at ``version``, signed by ``signer``.

    The text is written as UTF-16 (as PDF writes any Unicode text), which carries every character, NUL
    included.
    """
    from pyhanko.sign import signers

    def text(value: str):
        return generic.ByteStringObject(codecs.BOM_UTF16_BE + value.encode("utf-16-be"))

    writer = IncrementalPdfFileWriter(io.BytesIO(small_report()), strict=False)
    writer.set_info(
        generic.DictionaryObject(
            {
                generic.pdf_name("/HRIAReport"): text(code),
                generic.pdf_name("/HRIAReportVersion"): text(version),
            }
        )
    )
    return signers.sign_pdf(
        writer, signers.PdfSignatureMetadata(field_name="Signature1"), signer=signer
    ).getvalue()


def untrusted_signer(folder: Path):
    """A key and certificate from an authority of the signer's own making: no instance trusts it."""
    create_authority(folder)
    return load_identity(create_signing_identity(folder, "Nobody", "nobody.p12", b"pw"), b"pw")


@pytest.mark.parametrize(
    "text, version",
    [
        ("7", 7),
        ("007", 7),
        (str(2**31 - 1), 2**31 - 1),
        (str(2**31), None),
        ("²", None),
        ("٣", None),
        ("-1", None),
        ("9" * 5000, None),
        ("", None),
    ],
)
def test_a_report_version_is_ascii_digits_within_an_sql_integer(text, version):
    assert ReportIdentity.from_info({"/HRIAReport": "R", "/HRIAReportVersion": text}).version == version


@pytest.mark.parametrize("version", ["²", "99999999999999999999", str(2**63), "3000000000"])
def test_a_crafted_report_version_is_a_report_this_instance_does_not_know(
    app, client, keyed, tmp_path, version
):
    issued = issue(keyed.assessments["a"], tmp_path / "reports.pdf")
    code = re.search(r"HRIA-\d{4}-[0-9A-F]{8}", verify_cli(issued.read_bytes(), tmp_path).output).group(0)
    signer = untrusted_signer(tmp_path / "rogue")
    for claimed in ("anything", code):
        forged = claiming(claimed, version, signer)
        unknown = (
            f"This verifier does not know report {claimed}, so who signed it for whom cannot be checked."
        )
        result = verify_cli(forged, tmp_path)
        assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.output
        assert f"Problem: {unknown}" in result.output
        assert "Registry: This file is not in this instance's registry of issued reports." in result.output
        assert result.output.endswith("Not verified: this file cannot be relied on as issued.\n")
        status, page = verify_web(client, forged)
        assert (
            status == 200
            and unknown in page
            and "Not verified: this file cannot be relied on as issued." in page
        )


@pytest.mark.postgres
@pytest.mark.parametrize(
    "code, version", [("anything", "3000000000"), ("any\x00thing", "1")], ids=["above-sql-integer", "nul"]
)
def test_a_crafted_identity_on_postgresql_is_a_report_this_instance_does_not_know(
    postgres_url, tmp_path, monkeypatch, code, version
):
    """PostgreSQL refuses what SQLite takes: an INTEGER above 2**31 - 1, a NUL in a string."""
    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("HRIA_DATABASE_URL", postgres_url)
    assert CliRunner().invoke(main, ["init"]).exit_code == 0
    result = verify_cli(claiming(code, version, untrusted_signer(tmp_path / "rogue")), tmp_path)
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.output
    assert "Registry: This file is not in this instance's registry of issued reports." in result.output


def test_a_current_report_signed_again_outside_the_registry_is_not_a_registered_version(
    app, client, keyed, tmp_path
):
    issued = issue(keyed.assessments["a"], tmp_path / "reports.pdf").read_bytes()
    code = re.search(r"HRIA-\d{4}-[0-9A-F]{8}", verify_cli(issued, tmp_path).output).group(0)
    with app.app_context():
        city = db.session.query(Organisation).filter_by(name="City A").one()
        fresh = sign_pdf(
            small_report(),
            signing_keys.signer_for(city),
            name="City A",
            reason="Issued",
            identity=ReportIdentity(code=code, version=1, issuer="City A"),
            countersignatures=1,
        )
    countersigned_outside = signed_by(app, "Board A", issued)  # the oversight body's key, not through the app
    verdict = (
        f"Not verified as the current report: the signatures hold, but this file is not a registered version "
        f"of report {code}."
    )
    for unregistered in (countersigned_outside, fresh):
        result = verify_cli(unregistered, tmp_path)
        assert result.exit_code == 1, result.output
        assert verdict in result.output and "a later version replaces this file" not in result.output
        assert f"This file is not one this instance issued for report {code}." in result.output
        status, page = verify_web(client, unregistered)
        assert status == 200 and verdict in page and "a later version replaces this file" not in page
