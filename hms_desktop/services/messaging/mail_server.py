"""The clinic's mail server, built from its settings and the key store, and the background delivery thread."""

from __future__ import annotations

import threading

from hms_desktop.context import Actor, Context
from hms_desktop.security.permissions import public, requires
from hms_desktop.services.messaging.smtp import MailServer
from hms_desktop.services.messaging.worker import run_worker
from hms_desktop.settings import smtp_settings


@requires("notifications.send")
def mail_server(ctx: Context) -> MailServer | None:
    """None while email is not set up (no SMTP host); the worker then leaves the queue as it is."""
    config = smtp_settings(ctx)
    if not config.host or not config.from_addr:
        return None
    return MailServer(
        host=config.host,
        port=config.port,
        tls=config.tls,
        user=config.user,
        password=config.password or "",
        from_addr=config.from_addr,
    )


@public
def start_delivery(ctx: Context, *, interval: float = 15) -> threading.Event:
    """Deliver queued email in a daemon thread, as the system; set the returned event to stop it.

    Public because it acts for the clinic, not for the caller: the app starts it before anyone signs in
    (a password reset can be asked for from the sign-in window), and the thread holds only the system actor.
    """
    system = ctx.as_actor(Actor.system("mail delivery"))
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, args=(system, lambda: mail_server(system), stop, interval), name="hms-mail", daemon=True
    )
    thread.start()
    return stop
