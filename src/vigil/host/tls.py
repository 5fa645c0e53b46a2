"""A server's certificate (the remote endpoint's, vigil-remoted's): made once per node at first
start (self-signed, the node's name and addresses in it, as pcsd makes its own), or the
operator's own files; and the server's TLS context (TLS 1.2 at least: nothing older is offered).

The key is written 0600 before anything is put in it. A certificate that exists is never
replaced here: an operator's certificate stays the operator's."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALID_DAYS = 3650  # pcsd's own certificates last ten years too; peers pin them at `host auth`


def ensure_certificate(cert: Path, key: Path, node: str, addresses: Sequence[str] = (),
                       *, now: datetime.datetime | None = None) -> bool:
    """Make a self-signed certificate for `node` unless `cert` exists; True when one was made."""
    if cert.exists():
        return False
    when = now or datetime.datetime.now(datetime.UTC)
    private = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(node)]
    for addr in addresses:
        names.append(x509.IPAddress(ipaddress.ip_address(addr)))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, node),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "vigil")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(when - datetime.timedelta(minutes=5))
        .not_valid_after(when + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(private, hashes.SHA256()))
    key.parent.mkdir(parents=True, exist_ok=True)
    # the key's file is 0600 from its first byte
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(private.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return True


def fingerprint(cert: Path) -> str:
    """The certificate's SHA-256 fingerprint, as peers pin it ("AB:CD:...")."""
    loaded = x509.load_pem_x509_certificate(cert.read_bytes())
    return loaded.fingerprint(hashes.SHA256()).hex(":").upper()


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    return ctx
