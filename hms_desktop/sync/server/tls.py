"""The sync server's own TLS certificate (``hms sync-server tls``): self-signed, pinned by every PC.

- An EC P-256 key and a certificate for the host names and IP addresses the admin gives (``--host``), plus
  ``localhost``, 127.0.0.1 and ::1. It is not a CA (it signs nothing else); it is valid for ten years, and
  the PCs check it by its fingerprint, not by its dates or names.
- Kept in a folder of its own (``--tls-dir``, else ``HMS_SYNC_TLS_DIR``, else ``sync-server-tls`` in the
  user's configuration folder), 0700, both files 0600. The key is not encrypted: guard the folder like the
  database password.
- An existing pair is never replaced silently: a new certificate means every enrolled PC must pin it again.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hms_desktop.clock import utc_now
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.security.keystore import write_private
from hms_desktop.sync import pinning

DIR_ENV = "HMS_SYNC_TLS_DIR"
CERT_FILE = "sync-server-cert.pem"
KEY_FILE = "sync-server-key.pem"
VALIDITY = timedelta(days=3650)
ALWAYS = ("localhost", "127.0.0.1", "::1")
_DNS_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


@dataclass(frozen=True)
class TlsFiles:
    folder: Path

    @property
    def cert(self) -> Path:
        return self.folder / CERT_FILE

    @property
    def key(self) -> Path:
        return self.folder / KEY_FILE

    def exists(self) -> bool:
        return self.cert.is_file() and self.key.is_file()

    def fingerprint(self) -> str:
        """The SHA-256 fingerprint of the certificate (64 lower-case hex digits)."""
        return pinning.fingerprint_of(self.cert.read_bytes())


def default_dir() -> Path:
    import platformdirs

    from hms_desktop.storage.paths import APP_AUTHOR, APP_NAME

    return Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)) / "sync-server-tls"


def tls_files(folder: str | os.PathLike[str] | None = None) -> TlsFiles:
    """Where the certificate lives: ``folder``, else ``HMS_SYNC_TLS_DIR``, else the default folder."""
    chosen = folder or os.environ.get(DIR_ENV)
    return TlsFiles(Path(chosen).expanduser() if chosen else default_dir())


def _names(hosts: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    seen: set[str] = set()
    for raw in [*hosts, *ALWAYS]:
        host = raw.strip().strip("[]").rstrip(".").lower()
        if host in seen:
            continue
        seen.add(host)
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
            continue
        except ValueError:
            pass
        labels = host.split(".")
        if not host or len(host) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
            raise ValidationError("host", f"{raw[:80]!r} is not a host name or IP address (e.g. 192.168.1.10).")
        names.append(x509.DNSName(host))
    return names


def create_certificate(files: TlsFiles, hosts: list[str], *, replace: bool = False) -> str:
    """Make the key and the self-signed certificate in ``files.folder``; return the fingerprint."""
    names = _names(hosts)
    if (files.cert.exists() or files.key.exists()) and not replace:
        raise Conflict(
            f"A certificate already exists in {files.folder}; replacing it (--force) means every PC must pin the "
            "new one."
        )
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "HMS sync server")])
    now = utc_now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    files.folder.mkdir(parents=True, exist_ok=True)
    os.chmod(files.folder, 0o700)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_private(files.key, key_pem)
    write_private(files.cert, cert.public_bytes(serialization.Encoding.PEM))
    return files.fingerprint()
