"""Outgoing mail: to the log in development, kept in memory in tests, SMTP when configured."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app

logger = logging.getLogger("engage.mail")


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    body: str


def outbox() -> list[OutgoingMail]:
    """Mail sent with the memory backend (tests read it)."""
    box: list[OutgoingMail] = current_app.extensions.setdefault("engage_outbox", [])
    return box


def send_mail(to: str, subject: str, body: str) -> None:
    mail = OutgoingMail(to=to, subject=subject, body=body)
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "memory":
        outbox().append(mail)
    elif backend == "smtp":
        message = EmailMessage()
        message["From"] = current_app.config["MAIL_SENDER"]
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(current_app.config["SMTP_HOST"], current_app.config["SMTP_PORT"]) as smtp:
            if current_app.config["SMTP_STARTTLS"]:
                smtp.starttls()
            if current_app.config["SMTP_USERNAME"]:
                smtp.login(current_app.config["SMTP_USERNAME"], current_app.config["SMTP_PASSWORD"])
            smtp.send_message(message)
    else:
        logger.info("mail to %s: %s\n%s", to, subject, body)
