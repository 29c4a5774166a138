"""How a PC knows it talks to its clinic's server: the address rule and the pinned certificate.

Rules:
- A loopback address (``localhost``, 127.0.0.0/8, ``::1``) may be ``http://``: the traffic never leaves
  this PC. Any other address must be ``https://``; plain http to the network is refused at enrolment and at
  every connection, before anything is sent (``PLAIN_HTTP``).
- An ``https://`` server is trusted only through the certificate pinned at enrolment: the admin types the
  SHA-256 fingerprint ``hms sync-server codes`` prints beside the code (the 64 hex digits, or the 32 of the
  short form; colons, spaces and case do not matter), the PC fetches the server's certificate and compares
  its fingerprint in constant time, and keeps the certificate (PEM) in the store's key store under
  ``CERT_KEY``. Every later connection verifies the server against that certificate alone: it is the only
  trust anchor, the host name is not checked (the certificate itself is the identity) and neither are its
  dates (a PC's clock can be wrong; the pin, not the calendar, says which server this is). Another
  certificate is refused during the TLS handshake, before a byte of the request is sent (``ServerNotTrusted``).
- The short form is the first 128 bits of the fingerprint: short enough to read aloud, still far beyond
  what anyone can forge a certificate to match.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import ssl

import httpx

from hms_desktop.errors import ValidationError
from hms_desktop.sync.errors import SyncError, SyncUnavailable

CERT_KEY = "sync-server-cert"
PLAIN_HTTP = "Use https:// for a server on the network; plain http is only for this PC (localhost)."
MISMATCH = (
    "The server's certificate does not match the fingerprint given with the enrolment code: do not enrol, "
    "ask the administrator."
)
NOT_TRUSTED = (
    "The sync server presented a certificate other than the one this PC pinned at enrolment, so nothing was "
    "sent: if the administrator replaced it, pin the new one (hms sync pin); otherwise someone may be "
    "impersonating the server."
)
FULL_DIGITS = 64
SHORT_DIGITS = 32
FETCH_TIMEOUT = 10.0
# OpenSSL's X509_V_FLAG_NO_CHECK_TIME (the ssl module has no name for it): the pin is the identity.
NO_CHECK_TIME = 0x200000
_SEPARATORS = re.compile(r"[\s:\-]")


class ServerNotTrusted(SyncError):
    """The server's certificate is not the pinned one (nothing was sent to it)."""


def is_loopback(host: str) -> bool:
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def address_problem(url: str) -> str | None:
    """Why ``url`` cannot be a sync server's address (one sentence), or None when it can."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "Give the server's address, for example https://192.168.1.10:8765."
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        return "Give the server's address, starting with https:// (or http:// for a server on this PC)."
    if parsed.scheme == "http" and not is_loopback(parsed.host):
        return PLAIN_HTTP
    return None


def is_https(url: str) -> bool:
    return httpx.URL(url).scheme == "https"


def fingerprint_of(pem: bytes | str) -> str:
    """The SHA-256 fingerprint of a PEM certificate: 64 lower-case hex digits."""
    text = pem.decode("ascii") if isinstance(pem, bytes) else pem
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(text)).hexdigest()


def colon_form(fingerprint: str) -> str:
    """``AB:CD:...`` (the form ``openssl x509 -fingerprint -sha256`` prints)."""
    digits = fingerprint.upper()
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def short_form(fingerprint: str) -> str:
    """The first 32 hex digits in groups of four, to read aloud: ``3F2A 9C01 77BE ...``."""
    digits = fingerprint[:SHORT_DIGITS].upper()
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def normalised(given: str) -> str | None:
    """The hex digits of a typed fingerprint (full or short form), or None when it is not one."""
    digits = _SEPARATORS.sub("", given or "").lower()
    if len(digits) not in {FULL_DIGITS, SHORT_DIGITS} or not re.fullmatch(r"[0-9a-f]+", digits):
        return None
    return digits


def matches(given: str, pem: bytes) -> bool:
    """Whether the typed fingerprint (full or short form) is the certificate's; compared in constant time."""
    digits = normalised(given)
    if digits is None:
        return False
    return hmac.compare_digest(digits.encode("ascii"), fingerprint_of(pem)[: len(digits)].encode("ascii"))


def fetch_certificate(url: str) -> bytes:
    """The certificate the server at ``url`` presents (PEM), read without trusting it (it is compared next)."""
    parsed = httpx.URL(url)
    port = parsed.port or 443
    try:
        pem = ssl.get_server_certificate((parsed.host, port), timeout=FETCH_TIMEOUT)
    except ssl.SSLError:
        raise SyncUnavailable(
            f"The server at {url} did not answer over https; check the address and that the server runs with "
            "its certificate."
        ) from None
    except OSError as exc:
        raise SyncUnavailable(f"The sync server at {url} cannot be reached ({type(exc).__name__}).") from None
    return pem.encode("ascii")


def check_entry(url: str, fingerprint: str) -> None:
    """The address and the fingerprint as typed, checked before anything is sent anywhere (``ValidationError``
    on ``server_url`` or ``fingerprint``; the fingerprint matters only for https)."""
    problem = address_problem(url)
    if problem is not None:
        raise ValidationError("server_url", problem)
    if not is_https(url):
        return
    if not (fingerprint or "").strip():
        raise ValidationError(
            "fingerprint", "Give the server certificate's fingerprint, shown with the enrolment code."
        )
    if normalised(fingerprint) is None:
        raise ValidationError(
            "fingerprint",
            "A fingerprint is the 64 hexadecimal digits shown with the enrolment code (or the 32 of its short form).",
        )


def certificate_for(url: str, fingerprint: str) -> bytes | None:
    """The certificate to pin for ``url`` once it matches the typed fingerprint (None for loopback http);
    a certificate that does not match is refused with ``MISMATCH`` before the code is sent."""
    check_entry(url, fingerprint)
    if not is_https(url):
        return None
    pem = fetch_certificate(url)
    if not matches(fingerprint, pem):
        raise ValidationError("fingerprint", MISMATCH)
    return pem


def pinned_context(pem: bytes) -> ssl.SSLContext:
    """A TLS client context that trusts the pinned certificate and nothing else."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN | NO_CHECK_TIME
    try:
        context.load_verify_locations(cadata=pem.decode("ascii"))
    except (ssl.SSLError, ValueError, UnicodeDecodeError):
        raise SyncError(
            "The server certificate this PC pinned is damaged; pin it again (hms sync pin) with the fingerprint "
            "from the administrator."
        ) from None
    return context


def is_pin_failure(exc: BaseException) -> bool:
    """Whether a connection failed because the server's certificate is not the pinned one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
