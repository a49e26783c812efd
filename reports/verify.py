"""Verification of a signed report: integrity, whole-file coverage and trust, for every signature."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from .keys import quiet_pyhanko


class NotSignedPdf(ValueError):
    """The file is not a PDF, or has no signature."""


@dataclass
class SignatureCheck:
    field: str
    signer: str
    organisation: str
    signing_time: str | None
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool
    coverage: str
    problem: str = ""


@dataclass
class Verification:
    signatures: list[SignatureCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every signature intact and trusted, and the last one covering the whole file."""
        return bool(self.signatures) and all(s.intact and s.valid and s.trusted for s in self.signatures) \
            and self.signatures[-1].covers_whole_file

    def problems(self) -> list[str]:
        out = []
        for s in self.signatures:
            if not s.intact:
                out.append(f"{s.field}: the signed bytes were changed after signing.")
            elif not s.trusted:
                out.append(f"{s.field}: signed by a certificate this instance does not trust ({s.signer}).")
            elif not s.valid:
                out.append(f"{s.field}: the signature is not valid ({s.problem}).")
        if self.signatures and not self.signatures[-1].covers_whole_file:
            out.append("Bytes were added after the last signature: the file is not the one that was signed.")
        return out


def _subject(cert) -> tuple[str, str]:
    name = cert.subject.native
    return name.get("common_name", ""), name.get("organization_name", "")


def verify_pdf(data: bytes, trust_roots: list[bytes]) -> Verification:
    """Check every signature of ``data`` against the given PEM or DER root certificates."""
    if not data.startswith(b"%PDF"):
        raise NotSignedPdf("This file is not a PDF.")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception as error:  # noqa: BLE001 - any parse failure means "not a readable PDF"
        raise NotSignedPdf(f"This PDF cannot be read: {error}") from None
    if not signatures:
        raise NotSignedPdf("This PDF carries no signature.")
    roots = [_load_cert(blob) for blob in trust_roots]
    result = Verification()
    for embedded in signatures:
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        problem = ""
        try:
            with quiet_pyhanko():
                status = validate_pdf_signature(embedded, context)
            intact, valid, trusted = status.intact, status.valid, status.trusted
            coverage = status.coverage
            signing_time = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
        except Exception as error:  # noqa: BLE001 - a malformed signature is reported, not raised
            intact = valid = trusted = False
            coverage, signing_time, problem = None, None, str(error)
        signer, organisation = _subject(embedded.signer_cert) if embedded.signer_cert else ("", "")
        result.signatures.append(SignatureCheck(
            field=embedded.field_name, signer=signer, organisation=organisation, signing_time=signing_time,
            intact=intact, valid=valid, trusted=trusted,
            covers_whole_file=coverage == SignatureCoverageLevel.ENTIRE_FILE,
            coverage=coverage.name if coverage is not None else "UNKNOWN", problem=problem,
        ))
    return result


def _load_cert(blob: bytes) -> asn1_x509.Certificate:
    if blob.lstrip().startswith(b"-----BEGIN"):
        from asn1crypto import pem

        _, _, blob = pem.unarmor(blob)
    return asn1_x509.Certificate.load(blob)
