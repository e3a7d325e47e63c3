"""Outgoing email. `send_mail` records the message in the outbox (storefront/outbox.py) inside
the action; the worker delivers it after the commit with `deliver_email`. With MAIL_SERVER
unset (local use, tests) delivered messages become .eml files in MAIL_OUTBOX_DIR, so a
developer can open them and tests can read them.
"""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound

from storefront.database import utcnow
from storefront.outbox import Channel, OutboxMessage, add_message


def send_mail(
    to: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    *,
    key: str | None = None,
    event: str = "mail",
    locale: str | None = None,
) -> OutboxMessage | None:
    """Record the message now (inside the action, where its data is at hand); the worker
    delivers it once the action commits. `key` names the event, so one event mails each
    recipient once. Needs a unit of work."""
    return add_message(
        channel=Channel.EMAIL,
        recipient=to,
        event=event,
        key=key,
        locale=locale or current_app.config["BABEL_DEFAULT_LOCALE"],
        subject=subject,
        text_body=text_body,
        html_body=html_body,
    )


def build_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    # One Message-ID per outbox row: a retry after a lost answer is the same message to the
    # receiving server, which may drop the copy.
    email["Message-ID"] = f"<outbox-{message.id}-{message.key_digest}@geraitangerang.local>"
    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    return email


def deliver_email(message: OutboxMessage) -> None:
    """Hand one outbox row to the SMTP server (or write it as an .eml file); raise on failure."""
    email = build_email(message)
    config = current_app.config
    if config["MAIL_SERVER"]:
        with smtplib.SMTP(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]
        ) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(email)
    else:
        outbox = Path(config["MAIL_OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%d-%H%M%S-%f")
        (outbox / f"{stamp}-{uuid.uuid4().hex[:8]}.eml").write_bytes(email.as_bytes())


def send_template(
    to: str,
    template: str,
    subject,
    *,
    locale: str | None = None,
    key: str | None = None,
    event: str | None = None,
    **context,
):
    """Send the text template `template` with `subject` (a lazy string), both in `locale`: the
    recipient's language, else the shop's default. A `.html` template beside the `.txt` one
    becomes the HTML part."""
    locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        text_body = render_template(template, **context)
        html_body = None
        if template.endswith(".txt"):
            try:
                html_body = render_template(template[:-4] + ".html", **context)
            except TemplateNotFound:
                html_body = None
        return send_mail(
            to,
            str(subject),
            text_body,
            html_body,
            key=key,
            event=event or template.rsplit("/", 1)[-1].split(".")[0],
            locale=locale,
        )
