"""Uploaded files: streamed to the evidence store (``hria.storage``), named by their SHA-256, never executed
or unpickled."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
from pathlib import Path

from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from hria import storage
from hria.domain.models import Assessment, Evidence
from hria.extensions import db

BLOCK = 1 << 20
logger = logging.getLogger(__name__)

# What a file is kept for; who may read it follows from this (``access.evidence_readable``).


class UploadError(ValueError):
    """An upload that cannot be kept; the message says why."""


def path_of(sha256: str) -> Path:
    """A file on this machine with the stored content (a copy when the store is a bucket)."""
    return storage.current().local_path(sha256)


def store(upload: FileStorage, assessment: Assessment, purpose: str, user_id: int | None) -> Evidence:
    """Save an upload (once per content) and record it as evidence of the assessment."""
    if upload is None or not upload.filename:
        raise UploadError("Choose a file to upload.")
    kept = storage.current()
    digest = hashlib.sha256()
    size = 0
    fd, temp_name = tempfile.mkstemp(dir=kept.staging_folder(), prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while block := upload.stream.read(BLOCK):
                digest.update(block)
                size += len(block)
                out.write(block)
        if size == 0:
            raise UploadError(f"“{upload.filename}” is empty.")
        sha = digest.hexdigest()
        kept.put(sha, Path(temp_name))
    except storage.Unavailable as error:
        logger.error("Evidence store refused an upload: %s", error)
        raise UploadError(
            f"“{upload.filename}” could not be kept: the evidence store did not answer. Nothing was "
            f"saved; try again in a moment, and tell your administrator if it keeps failing."
        ) from error
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
    evidence = Evidence(
        assessment=assessment,
        purpose=purpose,
        filename=secure_filename(upload.filename) or "upload",
        sha256=sha,
        size=size,
        uploaded_by_id=user_id,
    )
    db.session.add(evidence)
    return evidence


def discard_unreferenced(sha256: str) -> None:
    """Remove a stored file that no evidence record refers to (an upload that was refused)."""
    if not db.session.query(Evidence.id).filter_by(sha256=sha256).first():
        storage.current().delete(sha256)


def read_bytes(sha256: str) -> bytes:
    """A stored file's whole content (exports; uploads are at most MAX_UPLOAD_MB)."""
    return storage.current().read_bytes(sha256)


def store_bytes(
    data: bytes, filename: str, assessment: Assessment, purpose: str, user_id: int | None
) -> Evidence:
    """Keep a file the application made itself (demo data, exports) as evidence."""
    return store(FileStorage(stream=io.BytesIO(data), filename=filename), assessment, purpose, user_id)
