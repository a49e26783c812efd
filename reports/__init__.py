"""Signed reports: build the PDF (reportlab), sign and countersign it (PAdES, pyHanko), verify it.

A plain library: no Flask, no database. It takes plain data (``ReportContent``) and files.
"""

from .content import ReportContent
from .keys import SigningKeyError, create_authority, create_signing_identity, load_identity
from .pdf import build_report
from .signing import ReportIdentity, SignatureAppearance, sign_pdf
from .verify import Party, Verification, verify_pdf

__all__ = [
    "Party",
    "ReportContent",
    "ReportIdentity",
    "SignatureAppearance",
    "SigningKeyError",
    "Verification",
    "build_report",
    "create_authority",
    "create_signing_identity",
    "load_identity",
    "sign_pdf",
    "verify_pdf",
]
