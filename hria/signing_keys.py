"""The instance's signing keys: a development certificate authority and one PKCS#12 per organisation."""
from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from flask import current_app

from reports import keys

PASSPHRASE_FILE = "signing-passphrase"


def folder() -> Path:
    path = Path(current_app.config["KEYS_FOLDER"])
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def passphrase() -> bytes:
    """From configuration (HRIA_SIGNING_PASSPHRASE); for a development instance, generated once into the keys folder."""
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
            keys.create_signing_identity(folder(), organisation.name, identity_path(organisation).name, passphrase())
            made.append(organisation.name)
    return made


def install_identity(organisation, source: Path, source_passphrase: bytes) -> None:
    """Use an organisation's own PKCS#12 (it must load with the given passphrase)."""
    keys.load_identity(source, source_passphrase)
    if source_passphrase != passphrase():
        raise keys.KeyError_("Installed keys must use the instance's signing passphrase (HRIA_SIGNING_PASSPHRASE); "
                             "re-export the PKCS#12 with it.")
    shutil.copyfile(source, identity_path(organisation))
    os.chmod(identity_path(organisation), 0o600)


def signer_for(organisation):
    """The organisation's signer; on an instance with its development authority, a missing key is made first."""
    if not identity_path(organisation).exists() and (folder() / "ca-key.pem").exists():
        keys.create_signing_identity(folder(), organisation.name, identity_path(organisation).name, passphrase())
    return keys.load_identity(identity_path(organisation), passphrase())


def trust_roots() -> list[bytes]:
    roots = [authority_path().read_bytes()] if authority_path().exists() else []
    for extra in current_app.config.get("TRUST_ROOTS", []) or []:
        roots.append(Path(extra).read_bytes())
    return roots
