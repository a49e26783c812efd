"""Signed reports: build the PDF (reportlab), sign and countersign it (PAdES, pyHanko), verify it.

A plain library: no Flask, no database. It takes plain data and files.
"""

from .keys import KeyError_ as SigningKeyError
from .keys import create_authority, create_signing_identity, load_identity
from .pdf import build_report
from .signing import ReportIdentity, sign_pdf
from .verify import Party, Verification, verify_pdf

__all__ = [
    "build_report",
    "sign_pdf",
    "verify_pdf",
    "Verification",
    "Party",
    "ReportIdentity",
    "create_authority",
    "create_signing_identity",
    "load_identity",
    "SigningKeyError",
]
