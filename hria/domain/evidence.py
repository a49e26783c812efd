"""Uploaded files: streamed to the instance folder, named by their SHA-256, never executed or unpickled."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from hria.domain.models import Assessment, Evidence
from hria.extensions import db

BLOCK = 1 << 20

# What a file is kept for; who may read it follows from this (``access.evidence_readable``).


class UploadError(ValueError):
    """An upload that cannot be kept; the message says why."""


def storage_root() -> Path:
    root = Path(current_app.config["UPLOAD_FOLDER"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def path_of(sha256: str) -> Path:
    return storage_root() / sha256[:2] / sha256


def store(upload: FileStorage, assessment: Assessment, purpose: str, user_id: int | None) -> Evidence:
    """Save an upload (once per content) and record it as evidence of the assessment."""
    if upload is None or not upload.filename:
        raise UploadError("Choose a file to upload.")
    digest = hashlib.sha256()
    size = 0
    root = storage_root()
    fd, temp_name = tempfile.mkstemp(dir=root, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while block := upload.stream.read(BLOCK):
                digest.update(block)
                size += len(block)
                out.write(block)
        if size == 0:
            raise UploadError(f"“{upload.filename}” is empty.")
        sha = digest.hexdigest()
        target = path_of(sha)
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            os.unlink(temp_name)
        else:
            os.replace(temp_name, target)
            os.chmod(target, 0o600)
    except BaseException:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
        raise
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
        path_of(sha256).unlink(missing_ok=True)


def store_bytes(
    data: bytes, filename: str, assessment: Assessment, purpose: str, user_id: int | None
) -> Evidence:
    """Keep a file the application made itself (demo data, exports) as evidence."""
    import io

    return store(FileStorage(stream=io.BytesIO(data), filename=filename), assessment, purpose, user_id)
