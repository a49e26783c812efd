"""Where evidence files are kept: the instance's ``uploads`` folder by default, or an S3-compatible bucket.

Files are named by their SHA-256, in the same layout in both (``ab/abcdef…``), so an instance folder made
before this module still works, and its ``uploads`` folder can be copied into a bucket as it is. Which store
is used follows from ``EVIDENCE_URL``: unset, the folder ``UPLOAD_FOLDER``; ``s3://bucket/prefix``, a bucket
reached with ``boto3`` (the ``s3`` extra), at ``S3_ENDPOINT_URL`` when it is not Amazon's, with the
credentials boto3 finds itself (``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY``, its configuration files,
or the machine's role).

The fairness library reads files by path (pandas and pyarrow seek in them), so a bucket's file is copied to
a cache in the instance folder before it is audited or previewed; the copy is checked against its name.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from flask import Flask, current_app

BLOCK = 1 << 20
CACHE_FOLDER = "evidence-cache"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_EXTENSION = "hria_evidence_store"
_lock = threading.Lock()


class ConfigurationError(ValueError):
    """``EVIDENCE_URL`` names a store this installation cannot use; the message says what to change."""


class Unavailable(Exception):
    """The store did not answer, or refused; the message says which store and what it said."""


class Missing(Unavailable):
    """The store has no file of that name (it was removed by hand, or the bucket is not the one expected)."""


def _checked(sha256: str) -> str:
    # The name becomes part of a path or a key: nothing but a digest may get there.
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 digest: {sha256!r}")
    return sha256


class Store:
    """A store of files named by their SHA-256. Subclasses keep them somewhere; this says what they offer."""

    def describe(self) -> str:
        raise NotImplementedError

    def staging_folder(self) -> Path:
        """A local folder where an upload is written while it is hashed, before ``put``."""
        raise NotImplementedError

    def put(self, sha256: str, staged: Path) -> None:
        """Keep the staged file under its digest (once: a file already kept is not sent again). The staged
        file is moved or removed."""
        raise NotImplementedError

    def open(self, sha256: str) -> IO[bytes]:
        """The file's bytes, as a stream to read in blocks (the caller closes it)."""
        raise NotImplementedError

    def exists(self, sha256: str) -> bool:
        raise NotImplementedError

    def delete(self, sha256: str) -> None:
        """Remove the file; nothing happens if it is not there."""
        raise NotImplementedError

    def local_path(self, sha256: str) -> Path:
        """A file on this machine with the content, for libraries that read by path."""
        raise NotImplementedError

    def read_bytes(self, sha256: str) -> bytes:
        with self.open(sha256) as stream:
            return stream.read()

    def iter_blocks(self, sha256: str) -> Iterator[bytes]:
        with self.open(sha256) as stream:
            while block := stream.read(BLOCK):
                yield block


class FolderStore(Store):
    """Files in a folder of this machine (the default; shared by every process that sees the folder)."""

    def __init__(self, root: Path):
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    def path(self, sha256: str) -> Path:
        return self.root / _checked(sha256)[:2] / sha256

    def staging_folder(self) -> Path:
        # The same file system as the files, so that keeping an upload is one rename.
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root

    def put(self, sha256: str, staged: Path) -> None:
        target = self.path(sha256)
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            staged.unlink()
        else:
            os.chmod(staged, 0o600)
            os.replace(staged, target)

    def open(self, sha256: str) -> IO[bytes]:
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError:
            raise Missing(f"{self.path(sha256)} is missing from the evidence folder.") from None

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def local_path(self, sha256: str) -> Path:
        return self.path(sha256)


class S3Store(Store):
    """Files in an S3-compatible bucket (Amazon S3, MinIO, Ceph, Garage…), under ``prefix/ab/abcdef…``."""

    def __init__(self, url: str, endpoint_url: str | None, region: str | None, cache: Path):
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise ConfigurationError(
                f"HRIA_EVIDENCE_URL={url} needs boto3: install it with `pip install 'hria[s3]'`, "
                f"or unset HRIA_EVIDENCE_URL to keep evidence in the instance folder."
            ) from None
        parts = urlsplit(url)
        if not parts.netloc:
            raise ConfigurationError(
                f"HRIA_EVIDENCE_URL must name a bucket (s3://bucket/prefix), not {url!r}."
            )
        self.bucket, self.prefix = parts.netloc, parts.path.strip("/")
        self.endpoint_url = endpoint_url
        self.cache = cache
        # Retries with backoff on throttling and dropped connections; a dead endpoint fails in seconds.
        config = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=60)
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None, config=config
        )

    def describe(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"s3://{self.bucket}/{self.prefix}{where}"

    def key(self, sha256: str) -> str:
        name = f"{_checked(sha256)[:2]}/{sha256}"
        return f"{self.prefix}/{name}" if self.prefix else name

    def _cached(self, sha256: str) -> Path:
        return self.cache / sha256[:2] / sha256

    def _call(self, what: str, sha256: str, action: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return action()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("404", "NoSuchKey", "NotFound"):
                raise Missing(f"{self.describe()} has no file {self.key(sha256)}.") from None
            raise Unavailable(f"{self.describe()} refused to {what} {self.key(sha256)}: {error}") from error
        except BotoCoreError as error:
            raise Unavailable(f"{self.describe()} could not {what} {self.key(sha256)}: {error}") from error

    def staging_folder(self) -> Path:
        self.cache.mkdir(parents=True, exist_ok=True)
        return self.cache

    def put(self, sha256: str, staged: Path) -> None:
        try:
            if not self.exists(sha256):
                self._call(
                    "store",
                    sha256,
                    lambda: self.client.upload_file(str(staged), self.bucket, self.key(sha256)),
                )
            # The upload is previewed next: it stays in the cache so that it is not fetched straight back.
            cached = self._cached(sha256)
            cached.parent.mkdir(exist_ok=True)
            os.chmod(staged, 0o600)
            os.replace(staged, cached)
        finally:
            staged.unlink(missing_ok=True)

    def open(self, sha256: str) -> IO[bytes]:
        response = self._call(
            "read", sha256, lambda: self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))
        )
        body: IO[bytes] = response["Body"]
        return body

    def exists(self, sha256: str) -> bool:
        try:
            self._call(
                "look up", sha256, lambda: self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
            )
        except Missing:
            return False
        return True

    def delete(self, sha256: str) -> None:
        self._call(
            "delete", sha256, lambda: self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))
        )
        self._cached(sha256).unlink(missing_ok=True)

    def local_path(self, sha256: str) -> Path:
        cached = self._cached(sha256)
        if cached.is_file():
            return cached
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=cached.parent, prefix=".fetch-")
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                for block in self.iter_blocks(sha256):
                    digest.update(block)
                    out.write(block)
            if digest.hexdigest() != sha256:
                raise Unavailable(
                    f"{self.describe()} returned other content for {self.key(sha256)} than was stored "
                    f"(SHA-256 {digest.hexdigest()}); the file in the bucket was changed or damaged."
                )
            os.replace(temp_name, cached)  # a concurrent fetch of the same file writes the same bytes
        finally:
            if os.path.exists(temp_name):
                os.unlink(temp_name)
        return cached


def of(app: Flask) -> Store:
    """The application's evidence store, made on first use."""
    with _lock:
        if _EXTENSION not in app.extensions:
            app.extensions[_EXTENSION] = _make(app)
        store: Store = app.extensions[_EXTENSION]
        return store


def current() -> Store:
    return of(current_app)


def _make(app: Flask) -> Store:
    url = app.config.get("EVIDENCE_URL")
    if not url:
        return FolderStore(Path(app.config["UPLOAD_FOLDER"]))
    if urlsplit(url).scheme == "s3":
        return S3Store(
            url,
            endpoint_url=app.config.get("S3_ENDPOINT_URL"),
            region=app.config.get("S3_REGION"),
            cache=Path(app.instance_path) / CACHE_FOLDER,
        )
    raise ConfigurationError(
        f"HRIA_EVIDENCE_URL must be an S3 URL (s3://bucket/prefix), not {url!r}; leave it unset to keep "
        f"evidence in the instance folder."
    )
