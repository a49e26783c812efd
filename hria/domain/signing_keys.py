"""The instance's signing keys: a development certificate authority, one PKCS#12 per organisation, and the
register of every certificate an organisation has signed with (by SHA-256 fingerprint), which is how a
verifier knows which organisation a signature is from, whatever name (cut to 64 characters) the certificate
carries."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from flask import current_app

from reports import keys

PASSPHRASE_FILE = "signing-passphrase"
CERTIFICATES = "certificates"


def folder() -> Path:
    path = Path(current_app.config["KEYS_FOLDER"])
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def passphrase() -> bytes:
    """From HRIA_SIGNING_PASSPHRASE; for a development instance, generated once into the keys folder."""
    configured = current_app.config.get("SIGNING_PASSPHRASE")
    if configured:
        return str(configured).encode()
    path = folder() / PASSPHRASE_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(24))
    return path.read_text().strip().encode()


def identity_path(organisation) -> Path:
    return folder() / f"organisation-{organisation.id}.p12"


def authority_path() -> Path:
    return folder() / "ca.pem"


def init_keys(organisations) -> list[str]:
    """Create the CA if missing and a signing identity for every organisation without one."""
    made = []
    if not authority_path().exists():
        keys.create_authority(folder())
        made.append("certificate authority")
    for organisation in organisations:
        if not identity_path(organisation).exists():
            keys.create_signing_identity(
                folder(), organisation.name, identity_path(organisation).name, passphrase()
            )
            made.append(organisation.name)
            signer_for(organisation)
    return made


def install_identity(organisation, source: Path, source_passphrase: bytes) -> None:
    """Use an organisation's own PKCS#12 (it must load with the given passphrase)."""
    signer = keys.load_identity(source, source_passphrase)
    if source_passphrase != passphrase():
        raise keys.SigningKeyError(
            "Installed keys must use the instance's signing passphrase (HRIA_SIGNING_PASSPHRASE); "
            "re-export the PKCS#12 with it."
        )
    certificate = keys.certificate_of(signer)
    holder = registered_certificates().get(keys.fingerprint(certificate))
    if holder is not None and holder != organisation.id:
        from hria.domain.models import Organisation
        from hria.extensions import db

        raise keys.SigningKeyError(
            f"This certificate is already registered for {db.session.get_one(Organisation, holder).name}; "
            f"each organisation signs with a certificate of its own."
        )
    shutil.copyfile(source, identity_path(organisation))
    os.chmod(identity_path(organisation), 0o600)
    record_certificate(organisation.id, certificate)


def signer_for(organisation):
    """The organisation's signer; with a development authority, a missing key is made first."""
    if not identity_path(organisation).exists() and (folder() / "ca-key.pem").exists():
        keys.create_signing_identity(
            folder(), organisation.name, identity_path(organisation).name, passphrase()
        )
    signer = keys.load_identity(identity_path(organisation), passphrase())
    record_certificate(organisation.id, keys.certificate_of(signer))
    return signer


def certificates_folder() -> Path:
    path = folder() / CERTIFICATES
    path.mkdir(exist_ok=True)
    return path


def record_certificate(organisation_id: int, certificate_der: bytes) -> str:
    """Register a certificate as the organisation's and return its fingerprint. Earlier certificates stay
    registered, so reports signed before a key was replaced still name their organisation."""
    fp = keys.fingerprint(certificate_der)
    path = certificates_folder() / f"organisation-{organisation_id}-{fp}.pem"
    if not path.exists():
        from asn1crypto import pem

        path.write_bytes(pem.armor("CERTIFICATE", certificate_der))
    return fp


def registered_certificates() -> dict[str, int]:
    """Every registered certificate's fingerprint, mapped to its organisation's id."""
    _record_unregistered_identities()
    out = {}
    for path in certificates_folder().glob("organisation-*-*.pem"):
        organisation_id, fp = path.stem.removeprefix("organisation-").split("-", 1)
        out[fp] = int(organisation_id)
    return out


def _record_unregistered_identities() -> None:
    """Keys made before certificates were registered: register the certificate each one holds now."""
    recorded = {p.name.split("-")[1] for p in certificates_folder().glob("organisation-*-*.pem")}
    for path in folder().glob("organisation-*.p12"):
        organisation_id = path.stem.removeprefix("organisation-")
        if organisation_id.isdigit() and organisation_id not in recorded:
            try:
                signer = keys.load_identity(path, passphrase())
            except keys.SigningKeyError:
                continue  # a key this instance cannot open signs nothing here either
            record_certificate(int(organisation_id), keys.certificate_of(signer))


def trust_roots() -> list[bytes]:
    roots = [authority_path().read_bytes()] if authority_path().exists() else []
    for extra in current_app.config.get("TRUST_ROOTS", []) or []:
        roots.append(Path(extra).read_bytes())
    return roots
