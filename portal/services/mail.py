"""Outgoing e-mail, chosen by ``MAIL_URL``.

``log://`` (the default outside production, which must name a relay) writes each message to the
log with its addresses and references masked, ``memory://`` keeps them in a list (for tests and
local inspection), ``smtp://user:password@host:587`` sends with STARTTLS and ``smtps://…`` with
implicit TLS. A failure to send is logged and never undoes the work that asked for the e-mail: a
stored referral stays stored whether or not its acknowledgement went out.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

# Any reference's shape (design section 4), whatever its prefix: the last group is hidden.
_REFERENCE = re.compile(r"\b([A-Z]{3}-[0-9A-Z]{4})-[0-9A-Z]{4}\b")
_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+")


def masked_address(address: str) -> str:
    """``zoe.family@example.com`` as ``z***@example.com``: the first character and the domain."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def masked(text: str) -> str:
    """``text`` with every reference's last four characters and every address's local part hidden."""
    text = _REFERENCE.sub(r"\1-****", text)
    return _ADDRESS.sub(lambda match: masked_address(match.group(0)), text)


@dataclass
class Mailer:
    url: str
    sender: str
    # Every message ends with how to reach the service (services/service_contact.py): whoever
    # reads an e-mail from the portal can answer it by telephone, e-mail or post.
    signature: str = ""
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
        message.set_content(f"{body}\n\n-- \n{self.signature}" if self.signature else body)
        scheme = self._parts.scheme
        if scheme == "memory":
            self.outbox.append(message)
            return True
        if scheme == "log":
            # A log is read by more people, and kept longer, than the mail itself: it gets enough to
            # see that a message went and roughly to whom, never an address or a reference whole.
            log.info("mail to %s: %s\n%s", masked_address(to), masked(subject), masked(body))
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
