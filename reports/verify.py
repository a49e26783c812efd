"""Verification of a signed report, for every signature: integrity, trust, whole-file coverage, what every
later revision changed (pyHanko's difference analysis), and who the signer is to the report.

Who the parties of a report are is the caller's knowledge (a registry, a key store); it passes them in as a
mapping from certificate fingerprints to :class:`Party`, or as a function of the report's
:class:`ReportIdentity` that returns such a mapping (or ``None`` for a report it does not know).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from .keys import fingerprint, quiet_pyhanko
from .signing import ReportIdentity

# How a signer relates to a report. Only the first three may sign it; the issuer signs first.
ISSUER, OVERSIGHT, OWNER, STRANGER, UNREGISTERED = "issuer", "oversight", "owner", "stranger", "unregistered"
RELATIONS = {
    ISSUER: "issuing organisation",
    OVERSIGHT: "oversight body",
    OWNER: "buyer that owns the system",
    STRANGER: "no part in this report",
    UNREGISTERED: "certificate not registered for any organisation here",
}
PARTIES = (ISSUER, OVERSIGHT, OWNER)

# What pyHanko's difference analysis found in the revisions after a signature, in words.
MODIFICATIONS = {
    ModificationLevel.NONE: "nothing",
    ModificationLevel.LTA_UPDATES: "validation data only",
    ModificationLevel.FORM_FILLING: "signatures and form fields only",
    ModificationLevel.ANNOTATIONS: "annotations",
    ModificationLevel.OTHER: "content other than signatures",
}

Parties = Mapping[str, "Party"] | Callable[[ReportIdentity], "Mapping[str, Party] | None"]


class NotSignedPdf(ValueError):
    """The file is not a PDF, or has no signature."""


@dataclass(frozen=True)
class Party:
    """An organisation, and what it is to the report being verified (one of ``RELATIONS``)."""

    organisation: str
    relation: str

    @property
    def described(self) -> str:
        return f"{self.organisation} ({RELATIONS[self.relation]})"


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
    fingerprint: str = ""
    certification: bool = False
    modification: str = "NONE"  # pyHanko's ModificationLevel of the revisions after this signature
    later_changes_allowed: bool = True  # pyHanko's docmdp_ok: those revisions only added what may be added
    party: Party | None = None  # None: the caller gave no parties to check against

    @property
    def later_changes(self) -> str:
        return (
            MODIFICATIONS.get(ModificationLevel[self.modification], self.modification)
            if self.modification in ModificationLevel.__members__
            else "unknown"
        )

    @property
    def by(self) -> str:
        """The signing organisation as the caller knows it, else as the certificate names it."""
        return self.party.organisation if self.party else (self.organisation or self.signer)


@dataclass
class Verification:
    signatures: list[SignatureCheck] = field(default_factory=list)
    identity: ReportIdentity = field(default_factory=ReportIdentity)
    parties_checked: bool = False
    report_known: bool = True

    @property
    def issuer(self) -> str:
        return next(
            (s.party.organisation for s in self.signatures if s.party and s.party.relation == ISSUER),
            self.identity.issuer,
        )

    @property
    def ok(self) -> bool:
        """Every signature intact, trusted and untouched by later content changes; the last one covering the
        whole file; and, where parties were given, the issuer signing first and no one else but the report's
        parties."""
        return bool(self.signatures) and not self.problems()

    def problems(self) -> list[str]:
        out = []
        for s in self.signatures:
            out += _signature_problems(s)
        if self.signatures and not self.signatures[-1].covers_whole_file:
            out.append("Bytes were added after the last signature: the file is not the one that was signed.")
        if self.parties_checked:
            out += self._party_problems()
        return out

    def _party_problems(self) -> list[str]:
        if not self.report_known:
            return [
                f"This verifier does not know report {self.identity.label or '(no report code)'}, so who "
                f"signed it for whom cannot be checked."
            ]
        out = []
        for s in self.signatures:
            party = s.party
            if party is None:  # parties were checked, so every signature has one
                continue
            if party.relation == STRANGER:
                out.append(
                    f"{s.field}: signed by {party.organisation}, which has no part in this report "
                    f"(it is neither its issuer, {self.issuer or 'unknown'}, nor a body that oversees it)."
                )
            elif party.relation == UNREGISTERED:
                out.append(
                    f"{s.field}: the certificate names {party.organisation or s.signer}, but it is not one "
                    f"registered for any organisation of this instance."
                )
        first = self.signatures[0].party if self.signatures else None
        if first is not None and first.relation in PARTIES and first.relation != ISSUER:
            out.append(
                f"{self.signatures[0].field}: the first signature must be the issuer's, but it is by "
                f"{first.organisation} ({RELATIONS[first.relation]})."
            )
        return out


def _signature_problems(s: SignatureCheck) -> list[str]:
    if not s.intact:
        return [f"{s.field}: the signed bytes were changed after signing."]
    out = []
    if not s.trusted:
        out.append(f"{s.field}: signed by a certificate this instance does not trust ({s.signer}).")
    elif not s.valid:
        out.append(f"{s.field}: the signature is not valid ({s.problem}).")
    if not s.later_changes_allowed:
        out.append(
            f"{s.field}: after {s.by} signed, a later revision changed {s.later_changes} "
            f"(modification level {s.modification}): what the file shows now is not what {s.by} signed."
        )
    return out


def _subject(cert: asn1_x509.Certificate) -> tuple[str, str]:
    name = cert.subject.native
    return str(name.get("common_name", "")), str(name.get("organization_name", ""))


def verify_pdf(data: bytes, trust_roots: list[bytes], parties: Parties | None = None) -> Verification:
    """Check every signature of a PDF and, with ``parties``, who each signer is to the report.

    Parameters
    ----------
    data : bytes
        The PDF.
    trust_roots : list of bytes
        The root certificates to trust, PEM or DER.
    parties : mapping or callable, optional
        Certificate fingerprint (``reports.keys.fingerprint``) to ``Party``; or a function of the report's
        ``ReportIdentity`` returning such a mapping, or None for a report it does not know.

    Returns
    -------
    Verification
        Every signature's check; ``ok`` and ``problems()`` say whether the file can be relied on.

    Raises
    ------
    NotSignedPdf
        When ``data`` is not a readable PDF or carries no signature.
    """
    reader, signatures = _read(data)
    roots = [_load_cert(blob) for blob in trust_roots]
    result = Verification(identity=_identity(reader, signatures[0]))
    for embedded in signatures:
        result.signatures.append(_check(embedded, roots))
    if parties is not None:
        known = parties(result.identity) if callable(parties) else parties
        result.parties_checked = True
        result.report_known = known is not None
        for s in result.signatures:
            s.party = (known or {}).get(s.fingerprint) or Party(s.organisation or s.signer, UNREGISTERED)
    return result


def _read(data: bytes) -> tuple[PdfFileReader, list[EmbeddedPdfSignature]]:
    if not data.startswith(b"%PDF"):
        raise NotSignedPdf("This file is not a PDF.")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception as error:  # noqa: BLE001 - any parse failure means "not a readable PDF"
        raise NotSignedPdf(f"This PDF cannot be read: {error}") from None
    if not signatures:
        raise NotSignedPdf("This PDF carries no signature.")
    return reader, signatures


def _identity(reader: PdfFileReader, first: EmbeddedPdfSignature) -> ReportIdentity:
    """The identity written in the revision the first signature covers; later revisions cannot change it."""
    try:
        info = reader.get_historical_resolver(first.signed_revision).trailer_view["/Info"].get_object()
        return ReportIdentity.from_info(info)
    except Exception:  # noqa: BLE001 - a PDF without readable document information has no identity
        return ReportIdentity()


def _check(embedded: EmbeddedPdfSignature, roots: list[asn1_x509.Certificate]) -> SignatureCheck:
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    problem = ""
    try:
        with quiet_pyhanko():
            status = validate_pdf_signature(embedded, context)
        intact, valid, trusted = status.intact, status.valid, status.trusted
        coverage, level = status.coverage, status.modification_level
        # docmdp_ok is None only where pyHanko could not tell; that is not a pass
        allowed = bool(status.docmdp_ok) and level != ModificationLevel.OTHER
        signing_time = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
    except Exception as error:  # noqa: BLE001 - a malformed signature is reported, not raised
        intact = valid = trusted = allowed = False
        coverage, level, signing_time, problem = None, None, None, str(error)
    signer, organisation = _subject(embedded.signer_cert) if embedded.signer_cert else ("", "")
    return SignatureCheck(
        field=embedded.field_name,
        signer=signer,
        organisation=organisation,
        signing_time=signing_time,
        intact=intact,
        valid=valid,
        trusted=trusted,
        covers_whole_file=coverage == SignatureCoverageLevel.ENTIRE_FILE,
        coverage=coverage.name if coverage is not None else "UNKNOWN",
        problem=problem,
        fingerprint=fingerprint(embedded.signer_cert.dump()) if embedded.signer_cert else "",
        certification=_certifies(embedded),
        modification=level.name if level is not None else "UNKNOWN",
        later_changes_allowed=allowed,
    )


def _certifies(embedded: EmbeddedPdfSignature) -> bool:
    """Whether this is the document's certification (DocMDP) signature, as pyHanko's seed-value check
    decides."""
    try:
        return bool(
            embedded.reader.root["/Perms"].get_value_as_reference("/DocMDP")
            == embedded.sig_object.container_ref
        )
    except Exception:  # noqa: BLE001 - no /Perms, or no reference: not certified
        return False


def _load_cert(blob: bytes) -> asn1_x509.Certificate:
    if blob.lstrip().startswith(b"-----BEGIN"):
        from asn1crypto import pem

        _, _, blob = pem.unarmor(blob)
    return asn1_x509.Certificate.load(blob)
