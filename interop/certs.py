"""Generate a self-signed TLS certificate and compute SHA-256 fingerprints.

The fingerprint format matches what ``nbwss servers add --accept-fingerprint``
accepts: the SHA-256 of the DER leaf certificate as upper-case hex byte pairs
joined with colons. Certificate trust beyond fingerprint pinning is left to the
callers, which disable chain verification and compare fingerprints instead.
"""

import datetime
import hashlib
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def fingerprint_of_der(der: bytes) -> str:
    """Return the colon-separated upper-case SHA-256 of a DER certificate."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def normalise_fingerprint(text: str) -> str:
    """Return ``text`` as upper-case hex without separators, for comparison."""
    return text.replace(":", "").replace(" ", "").upper()


def write_self_signed(
    directory: Path, host: str = "127.0.0.1"
) -> tuple[Path, Path, str]:
    """Write ``cert.pem`` and ``key.pem`` for ``host`` (an IP address) and localhost.

    Returns the two paths and the certificate's fingerprint. The key is
    ECDSA P-256 and the certificate is valid from one day ago for 30 days.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "nbwss interop endpoint")]
    )
    now = datetime.datetime.now(datetime.UTC)
    alternative_names = x509.SubjectAlternativeName(
        [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(alternative_names, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    der = certificate.public_bytes(serialization.Encoding.DER)
    return cert_path, key_path, fingerprint_of_der(der)


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    """Build a TLS server context for the generated certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_path, key_path)
    return context


def pinning_client_context() -> ssl.SSLContext:
    """Build a TLS client context that skips chain checks, because the caller pins instead.

    The caller must compare the peer certificate's fingerprint before sending
    anything over the connection.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def peer_fingerprint(ssl_object: ssl.SSLObject) -> str:
    """Return the fingerprint of the peer's leaf certificate on a TLS connection."""
    der = ssl_object.getpeercert(binary_form=True)
    if der is None:
        raise ValueError("peer sent no certificate")
    return fingerprint_of_der(der)
