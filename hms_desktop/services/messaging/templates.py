"""Message templates: ``{placeholder}`` fields, the clinic's default templates, and editing them.

A template's text is plain text with ``{name}`` fields; ``{{`` and ``}}`` stand for literal braces. Only
plain names are fields: unlike ``str.format`` there is no attribute or index access (``{user.password}``),
so a template edited by an administrator can never reach into the values it is given.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from db.models.notifications import CHANNELS, NotificationTemplate
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.services.messaging.queue import clean_event_type
from hms_desktop.validation import clean_text

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
MAX_BODY = {"email": 10_000, "sms": 1_000, "whatsapp": 1_000, "in_app": 2_000}

# The fields each event offers its templates. A template may use any of them and no others.
ALLOWED_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "password_reset": frozenset({"full_name", "reset_code", "minutes", "clinic_name"}),
    "appointment_booked": frozenset(
        {"patient_name", "doctor_name", "appointment_date", "appointment_time", "appointment_number", "clinic_name"}
    ),
    "appointment_reminder": frozenset(
        {"patient_name", "doctor_name", "appointment_date", "appointment_time", "appointment_number", "clinic_name"}
    ),
    "payment_receipt": frozenset(
        {"patient_name", "invoice_number", "amount", "payment_date", "payment_method", "clinic_name"}
    ),
    "optical_ready": frozenset({"patient_name", "item", "code", "clinic_name", "clinic_phone"}),
}
# Fields without which a template is useless (a reset email without its code).
REQUIRED_PLACEHOLDERS: dict[str, frozenset[str]] = {"password_reset": frozenset({"reset_code"})}


@dataclass(frozen=True, kw_only=True)
class DefaultTemplate:
    name: str
    subject: str
    body: str


DEFAULT_TEMPLATES: dict[tuple[str, str], DefaultTemplate] = {
    ("password_reset", "email"): DefaultTemplate(
        name="Password reset",
        subject="Reset your HMS Desktop password",
        body="Hello {full_name},\n\n"
        "Use this code to reset your HMS Desktop password:\n\n"
        "    {reset_code}\n\n"
        "The code can be used once and expires in {minutes} minutes.\n"
        "If you did not ask for a reset, ignore this email: your password stays as it is.\n",
    ),
    ("appointment_booked", "sms"): DefaultTemplate(
        name="Appointment booked",
        subject="",
        body="Dear {patient_name}, your appointment {appointment_number} with {doctor_name} is booked for "
        "{appointment_date} at {appointment_time}. - {clinic_name}",
    ),
    ("optical_ready", "sms"): DefaultTemplate(
        name="Optical order or repair ready",
        subject="",
        body="Dear {patient_name}, your {item} ({code}) is ready to collect. - {clinic_name}",
    ),
    ("optical_ready", "email"): DefaultTemplate(
        name="Optical order or repair ready",
        subject="Your {item} is ready to collect",
        body="Dear {patient_name},\n\n"
        "Your {item} ({code}) is ready. Please collect it at the optical counter and bring this reference.\n\n"
        "{clinic_name}\n{clinic_phone}\n",
    ),
    ("payment_receipt", "email"): DefaultTemplate(
        name="Payment receipt",
        subject="Payment receipt for invoice {invoice_number}",
        body="Dear {patient_name},\n\n"
        "We have received your payment of Rs. {amount} by {payment_method} on {payment_date} "
        "for invoice {invoice_number}.\n\n"
        "Thank you,\n{clinic_name}\n",
    ),
}


@dataclass(frozen=True, kw_only=True)
class TemplateInfo:
    id: uuid.UUID
    event_type: str
    channel: str
    locale: str
    name: str
    subject: str
    body: str
    placeholders: tuple[str, ...]
    is_active: bool
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class Rendered:
    subject: str
    body: str
    template_id: uuid.UUID | None  # None when the built-in default was used


def placeholders(text: str, field: str = "text") -> list[str]:
    """The field names ``text`` uses, in order of first use; malformed braces raise ``ValidationError``."""
    names: list[str] = []
    for m in _TOKEN.finditer(text):
        token = m.group(0)
        if token in ("{{", "}}"):
            continue
        if token in ("{", "}"):
            raise ValidationError(field, "A brace is not closed. Write a field as {name}, a literal brace as {{ or }}.")
        name = (m.group(1) or "").strip()
        if not _NAME.match(name):
            raise ValidationError(field, f"{token} is not a field: a field is a plain name such as {{patient_name}}.")
        if name not in names:
            names.append(name)
    return names


def render(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with each ``{name}`` replaced by ``str(values[name])``; ``{{``/``}}`` become braces.

    A field with no value (missing, or None) raises ``ValidationError("values", ...)`` naming the field.
    """
    placeholders(text)  # refuses malformed text before anything is substituted

    def one(m: re.Match[str]) -> str:
        token = m.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = (m.group(1) or "").strip()
        value = values.get(name)
        if value is None:
            raise ValidationError("values", f"The message needs a value for {{{name}}}.")
        return str(value)

    return _TOKEN.sub(one, text)


def seed_default_templates(tx: Transaction) -> int:
    """Add each default template the store does not have yet (in English); returns how many were added."""
    s = tx.session
    added = 0
    for (event_type, channel), t in DEFAULT_TEMPLATES.items():
        exists = s.scalar(
            select(NotificationTemplate.id).where(
                NotificationTemplate.event_type == event_type,
                NotificationTemplate.channel == channel,
                NotificationTemplate.locale == "en",
            )
        )
        if exists is None:
            s.add(
                NotificationTemplate(
                    event_type=event_type,
                    channel=channel,
                    locale="en",
                    name=t.name,
                    subject=t.subject,
                    body=t.body,
                    placeholders=sorted(set(placeholders(t.subject) + placeholders(t.body))),
                    is_active=True,
                )
            )
            added += 1
    return added


def _info(t: NotificationTemplate) -> TemplateInfo:
    return TemplateInfo(
        id=t.id,
        event_type=t.event_type,
        channel=t.channel,
        locale=t.locale,
        name=t.name,
        subject=t.subject,
        body=t.body,
        placeholders=tuple(t.placeholders or ()),
        is_active=t.is_active,
        updated_at=t.updated_at,
    )


@requires("notifications.view")
def list_templates(ctx: Context) -> list[TemplateInfo]:
    with ctx.transaction(readonly=True) as tx:
        rows = tx.session.scalars(
            select(NotificationTemplate)
            .where(NotificationTemplate.deleted_at.is_(None))
            .order_by(NotificationTemplate.event_type, NotificationTemplate.channel, NotificationTemplate.locale)
        ).all()
        return [_info(t) for t in rows]


def _clean_body(body: str | None, channel: str) -> str:
    text = "\n".join(line.rstrip() for line in (body or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    text = text.strip("\n")
    if not text.strip():
        raise ValidationError("body", "The message text is required.")
    if len(text) > MAX_BODY[channel]:
        raise ValidationError("body", f"The message text can have at most {MAX_BODY[channel]} characters.")
    return text


@requires("notifications.templates")
def save_template(
    ctx: Context, event_type: str, channel: str, subject: str, body: str, locale: str = "en"
) -> TemplateInfo:
    """Create or replace the template of ``event_type`` on ``channel`` in ``locale``."""
    event = clean_event_type(event_type)
    allowed = ALLOWED_PLACEHOLDERS.get(event)
    if allowed is None:
        known = ", ".join(sorted(ALLOWED_PLACEHOLDERS))
        raise ValidationError("event_type", f"{event} is not an event that sends messages ({known}).")
    if channel not in CHANNELS:
        raise ValidationError("channel", "A template is for email, SMS, WhatsApp or in-app notifications.")
    lang = (locale or "").strip()
    if not _LOCALE.match(lang):
        raise ValidationError("locale", "The language is a code such as en, hi or ta-IN.")
    subject_text = clean_text(subject, "subject", label="Subject", required=channel == "email", max_len=200)
    body_text = _clean_body(body, channel)
    used: set[str] = set()
    for field, text in (("subject", subject_text), ("body", body_text)):
        names = placeholders(text, field)
        unknown = [n for n in names if n not in allowed]
        if unknown:
            offered = ", ".join("{" + n + "}" for n in sorted(allowed))
            raise ValidationError(field, f"{{{unknown[0]}}} is not available for this message. Use: {offered}.")
        used.update(names)
    missing = sorted(REQUIRED_PLACEHOLDERS.get(event, frozenset()) - used)
    if missing:
        raise ValidationError("body", f"The message must contain {{{missing[0]}}}.")

    with ctx.transaction() as tx:
        s = tx.session
        t = s.scalar(
            select(NotificationTemplate).where(
                NotificationTemplate.event_type == event,
                NotificationTemplate.channel == channel,
                NotificationTemplate.locale == lang,
            )
        )
        if t is None:
            default = DEFAULT_TEMPLATES.get((event, channel))
            name = default.name if default else event.replace("_", " ").capitalize()
            t = NotificationTemplate(event_type=event, channel=channel, locale=lang, name=f"{name} ({channel})")
            s.add(t)
        t.subject = subject_text
        t.body = body_text
        t.placeholders = sorted(used)
        t.is_active = True
        t.deleted_at = None
        tx.commit()
        return _info(t)


def render_event(
    tx: Transaction, event_type: str, channel: str, values: Mapping[str, Any], *, locale: str = "en"
) -> Rendered:
    """The message for ``event_type`` on ``channel``: the clinic's active template in ``locale`` (else English),
    else the built-in default. For services that queue a message inside their own transaction."""
    s = tx.session
    for lang in dict.fromkeys((locale, "en")):
        t = s.scalar(
            select(NotificationTemplate).where(
                NotificationTemplate.event_type == event_type,
                NotificationTemplate.channel == channel,
                NotificationTemplate.locale == lang,
                NotificationTemplate.is_active.is_(True),
                NotificationTemplate.deleted_at.is_(None),
            )
        )
        if t is not None:
            return Rendered(subject=render(t.subject, values), body=render(t.body, values), template_id=t.id)
    default = DEFAULT_TEMPLATES.get((event_type, channel))
    if default is None:
        raise NotFound(f"There is no {channel} message for {event_type}.")
    return Rendered(subject=render(default.subject, values), body=render(default.body, values), template_id=None)
