"""The agency's signing key for the digitization tests: a PKCS#12 file and a SoftHSM2
token (Debian's softhsm2), both holding the test PKI's "agency" key and certificate."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from kho.demo.pki import TestPKI

SOFTHSM_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
P12_PASSWORD = "mật-khẩu-thử"


def make_pkcs12(pki: TestPKI, folder: Path) -> Path:
    return pki.write_pkcs12(folder / "agency.p12", P12_PASSWORD)


@dataclass(frozen=True)
class Token:
    module: Path
    label: str
    pin: str
    key_label: str
    conf: Path


def make_softhsm_token(pki: TestPKI, folder: Path) -> Token:
    """A SoftHSM2 token with the agency's key and certificate. SOFTHSM2_CONF is set for
    this process (the module reads it when first loaded) and returned for subprocesses."""
    if shutil.which("softhsm2-util") is None or not SOFTHSM_MODULE.is_file():
        raise RuntimeError("SoftHSM2 is missing: apt-get install softhsm2 (scripts/test does)")
    (folder / "tokens").mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    token = Token(SOFTHSM_MODULE, "kho-test", "1234", "agency", conf)
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            token.label,
            "--pin",
            token.pin,
            "--so-pin",
            "87654321",
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    subprocess.run(
        [
            "softhsm2-util",
            "--import",
            str(pki.folder / "keys" / "agency.key.pem"),
            "--token",
            token.label,
            "--label",
            token.key_label,
            "--id",
            "01",
            "--pin",
            token.pin,
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    cert = pki.signer_certificate("agency")
    lib = pkcs11.lib(str(SOFTHSM_MODULE))
    with lib.get_token(token_label=token.label).open(rw=True, user_pin=token.pin) as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: token.key_label,
                Attribute.ID: b"\x01",
                Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                Attribute.SUBJECT: cert.subject.public_bytes(),
            }
        )
    return token
