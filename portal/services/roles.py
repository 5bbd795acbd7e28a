"""Who may do what: design section 5's table, written once.

Everything that depends on a role asks this module for a capability (``can(user, "handle_sar")``):
the ``@allow`` declaration on every staff route, the navigation, the services and the templates.
Nothing else names a role, so moving a duty from one role to another is one line here, and the
role-by-route test follows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

ROLE_LABELS = {
    "volunteer": "Volunteer",
    "caseworker": "Caseworker",
    "manager": "Strategic Manager",
    "dpo": "Data protection team",
    "admin": "Administrator",
}
ROLES = tuple(ROLE_LABELS)

# capability: (what it lets a person do, the roles that hold it)
CAPABILITIES: dict[str, tuple[str, frozenset[str]]] = {
    "use_back_office": ("sign in and see their own account and dashboard", frozenset(ROLES)),
    "work_on_assigned": (
        "see and work on the referrals and cases assigned to them",
        frozenset({"volunteer", "caseworker", "manager"}),
    ),
    "read_casework": ("see every referral and case", frozenset({"caseworker", "manager"})),
    "decide_casework": (
        "triage referrals and decide on cases: assign, accept, decline, consent, disclosures, closure",
        frozenset({"caseworker", "manager"}),
    ),
    "be_assigned": ("have referrals and cases assigned to them", frozenset({"caseworker", "volunteer"})),
    "oversee_casework": (
        "see every overdue review and every earlier version of a case note",
        frozenset({"manager"}),
    ),
    "approve_disclosure": ("approve sharing personal data without consent", frozenset({"manager"})),
    "list_disclosures": ("print a case's list of disclosures", frozenset({"caseworker", "manager", "dpo"})),
    "handle_sar": ("handle subject access requests and export records", frozenset({"dpo"})),
    "handle_complaints": ("handle data protection complaints", frozenset({"dpo"})),
    "handle_foi": ("handle Freedom of Information requests", frozenset({"manager"})),
    "read_audit_log": ("read the audit log", frozenset({"manager", "dpo"})),
    "read_statistics": (
        "read and freeze the anonymised statistics and the Annual Report",
        frozenset({"manager", "dpo"}),
    ),
    "read_retention": (
        "see what falls due for destruction, the holds, the destruction log and inactive cases",
        frozenset({"dpo", "manager"}),
    ),
    "hold_records": (
        "place and lift holds that keep records beyond their destruction date",
        frozenset({"dpo", "manager"}),
    ),
    "check_due_records": ("see which records fall due for destruction, by reference", frozenset({"dpo"})),
    "read_feedback_comments": ("read the comments families leave with their feedback", frozenset({"manager"})),
    "manage_accounts": (
        "create staff accounts, change roles, reset second factors, record training (never their own)",
        frozenset({"admin", "manager"}),
    ),
    "download_personal_data": (
        "print, export or download personal data",
        frozenset({"caseworker", "manager", "dpo", "admin"}),
    ),
    "sign_volunteer_agreement": ("must sign the current Volunteer Agreement", frozenset({"volunteer"})),
}


class HasRoles(Protocol):
    @property
    def role_set(self) -> frozenset[str]: ...


class UnknownCapability(LookupError):
    """A capability name that the table above does not declare: a typo, caught where it is made."""


def roles_with(*capabilities: str) -> frozenset[str]:
    """Every role holding at least one of ``capabilities``."""
    unknown = set(capabilities) - set(CAPABILITIES)
    if unknown:
        raise UnknownCapability(f"unknown capabilities {sorted(unknown)}")
    return frozenset(role for capability in capabilities for role in CAPABILITIES[capability][1])


def can(person: HasRoles | None, *capabilities: str) -> bool:
    """True when ``person`` holds at least one of ``capabilities``."""
    return person is not None and bool(person.role_set & roles_with(*capabilities))


Person = TypeVar("Person", bound=HasRoles)


def holders(people: Iterable[Person], capability: str) -> list[Person]:
    """Those of ``people`` who hold ``capability``, in the order given."""
    return [person for person in people if can(person, capability)]
