"""A real S3-compatible server for tests: moto's ``moto_server`` on a free port, with a bucket of the test's
own. Tests that need it are skipped when moto is not installed (it comes with the ``test`` extra, so CI has
it)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

# moto accepts any credentials; boto3 needs some to sign its requests.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "hria-test",
    "AWS_SECRET_ACCESS_KEY": "hria-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass
class S3Server:
    endpoint: str
    bucket: str
    process: subprocess.Popen

    def with_new_bucket(self) -> S3Server:
        """The same server, with a bucket of one's own (one server serves a whole test module)."""
        server = S3Server(self.endpoint, f"hria-{uuid.uuid4().hex[:8]}", self.process)
        server.client().create_bucket(Bucket=server.bucket)
        return server

    def client(self):
        import boto3

        return boto3.session.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        ).client("s3", endpoint_url=self.endpoint)

    def keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def s3_server() -> Iterator[S3Server]:
    binary = shutil.which("moto_server")
    if binary is None:
        pytest.skip("moto_server is not installed (pip install 'moto[server]', part of the test extra)")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [binary, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start on port {port}") from None
                time.sleep(0.1)
        yield S3Server(endpoint, "", process).with_new_bucket()
    finally:
        process.terminate()
        process.wait(10)
