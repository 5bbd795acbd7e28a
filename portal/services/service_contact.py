"""How people reach the service, and who answers for their data: one value built from the settings
(``SERVICE_PHONE``, ``SERVICE_EMAIL``, ``SERVICE_ADDRESS``, ``SERVICE_HOURS``, the council's
safeguarding numbers, its complaints procedure, the controller and its data protection officer).

Every page (``service_contact`` in templates), the subject access PDF and every e-mail's signature
read this one value, so a changed telephone number is changed everywhere at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CONTACT_PATH = "/contact"


@dataclass(frozen=True)
class ServiceContact:
    phone: str
    email: str
    address: tuple[str, ...]  # one line each, as on an envelope
    hours: str
    safeguarding_phone: str  # the council's children's services front door, in office hours
    out_of_hours_phone: str  # its emergency duty team, evenings, weekends and bank holidays
    complaints_url: str  # the council's procedure for complaints about the service itself
    controller_name: str  # who decides how personal data is used: the council
    dpo_email: str
    dpo_address: tuple[str, ...]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ServiceContact:
        return cls(
            phone=config["SERVICE_PHONE"],
            email=config["SERVICE_EMAIL"],
            address=tuple(config["SERVICE_ADDRESS"]),
            hours=config["SERVICE_HOURS"],
            safeguarding_phone=config["SAFEGUARDING_PHONE"],
            out_of_hours_phone=config["SAFEGUARDING_OUT_OF_HOURS_PHONE"],
            complaints_url=config["COUNCIL_COMPLAINTS_URL"],
            controller_name=config["CONTROLLER_NAME"],
            dpo_email=config["DPO_EMAIL"],
            dpo_address=tuple(config["DPO_ADDRESS"]),
        )

    def email_signature(self, portal_url: str) -> str:
        """The lines every e-mail ends with. The link to the contact page is left out when the
        portal's address is not configured, rather than pointing somewhere wrong."""
        lines = [
            "SEND Partnership Service",
            f"Telephone: {self.phone} ({self.hours})",
            f"Email: {self.email}",
            f"Post: {', '.join(self.address)}",
        ]
        if portal_url:
            lines.append(f"All the ways to contact us: {portal_url}{CONTACT_PATH}")
        lines.append(
            f"If a child is at risk now: in an emergency call 999; otherwise call children's services on "
            f"{self.safeguarding_phone} (evenings, weekends and bank holidays: {self.out_of_hours_phone})."
        )
        return "\n".join(lines)
