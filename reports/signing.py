"""PAdES signatures over a PDF.

The first signature certifies the report (DocMDP, form filling and signing allowed): any later revision
that changes content instead of adding signatures then breaks it, in pyHanko's analysis and in
Acrobat-class readers. A later signature is an approval signature in an incremental update that keeps the
first one valid.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import ClassVar

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps

# What later revisions may do to a certified report: fill in form fields and sign (countersignatures).
REPORT_PERMISSIONS = fields.MDPPerm.FILL_FORMS


@dataclass(frozen=True)
class ReportIdentity:
    """Which report a file is, written into the document information of the certified revision."""

    code: str = ""
    version: int | None = None
    issuer: str = ""

    INFO_KEYS: ClassVar[dict[str, str]] = {
        "code": "/HRIAReport",
        "version": "/HRIAReportVersion",
        "issuer": "/HRIAIssuer",
    }

    @property
    def label(self) -> str:
        return f"{self.code}-v{self.version}" if self.code and self.version else self.code

    # Registries keep the version in an SQL INTEGER; a larger number names no version anywhere.
    MAX_VERSION = 2**31 - 1

    @classmethod
    def from_info(cls, info: generic.DictionaryObject) -> ReportIdentity:
        """From a PDF document information dictionary; reportlab's /Author names the issuer of older reports.

        The file is anyone's to write: a version that is not a whole number in ASCII digits up to
        ``MAX_VERSION`` ('²', which ``str.isdigit`` accepts and ``int`` refuses, or 2**64) is no version.
        """

        def value(key: str) -> str:
            try:
                return str(info.get(key, "") or "")
            except Exception:  # noqa: BLE001 - a malformed entry is an absent one
                return ""

        version = value(cls.INFO_KEYS["version"])
        digits = version.lstrip("0") or "0"
        well_formed = version.isascii() and version.isdigit() and len(digits) <= len(str(cls.MAX_VERSION))
        number = int(digits) if well_formed else None
        return cls(
            code=value(cls.INFO_KEYS["code"]),
            version=number if number is not None and number <= cls.MAX_VERSION else None,
            issuer=value(cls.INFO_KEYS["issuer"]) or value("/Author"),
        )


def sign_pdf(
    pdf: bytes,
    signer: signers.Signer,
    *,
    name: str,
    reason: str,
    location: str = "",
    timestamp_url: str | None = None,
    identity: ReportIdentity | None = None,
    countersignatures: int = 0,
) -> bytes:
    """Sign (or countersign) ``pdf`` with a PAdES signature (SHA-256); B-T with a timestamp server, else B-B.

    A PDF without signatures gets a certification signature; ``identity`` and ``countersignatures`` empty
    signature fields for the parties expected to countersign are added in the same (signed) revision, so that
    countersigning only fills in a field the certifier prepared. A PDF that is already signed gets an approval
    signature, in the first empty signature field or else in a new one.

    Parameters
    ----------
    pdf : bytes
        The PDF to sign, as ``build_report`` made it or as already signed.
    signer : pyhanko.sign.signers.Signer
        The signing identity (see ``reports.keys.load_identity``).
    name, reason, location : str
        Who signs, why, and where, as the signature records them.
    timestamp_url : str, optional
        An RFC 3161 timestamp server.
    identity : ReportIdentity, optional
        Written into the certified revision's document information (first signature only).
    countersignatures : int, default 0
        Empty signature fields to prepare for the parties expected to countersign (first signature only).

    Returns
    -------
    bytes
        The signed PDF: the input followed by an incremental update.
    """
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    signed = [field for field, _, _ in fields.enumerate_sig_fields(reader, filled_status=True)]
    empty = [field for field, _, _ in fields.enumerate_sig_fields(reader, filled_status=False)]
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    certify = not signed
    if certify:
        if identity is not None:
            _write_identity(writer, identity)
        # the certifier's own field first, so that readers list the fields in signing order
        for number in range(1, countersignatures + 2):
            fields.append_signature_field(writer, fields.SigFieldSpec(f"Signature{number}"))
    field_name = (
        "Signature1" if certify else (empty[0] if empty else f"Signature{len(signed) + len(empty) + 1}")
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,  # pyHanko's default is not PAdES
        reason=reason,
        location=location or None,
        name=name,
        certify=certify,
        docmdp_permissions=REPORT_PERMISSIONS,
    )
    timestamper = timestamps.HTTPTimeStamper(timestamp_url) if timestamp_url else None
    output: io.BytesIO = signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper)
    return output.getvalue()


def _write_identity(writer: IncrementalPdfFileWriter, identity: ReportIdentity) -> None:
    values = {"code": identity.code, "version": str(identity.version or ""), "issuer": identity.issuer}
    reference = writer.trailer.raw_get("/Info") if "/Info" in writer.trailer else None
    info = (
        reference.get_object()
        if isinstance(reference, generic.IndirectObject)
        else generic.DictionaryObject()
    )
    for attribute, key in ReportIdentity.INFO_KEYS.items():
        if values[attribute]:
            info[generic.pdf_name(key)] = generic.TextStringObject(values[attribute])
    if isinstance(reference, generic.IndirectObject):
        writer.mark_update(reference)
    else:
        writer.set_info(info)
