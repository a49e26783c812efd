"""Development keys: a certificate authority and, per organisation, an ECDSA P-256 signing identity
(PKCS#12)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import typing
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

if typing.TYPE_CHECKING:
    from pyhanko.sign.signers import SimpleSigner


class SigningKeyError(ValueError):
    """A signing key that cannot be created or loaded; the message says why and what to do."""


# X.509 caps the common and organisation names at 64 (RFC 5280's upper bounds); cryptography counts UTF-8
# bytes.
NAME_LIMIT = 64
SIGNING_SUFFIX = " (report signing)"
ELLIPSIS = "\u2026"
# The full organisation name, which may be longer than NAME_LIMIT, travels in the subject alternative name.
ORGANISATION_URN = "urn:hria:organisation:"
# Keys that can sign certificates: a certificate authority's key must be one of these.
ISSUER_KEY_TYPES = (
    ec.EllipticCurvePrivateKey,
    rsa.RSAPrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
    dsa.DSAPrivateKey,
)


def _fit(text: str, limit: int = NAME_LIMIT) -> str:
    """``text`` cut at a character boundary to at most ``limit`` UTF-8 bytes, with an ellipsis where it was
    cut."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    kept = encoded[: limit - len(ELLIPSIS.encode("utf-8"))].decode("utf-8", errors="ignore")
    return kept.rstrip() + ELLIPSIS


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, _fit(common_name)),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organisation)),
        ]
    )


def _signing_subject(organisation: str) -> x509.Name:
    return _name(
        _fit(organisation, NAME_LIMIT - len(SIGNING_SUFFIX.encode("utf-8"))) + SIGNING_SUFFIX, organisation
    )


def fingerprint(certificate_der: bytes) -> str:
    """The SHA-256 fingerprint of a DER certificate, as lowercase hex: how this instance recognises a
    signer."""
    return hashlib.sha256(certificate_der).hexdigest()


def organisation_named_in(certificate: x509.Certificate) -> str:
    """The organisation a certificate names: its full name where we wrote one, else the subject's O."""
    try:
        alternative = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        uris = alternative.get_values_for_type(x509.UniformResourceIdentifier)
    except x509.ExtensionNotFound:
        uris = []
    for uri in uris:
        if uri.startswith(ORGANISATION_URN):
            return unquote(uri[len(ORGANISATION_URN) :])
    names = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(names[0].value) if names else ""


def create_authority(folder: Path, name: str = "HRIA development certificate authority") -> Path:
    """A self-signed CA (key and certificate as PEM) in ``folder``; returns the certificate's path."""
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    subject = _name(name, "HRIA instance")
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(
        folder / "ca-key.pem",
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    (folder / "ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return folder / "ca.pem"


def create_signing_identity(folder: Path, organisation: str, file_name: str, passphrase: bytes) -> Path:
    """An ECDSA P-256 key and certificate for ``organisation``, issued by the CA in ``folder``, as PKCS#12."""
    try:
        ca_key = serialization.load_pem_private_key((folder / "ca-key.pem").read_bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
    except FileNotFoundError:
        raise SigningKeyError(
            f"There is no certificate authority in {folder}; run `hria keys init` first."
        ) from None
    if not isinstance(ca_key, ISSUER_KEY_TYPES):
        raise SigningKeyError(
            f"The certificate authority's key in {folder} cannot sign certificates; replace it with the one "
            f"`hria keys init` creates."
        )
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_signing_subject(organisation))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(ORGANISATION_URN + quote(organisation, safe=""))]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    blob = pkcs12.serialize_key_and_certificates(
        organisation.encode("utf-8"),
        key,
        cert,
        [ca_cert],
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption(),
    )
    path = folder / file_name
    _write_private(path, blob)
    return path


@contextlib.contextmanager
def quiet_pyhanko() -> Iterator[None]:
    """pyHanko logs a traceback for every failure it also reports; the caller says it in words instead."""
    logger = logging.getLogger("pyhanko")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


def load_identity(path: Path, passphrase: bytes | None) -> SimpleSigner:
    """The pyHanko signer of a PKCS#12 file.

    Parameters
    ----------
    path : Path
        The PKCS#12 file: a private key with its certificate (and the chain, if any).
    passphrase : bytes or None
        Its passphrase; None for a file without one.

    Returns
    -------
    pyhanko.sign.signers.SimpleSigner
        What ``sign_pdf`` signs with.

    Raises
    ------
    SigningKeyError
        When there is no file at ``path``, the passphrase is wrong, or the file holds no key and certificate.
    """
    from pyhanko.sign import signers

    if not Path(path).exists():
        raise SigningKeyError(
            f"There is no signing key at {path}. Run `hria keys init`, or install the organisation's "
            f"own PKCS#12 file."
        )
    try:
        signer: SimpleSigner = signers.SimpleSigner.load_pkcs12_data(
            Path(path).read_bytes(), other_certs=[], passphrase=passphrase
        )
    except Exception:  # noqa: BLE001 - pyHanko raises several types for a file without a key and certificate
        raise SigningKeyError(
            f"The signing key at {path} could not be loaded: the passphrase is wrong or the file is not "
            f"a PKCS#12 key with its certificate."
        ) from None
    if signer.signing_cert is None:
        raise SigningKeyError(f"The PKCS#12 file at {path} holds a key but no certificate.")
    return signer


def certificate_of(signer: SimpleSigner) -> bytes:
    """The DER bytes of the certificate a signer from ``load_identity`` signs with."""
    if signer.signing_cert is None:
        raise SigningKeyError("This signer has no certificate.")
    return bytes(signer.signing_cert.dump())


def _write_private(path: Path, data: bytes) -> None:
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
