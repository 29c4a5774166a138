"""Outbound messages: the delivery queue, templates, SMTP email, the delivery worker and in-app notifications.

Building blocks other services call inside their own transaction (no permission of their own):
``enqueue`` (queue an email/SMS/WhatsApp message), ``notify`` (an in-app notification), ``render_event``
(a template's text for an event). Services: ``list_templates``, ``save_template``, ``deliver_due``,
``run_worker``, ``list_notifications``, ``mark_read``.
"""

from hms_desktop.services.messaging.inapp import NotificationInfo, list_notifications, mark_read, notify
from hms_desktop.services.messaging.queue import enqueue
from hms_desktop.services.messaging.smtp import DeliveryError, MailServer, send_email
from hms_desktop.services.messaging.templates import (
    DEFAULT_TEMPLATES,
    TemplateInfo,
    list_templates,
    render,
    render_event,
    save_template,
    seed_default_templates,
)
from hms_desktop.services.messaging.worker import DeliveryReport, deliver_due, run_worker

__all__ = [
    "DEFAULT_TEMPLATES",
    "DeliveryError",
    "DeliveryReport",
    "MailServer",
    "NotificationInfo",
    "TemplateInfo",
    "deliver_due",
    "enqueue",
    "list_notifications",
    "list_templates",
    "mark_read",
    "notify",
    "render",
    "render_event",
    "run_worker",
    "save_template",
    "seed_default_templates",
    "send_email",
]
