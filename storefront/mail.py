"""Outgoing email. `send_mail` records the message in the outbox (storefront/outbox.py) inside
the action; the worker delivers it after the commit with `deliver_email`. With MAIL_SERVER
unset (local use, tests) delivered messages become .eml files in MAIL_OUTBOX_DIR, so a
developer can open them and tests can read them.
"""

from __future__ import annotations

import re
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from markupsafe import Markup, escape

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
    note: str | None = None,
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
        note=note,
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


_LINK = re.compile(r"(https?://[^\s<>\"]+)")


def html_from_text(text: str, subject: str, locale: str) -> str:
    """The HTML part of an email that has no HTML template of its own: the text in the shop's
    simple layout, paragraphs kept, addresses made into links (everything else escaped)."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = []
        for line in block.splitlines():
            pieces = _LINK.split(line)
            lines.append(
                Markup("").join(
                    Markup('<a href="{0}">{0}</a>').format(piece) if i % 2 else escape(piece)
                    for i, piece in enumerate(pieces)
                )
            )
        paragraphs.append(Markup("<br>").join(lines))
    return render_template("email/layout.html", paragraphs=paragraphs, subject=subject, lang=locale)


def send_template(
    to: str,
    template: str,
    subject,
    *,
    locale: str | None = None,
    key: str | None = None,
    event: str | None = None,
    note: str | None = None,
    **context,
):
    """Send the text template `template` with `subject` (a lazy string), both in `locale`: the
    recipient's language, else the shop's default. A `.html` template beside the `.txt` one
    becomes the HTML part; without one, the text in the shop's email layout."""
    locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        subject = str(subject)
        text_body = render_template(template, **context)
        try:
            html_body = render_template(template.removesuffix(".txt") + ".html", **context)
        except TemplateNotFound:
            html_body = html_from_text(text_body, subject, locale)
        return send_mail(
            to,
            subject,
            text_body,
            html_body,
            key=key,
            event=event or template.rsplit("/", 1)[-1].split(".")[0],
            locale=locale,
            note=note,
        )
