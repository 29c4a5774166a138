"""Transport (issue 11, finding 1): a server on the network is https with its certificate pinned at enrolment.

Real servers (``hms sync-server`` over https on 127.0.0.1 with certificates made by ``hms sync-server tls``) over a
real PostgreSQL. The attacks: enrolling against a server whose certificate is not the one the admin named, a
server that takes over the address later with another certificate (the same database behind it, so only the
certificate differs), and plain http to an address on the network.
"""

from __future__ import annotations

import re
import shutil
import socket
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from sqlalchemy.engine import Engine

from hms_desktop.errors import ValidationError
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.storage.paths import StorePaths
from hms_desktop.storage.store import Store, open_store
from hms_desktop.sync import pinning
from hms_desktop.sync.enrol import enrol, enrol_new_store, pin_server
from hms_desktop.sync.errors import SyncError
from hms_desktop.sync.runner import run_once
from hms_desktop.sync.server.admin import init_server
from hms_desktop.sync.server.store import make_engine
from hms_desktop.sync.server.tls import TlsFiles, create_certificate, tls_files
from hms_desktop.sync.state import identity, sync_status
from hms_desktop.sync.transport import REFRESH_KEY, Transport
from tests.helpers import signed_in_admin
from tests.pg import PgCluster, SyncServer, fresh_database
from tests.test_sync_cli import CODE, hms

COLONS = re.compile(r"\b(?:[0-9A-F]{2}:){31}[0-9A-F]{2}\b")


@dataclass
class Central:
    """A clinic's central database served over https with certificate ``a`` (``b`` is another one)."""

    cluster: PgCluster
    db_name: str
    db_url: str
    engine: Engine
    codes: list[str]
    a: TlsFiles
    b: TlsFiles
    server: SyncServer
    tmp: Path

    def scalar(self, sql: str) -> Any:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return conn.execute(text(sql)).scalar()


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Central]:
    cluster, name, url = fresh_database()
    engine = make_engine(url, pool_size=2)
    codes = init_server(engine, "Sunrise Clinic", codes=5).codes
    a, b = tls_files(tmp_path / "tls-a"), tls_files(tmp_path / "tls-b")
    create_certificate(a, ["192.168.1.10"])
    create_certificate(b, ["192.168.1.10"])
    server = SyncServer(url, tmp_path, tls_dir=a.folder).start()
    made = Central(cluster, name, url, engine, codes, a, b, server, tmp_path)
    try:
        yield made
    finally:
        made.server.stop()
        engine.dispose()
        cluster.drop_database(name)


@pytest.fixture
def founder(clinic_paths: StorePaths) -> Iterator[Store]:
    store = open_store(clinic_paths)
    yield store
    store.close()


def new_patient(store: Store, name: str) -> Any:
    return register_patient(signed_in_admin(store), PatientInput(name, "F", date(1990, 1, 1)))


def nothing_enrolled(store: Store) -> bool:
    with store.engine.connect() as conn:
        ident = identity(conn)
    return ident is None and store.keys.get(REFRESH_KEY) is None and store.keys.get(pinning.CERT_KEY) is None


def openssl_fingerprint(cert: Path) -> str:
    """``openssl x509 -fingerprint -sha256`` of the file, else the cryptography package's computation."""
    if shutil.which("openssl"):
        out = subprocess.run(
            ["openssl", "x509", "-in", str(cert), "-noout", "-fingerprint", "-sha256"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return out.strip().split("=", 1)[1]
    digest = x509.load_pem_x509_certificate(cert.read_bytes()).fingerprint(hashes.SHA256())
    return ":".join(f"{b:02X}" for b in digest)


def test_the_admin_makes_a_certificate_and_codes_print_its_fingerprint(tmp_path: Path) -> None:
    cluster, name, url = fresh_database()
    try:
        folder = tmp_path / "tls"
        made = hms("sync-server", "tls", "--tls-dir", str(folder), "--host", "192.168.1.10", "--host", "clinic.lan")
        files = tls_files(folder)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE(files.cert.stat().st_mode) == 0o600 and stat.S_IMODE(files.key.stat().st_mode) == 0o600
        expected = openssl_fingerprint(files.cert)
        assert expected in made.stdout
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert {str(n.value) for n in names} >= {"192.168.1.10", "clinic.lan", "localhost", "127.0.0.1"}
        assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca

        again = hms("sync-server", "tls", "--tls-dir", str(folder), "--host", "192.168.1.10", check=False)
        assert again.returncode == 1 and "already exists" in again.stderr
        assert openssl_fingerprint(files.cert) == expected, "an existing certificate is never replaced silently"
        bad = hms("sync-server", "tls", "--tls-dir", str(tmp_path / "x"), "--host", "bad host!", check=False)
        assert bad.returncode == 1 and "not a host name" in bad.stderr and not (tmp_path / "x").exists()

        out = hms("sync-server", "init", "--database-url", url, "--clinic-name", "Sunrise", "--codes", "2",
                  "--tls-dir", str(folder)).stdout  # fmt: skip
        codes = hms("sync-server", "codes", "--database-url", url, "--count", "3", "--tls-dir", str(folder)).stdout
        for printed, count in ((out, 2), (codes, 3)):
            assert len(CODE.findall(printed)) == count
            assert COLONS.findall(printed) == [expected] * count, "the fingerprint beside each code"
            assert printed.count(pinning.short_form(expected.replace(":", ""))) == count
        plain = hms("sync-server", "codes", "--database-url", url, "--tls-dir", str(tmp_path / "none")).stdout
        assert "No server certificate" in plain and not COLONS.findall(plain)
    finally:
        cluster.drop_database(name)


def test_enrolment_with_the_fingerprint_from_codes_pins_it_and_syncs(central: Central, founder: Store) -> None:
    out = hms("sync-server", "codes", "--database-url", central.db_url, "--tls-dir", str(central.a.folder)).stdout
    code, fingerprint = CODE.findall(out)[0], COLONS.findall(out)[0]
    patient = new_patient(founder, "Kavya Menon")

    result = enrol(founder, central.server.url, code, "Reception 1", fingerprint=fingerprint)
    assert result.short_code == "WS01"
    assert founder.keys.get(pinning.CERT_KEY) == central.a.cert.read_bytes(), "the certificate is pinned"
    report = run_once(founder, pauses=(0.05,))
    assert report.pushed > 0
    assert central.scalar(f"SELECT full_name FROM patients WHERE id = '{patient.id}'") == "Kavya Menon"
    later = new_patient(founder, "Ravi Iyer")
    run_once(founder, pauses=(0.05,))  # a token refresh, a push, a pull and blocks: all over the pinned connection
    assert central.scalar(f"SELECT full_name FROM patients WHERE id = '{later.id}'") == "Ravi Iyer"

    typed = pinning.short_form(central.a.fingerprint()).lower()  # the short form, as read aloud
    out = hms("--data-dir", str(central.tmp / "doctor"), "sync", "enroll", "--server", central.server.url,
              "--code", central.codes.pop(), "--name", "Doctor 1", "--fingerprint", typed).stdout  # fmt: skip
    pulled = re.search(r"First sync: (\d+) pushed, (\d+) pulled", out)
    assert pulled is not None and int(pulled.group(2)) > 0, out


def test_a_wrong_fingerprint_enrols_nothing(central: Central, founder: Store) -> None:
    code = central.codes[0]
    unused = central.scalar("SELECT count(*) FROM sync_enrolment_codes WHERE used_at IS NULL")
    for given in (pinning.colon_form(central.b.fingerprint()), pinning.short_form(central.b.fingerprint())):
        with pytest.raises(ValidationError) as refused:
            enrol(founder, central.server.url, code, "Reception 1", fingerprint=given)
        assert refused.value.field == "fingerprint" and refused.value.message == pinning.MISMATCH
    for given, why in (("", "Give the server certificate's fingerprint"), ("C40B 8BE6", "64 hexadecimal digits")):
        with pytest.raises(ValidationError, match=why):
            enrol(founder, central.server.url, code, "Reception 1", fingerprint=given)
    assert nothing_enrolled(founder)
    assert central.scalar("SELECT count(*) FROM sync_enrolment_codes WHERE used_at IS NULL") == unused, (
        "the code was never sent"
    )
    assert central.scalar("SELECT count(*) FROM workstations") == 0
    assert central.scalar("SELECT count(*) FROM sync_tokens") == 0

    new_pc = StorePaths(central.tmp / "new-pc")
    with pytest.raises(ValidationError, match="does not match"):
        enrol_new_store(new_pc, central.server.url, code, "Doctor 1", fingerprint=central.b.fingerprint())
    assert not new_pc.store.exists(), "a refused enrolment leaves no store behind"


def test_a_server_with_another_certificate_gets_nothing(central: Central, founder: Store) -> None:
    enrol(founder, central.server.url, central.codes.pop(), "Reception 1", fingerprint=central.a.fingerprint())
    run_once(founder, pauses=(0.05,))
    refresh_before = founder.keys.get(REFRESH_KEY)
    tokens_before = central.scalar("SELECT count(*) FROM sync_tokens")
    seq_before = central.scalar("SELECT max(seq) FROM sync_rows")
    patient = new_patient(founder, "Meera Pillai")

    central.server.stop()  # an impostor takes the address, with the clinic's own database behind it
    central.server = SyncServer(central.db_url, central.tmp, tls_dir=central.b.folder, port=central.server.port)
    central.server.start()
    with pytest.raises(pinning.ServerNotTrusted) as refused:
        run_once(founder, pauses=(0.05,))
    assert refused.value.message == pinning.NOT_TRUSTED
    assert sync_status(founder.engine).last_error == pinning.NOT_TRUSTED
    with Transport(central.server.url, founder.keys, pauses=()) as transport, pytest.raises(pinning.ServerNotTrusted):
        transport.pull(0, 10)
    assert founder.keys.get(REFRESH_KEY) == refresh_before, "no token refresh reached it"
    assert central.scalar("SELECT count(*) FROM sync_tokens") == tokens_before
    assert central.scalar("SELECT max(seq) FROM sync_rows") == seq_before
    assert central.scalar(f"SELECT count(*) FROM patients WHERE id = '{patient.id}'") == 0, "nothing was pushed"

    # the administrator really replaced the certificate: the PC pins the new one, only with its fingerprint
    with pytest.raises(ValidationError, match="does not match"):
        pin_server(founder, central.server.url, central.a.fingerprint())
    assert founder.keys.get(pinning.CERT_KEY) == central.a.cert.read_bytes()
    assert pin_server(founder, central.server.url, central.b.fingerprint()) == pinning.short_form(
        central.b.fingerprint()
    )
    run_once(founder, pauses=(0.05,))
    assert central.scalar(f"SELECT full_name FROM patients WHERE id = '{patient.id}'") == "Meera Pillai"


def _own_lan_address() -> str | None:
    """This machine's address on its network (not loopback), if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    return None if pinning.is_loopback(address) or address == "0.0.0.0" else address


def test_plain_http_to_the_network_is_refused_before_any_connection(central: Central, founder: Store) -> None:
    for url in ("http://192.168.1.10", "http://192.168.1.10:8765/", "HTTP://clinic.lan:8765"):
        with pytest.raises(ValidationError) as refused:
            enrol(founder, url, central.codes[0], "Reception 1")
        assert refused.value.field == "server_url" and refused.value.message == pinning.PLAIN_HTTP
        with pytest.raises(SyncError, match="plain http is only for this PC"):
            Transport(url, founder.keys)
    new_pc = StorePaths(central.tmp / "new-pc")
    with pytest.raises(ValidationError, match="plain http"):
        enrol_new_store(new_pc, "http://192.168.1.10:8765", central.codes[0], "Doctor 1")
    assert not new_pc.data_dir.exists()
    assert nothing_enrolled(founder)

    address = _own_lan_address()
    if address is not None:  # a listener on this machine's own network address hears nothing
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
            listener.bind((address, 0))
            listener.listen(1)
            listener.setblocking(False)
            with pytest.raises(ValidationError, match="plain http"):
                enrol(founder, f"http://{address}:{listener.getsockname()[1]}", central.codes[0], "Reception 1")
            with pytest.raises(BlockingIOError):
                listener.accept()

    # a PC enrolled over plain http to the network before the rule: every sync is refused, nothing is sent
    enrol(founder, central.server.url, central.codes.pop(), "Reception 1", fingerprint=central.a.fingerprint())
    run_once(founder, pauses=(0.05,))
    from hms_desktop.sync import state

    with founder.engine.begin() as conn:
        state.set_values(conn, server_url=f"http://192.168.1.10:{central.server.port}")
    patient = new_patient(founder, "Farah Khan")
    with pytest.raises(SyncError) as refused_sync:
        run_once(founder, pauses=(0.05,))
    assert refused_sync.value.message == pinning.PLAIN_HTTP
    assert sync_status(founder.engine).last_error == pinning.PLAIN_HTTP
    assert central.scalar(f"SELECT count(*) FROM patients WHERE id = '{patient.id}'") == 0


def test_fingerprints_compare_in_any_typed_form(tmp_path: Path) -> None:
    files = tls_files(tmp_path / "tls")
    fingerprint = create_certificate(files, [])
    pem = files.cert.read_bytes()
    assert fingerprint == openssl_fingerprint(files.cert).replace(":", "").lower()
    for typed in (
        fingerprint, fingerprint.upper(), pinning.colon_form(fingerprint), pinning.colon_form(fingerprint).lower(),
        pinning.short_form(fingerprint), " " + pinning.short_form(fingerprint).lower() + " ", fingerprint[:32],
    ):  # fmt: skip
        assert pinning.matches(typed, pem), typed
    flipped = ("0" if fingerprint[-1] != "0" else "1") + fingerprint[1:]
    for typed in (flipped, fingerprint[:31], fingerprint[:40], fingerprint + "00", "z" * 64, ""):
        assert not pinning.matches(typed, pem), typed
    assert all(pinning.is_loopback(h) for h in ("localhost", "LOCALHOST", "127.0.0.1", "127.8.9.10", "::1", "[::1]"))
    assert not any(pinning.is_loopback(h) for h in ("192.168.1.10", "10.0.0.1", "localhost.evil.example", "::2"))


def test_the_admin_dock_asks_for_the_fingerprint_of_an_https_server(
    qtbot: Any, central: Central, founder: Store, tmp_path: Path
) -> None:
    from tests.test_ui_admin import click, type_into
    from tests.ui_support import signed_in_window
    from ui.worker import worker

    window = signed_in_window(qtbot, founder, tmp_path)
    tab = window.dock_widget("admin").show_tab("sync")
    qtbot.waitUntil(tab.enrol_box.isVisible, timeout=15000)
    type_into(tab.server_url, "http://127.0.0.1:8765")
    assert not tab.enrol_form.isRowVisible(tab.fingerprint), "no fingerprint for this PC's own http server"
    type_into(tab.server_url, "http://192.168.1.10:8765")
    type_into(tab.code, central.codes[0])
    type_into(tab.pc_name, "Reception 1")
    click(tab.enrol_button)
    qtbot.waitUntil(lambda: tab.errors.message_for("server_url") == pinning.PLAIN_HTTP, timeout=15000)

    type_into(tab.server_url, central.server.url)
    assert tab.enrol_form.isRowVisible(tab.fingerprint)
    click(tab.enrol_button)
    qtbot.waitUntil(lambda: "Give the server certificate" in tab.errors.message_for("fingerprint"), timeout=15000)
    type_into(tab.fingerprint, pinning.colon_form(central.b.fingerprint()))
    click(tab.enrol_button)
    qtbot.waitUntil(lambda: tab.errors.message_for("fingerprint") == pinning.MISMATCH, timeout=15000)
    qtbot.waitUntil(tab.enrol_button.isEnabled, timeout=15000)
    assert nothing_enrolled(founder)

    type_into(tab.fingerprint, pinning.short_form(central.a.fingerprint()))
    click(tab.enrol_button)
    qtbot.waitUntil(lambda: tab.status.text().startswith("This PC is WS01 (Reception 1)"), timeout=15000)
    session = window.session
    assert session.sync_stop is not None
    session.sync_stop.set()
    assert founder.keys.get(pinning.CERT_KEY) == central.a.cert.read_bytes()
    qtbot.waitUntil(worker().idle, timeout=15000)
