"""PAdES signatures over a PDF, each with a visible appearance on the report's sign-off page.

The first signature certifies the report (DocMDP, form filling and signing allowed): any later revision
that changes content instead of adding signatures then breaks it, in pyHanko's analysis and in
Acrobat-class readers. A later signature is an approval signature in an incremental update that keeps the
first one valid.

The appearance (who signed, for whom, in what role, when, and where to verify) is a pyHanko static stamp whose
content is a small page drawn by reportlab in the report's own embedded fonts, so a Chinese name shows as well
as a Latin one; pyHanko's own text stamps set a standard font that is neither embedded nor Chinese.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.content import ImportedPdfPage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.stamp import StaticStampStyle
from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas

from .charts import shorten
from .fonts import ReportFonts
from .labels import LABELS
from .layout import SIGNOFF_PAGE, signature_box

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


@dataclass(frozen=True)
class SignatureAppearance:
    """What a signature shows on the sign-off page: the person, the role they sign in, their organisation,
    the time (taken when signing) and where anyone can verify the file."""

    name: str
    role: str
    organisation: str
    verify_url: str = ""
    lang: str = "en"
    cjk_font: str | None = None

    def render(self, width: float, height: float, when: datetime) -> bytes:
        """The appearance as a one-page PDF of the box's size, every font embedded."""
        labels = LABELS.get(self.lang, LABELS["en"])
        fonts = ReportFonts(self.lang, self.cjk_font)
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=(width, height), initialFontName=fonts.name)  # type: ignore[arg-type]
        canvas.setFillColor(colors.HexColor("#f3f7fc"))
        canvas.setStrokeColor(colors.HexColor("#0b5cad"))
        canvas.setLineWidth(1)
        canvas.rect(0.5, 0.5, width - 1, height - 1, fill=1)
        canvas.setFillColor(colors.HexColor("#1f2933"))
        lines = [
            (labels["stamp_signed"], 7, False),
            (self.name, 10, True),
            (self.organisation, 7.5, False),
            (self.role, 7.5, False),
            (when.strftime("%Y-%m-%d %H:%M:%S UTC"), 7.5, False),
            (
                f"{labels['verify_at']} {self.verify_url}" if self.verify_url else labels["verify_with"],
                6.5,
                False,
            ),
        ]
        y = height - 13
        for text, size, bold in lines:
            font = (
                fonts.bold_name if bold and fonts.label_font(text) == fonts.name else fonts.label_font(text)
            )
            canvas.setFont(font, size)
            canvas.drawString(6, y, shorten(text, font, size, width - 12))
            y -= size + 4.5
        canvas.showPage()
        canvas.save()
        return buffer.getvalue()


class _PageFromBytes(ImportedPdfPage):
    """pyHanko's imported page, read from bytes in memory rather than from a file."""

    def __init__(self, pdf: bytes):
        super().__init__(file_name="")  # type: ignore[no-untyped-call]
        self.pdf = pdf

    def render(self) -> bytes:
        import binascii
        import uuid

        from pyhanko.pdf_utils.layout import BoxConstraints

        xobject = self._ensure_writer.import_page_as_xobject(PdfFileReader(io.BytesIO(self.pdf)), page_ix=0)
        name = "/Stamp" + binascii.hexlify(uuid.uuid4().bytes).decode("ascii")
        self.resources.xobject[name] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return name.encode("ascii") + b" Do"


def _stamp(appearance: SignatureAppearance, box: tuple[float, ...] | None) -> StaticStampStyle | None:
    if box is None:
        return None
    x1, y1, x2, y2 = box
    page = appearance.render(x2 - x1, y2 - y1, datetime.now(UTC))
    # the page is the box's size: no margin, no scaling
    fill = layout.SimpleBoxLayoutRule(
        x_align=layout.AxisAlignment.ALIGN_MIN,
        y_align=layout.AxisAlignment.ALIGN_MIN,
        margins=layout.Margins.uniform(0),  # type: ignore[no-untyped-call]
        inner_content_scaling=layout.InnerScaling.STRETCH_FILL,
    )
    return StaticStampStyle(
        background=_PageFromBytes(page), border_width=0, background_opacity=1.0, background_layout=fill
    )


def _box_of(reader: PdfFileReader, field_name: str) -> tuple[float, ...] | None:
    """The rectangle of an existing signature field's widget; None for an invisible one."""
    for name, _, reference in fields.enumerate_sig_fields(reader):
        if name == field_name:
            field = reference.get_object()
            widget = field if "/Rect" in field else (field.get("/Kids") or [None])[0]
            if widget is None or "/Rect" not in widget.get_object():
                return None
            x1, y1, x2, y2 = (float(v) for v in widget.get_object()["/Rect"])
            return None if x2 - x1 < 1 or y2 - y1 < 1 else (x1, y1, x2, y2)
    return None


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
    appearance: SignatureAppearance | None = None,
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
        Empty signature fields to prepare for the parties expected to countersign (first signature only). With
        the certifier's own, they sit in the boxes of the last (sign-off) page, in signing order.
    appearance : SignatureAppearance, optional
        What the signature shows in its box; without it, the signer's name and the reason.

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
            spec = fields.SigFieldSpec(
                f"Signature{number}", on_page=SIGNOFF_PAGE, box=signature_box(number - 1)
            )
            fields.append_signature_field(writer, spec)
    field_name = (
        "Signature1" if certify else (empty[0] if empty else f"Signature{len(signed) + len(empty) + 1}")
    )
    box = signature_box(0) if certify else _box_of(reader, field_name)
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
    # always our own appearance: pyHanko's default stamp sets Courier, which is not embedded
    style = _stamp(appearance or SignatureAppearance(name=name, role=reason, organisation=name), box)
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper, stamp_style=style)
    output: io.BytesIO = pdf_signer.sign_pdf(writer)
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
