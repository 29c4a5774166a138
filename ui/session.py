"""The signed-in session of this window: the store, who is signed in, their context for service calls."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from hms_desktop.clock import Clock
from hms_desktop.context import Actor, Context
from hms_desktop.runtime import context_for, local_workstation
from hms_desktop.services.admin import auth
from hms_desktop.services.admin.clinic_time import DEFAULT_ZONE
from hms_desktop.services.admin.desk import DeskSettings, desk_settings
from hms_desktop.services.admin.sessions import SessionTokens
from hms_desktop.storage.store import Store
from ui.changes import ChangeHub


@dataclass
class AppSession:
    store: Store
    base: Context
    tokens: SessionTokens | None = field(default=None, repr=False)
    sync_stop: threading.Event | None = field(default=None, repr=False)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_ZONE))  # the clinic's, read at sign-in
    # What every role's screens read of the clinic's settings (idle lock, code prefixes, state), at sign-in.
    desk: DeskSettings = field(default_factory=DeskSettings)
    _changes: ChangeHub | None = field(default=None, repr=False)

    @classmethod
    def open(cls, store: Store) -> AppSession:
        session = cls(store, context_for(store))
        session.read_desk()
        return session

    @property
    def changes(self) -> ChangeHub:
        """What changed in the store (this PC's actions and synced rows), as a Qt signal (UI thread only)."""
        if self._changes is None:
            self._changes = ChangeHub(self.store.engine)
        return self._changes

    @property
    def clock(self) -> Clock:
        return self.base.clock

    def read_desk(self) -> None:
        """The clinic's settings every role's screens need, the time zone among them, in one read."""
        self.desk = desk_settings(self.base)
        self.zone = ZoneInfo(self.desk.timezone)

    @property
    def actor(self) -> Actor:
        return self.tokens.actor if self.tokens else Actor.anonymous()

    @property
    def ctx(self) -> Context:
        return replace(self.base, actor=self.actor)

    def can(self, *codes: str) -> bool:
        return any(self.actor.can(c) for c in codes)

    def login(self, email: str, password: str) -> SessionTokens:
        """Runs on the worker thread."""
        self.tokens = auth.login(self.base, email, password)
        self.read_desk()
        return self.tokens

    @property
    def must_change_password(self) -> bool:
        """Signed in with a temporary password not yet replaced (the services refuse everything else)."""
        return self.tokens is not None and self.tokens.must_change_password

    def password_changed(self) -> None:
        if self.tokens is not None:
            self.tokens = replace(self.tokens, must_change_password=False)

    def refresh(self) -> SessionTokens:
        assert self.tokens is not None
        self.tokens = auth.refresh(self.base, self.tokens.refresh_token)
        return self.tokens

    def logout(self) -> None:
        if self.tokens is not None:
            auth.logout(self.base, self.tokens.refresh_token)
        self.tokens = None

    def start_sync(self) -> bool:
        """Sync in the background if this PC is enrolled (once; True when it runs)."""
        if self.sync_stop is None:
            from hms_desktop.sync.background import start_background_sync

            self.sync_stop = start_background_sync(self.store)
        return self.sync_stop is not None

    def enrolled(self) -> None:
        """After enrolment: this PC's workstation (and audit chain) is the server's; then sync in the background."""
        self.base = replace(self.base, workstation=local_workstation(self.store))
        self.start_sync()

    def close(self) -> None:
        if self._changes is not None:
            self._changes.close()
        if self.sync_stop is not None:
            self.sync_stop.set()
        self.store.close()
