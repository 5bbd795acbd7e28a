"""Outgoing e-mail, chosen by ``MAIL_URL``.

``log://`` (the default) writes each message to the log, ``memory://`` keeps them in a list (for
tests and local inspection), ``smtp://user:password@host:587`` sends with STARTTLS and
``smtps://…`` with implicit TLS. A failure to send is logged and never undoes the work that asked
for the e-mail: a stored referral stays stored whether or not its acknowledgement went out.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)


@dataclass
class Mailer:
    url: str
    sender: str
    outbox: list[EmailMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._parts = urlsplit(self.url)
        if self._parts.scheme not in ("log", "memory", "smtp", "smtps"):
            raise ValueError(f"MAIL_URL scheme must be log, memory, smtp or smtps, not {self._parts.scheme!r}")

    def send(self, to: str, subject: str, body: str) -> bool:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        scheme = self._parts.scheme
        if scheme == "memory":
            self.outbox.append(message)
            return True
        if scheme == "log":
            log.info("mail to %s: %s\n%s", to, subject, body)
            return True
        try:
            self._send_smtp(message)
        except (OSError, smtplib.SMTPException):
            log.exception("mail with subject %r could not be sent", subject)
            return False
        return True

    def _send_smtp(self, message: EmailMessage) -> None:
        parts = self._parts
        host = parts.hostname or "localhost"
        context = ssl.create_default_context()
        if parts.scheme == "smtps":
            server: smtplib.SMTP = smtplib.SMTP_SSL(host, parts.port or 465, timeout=10, context=context)
        else:
            server = smtplib.SMTP(host, parts.port or 587, timeout=10)
        with server:
            if parts.scheme == "smtp":
                server.starttls(context=context)
            if parts.username:
                server.login(unquote(parts.username), unquote(parts.password or ""))
            server.send_message(message)
