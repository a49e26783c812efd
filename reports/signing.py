"""PAdES signatures over a PDF; a second signature is an incremental update that keeps the first valid."""
from __future__ import annotations

import io

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps


def sign_pdf(pdf: bytes, signer, *, name: str, reason: str, location: str = "",
             timestamp_url: str | None = None) -> bytes:
    """Sign (or countersign) ``pdf`` with a PAdES signature (SHA-256); B-T with a timestamp server, else B-B."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    existing = len(list(reader.embedded_signatures))
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=f"Signature{existing + 1}",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,  # pyHanko's default is not PAdES
        reason=reason,
        location=location or None,
        name=name,
    )
    timestamper = timestamps.HTTPTimeStamper(timestamp_url) if timestamp_url else None
    output = signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper)
    return output.getvalue()
