"""Outgoing email. With MAIL_SERVER unset (local use, tests) messages become .eml files in
MAIL_OUTBOX_DIR, so a developer can open them and tests can read them.

Mail is a side effect of an action: `send_mail` is the one place where "a message is due" is
recorded, and the message leaves only once the action has committed (a rolled-back action
sends nothing; docs/architecture.md). An outbox row written in the same transaction would
replace the after-commit delivery here, and nowhere else.
"""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

from storefront.database import after_commit, utcnow


def send_mail(to: str, subject: str, text_body: str, html_body: str | None = None) -> EmailMessage:
    """Write the message now (inside the action, where its data is at hand) and deliver it once
    the action commits. Needs a unit of work."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="geraitangerang.local")
    message.set_content(text_body)
    if html_body:
        message.add_alternative(html_body, subtype="html")
    after_commit(lambda: _deliver(message))
    return message


def _deliver(message: EmailMessage) -> None:
    config = current_app.config
    if config["MAIL_SERVER"]:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    else:
        outbox = Path(config["MAIL_OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%d-%H%M%S-%f")
        (outbox / f"{stamp}-{uuid.uuid4().hex[:8]}.eml").write_bytes(message.as_bytes())


def send_template(to: str, template: str, subject, *, locale: str | None = None, **context):
    """Send the text template `template` with `subject` (a lazy string), both in `locale`: the
    recipient's language, else the shop's default."""
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return send_mail(to, str(subject), render_template(template, **context))
