"""Every action the audit log records, declared once with the words the log shows for it.

``audit.record`` refuses an action that is not declared here, so a mistyped or invented name fails
the first test that reaches it instead of writing entries nobody can find with the log's filter.
An action is a fixed name; what varies (which note, which step, how many found) goes in the entry's
detail. The stored name is at most 48 characters (the column's width); the label is for people.
"""

from __future__ import annotations

AUDIT_ACTIONS: dict[str, str] = {
    # Signing in and out, and one's own account.
    "sign-in: password accepted": "Password accepted at sign-in",
    "sign-in failed": "Sign-in failed",
    "sign-in refused: locked": "Sign-in refused: account locked",
    "account locked": "Account locked after repeated failures",
    "signed in": "Signed in",
    "signed out": "Signed out",
    "second factor enrolled": "Set up an authenticator app",
    "password changed": "Changed their password",
    "sign-in refused: no authenticator": "Sign-in refused: no authenticator set up (set-up link needed)",
    "password set": "Chose their password",
    "set-up link used": "Finished setting up their account with a set-up link",
    # Staff accounts.
    "staff list viewed": "Viewed the list of staff accounts",
    "staff account viewed": "Viewed a staff account",
    "account created": "Created a staff account",
    "set-up link issued": "Sent a set-up link",
    "own account change refused": "Refused: a change to their own account",
    "password reset": "Reset a password",
    "second factor changed": "Changed an authenticator app",
    "second factor reset": "Reset a second factor",
    "roles changed": "Changed roles",
    "account deactivated": "Deactivated an account",
    "account reactivated": "Reactivated an account",
    "training recorded": "Recorded confidentiality training",
    "volunteer agreement recorded": "Recorded the Volunteer Agreement",
    # Referrals.
    "referrals searched by email": "Searched referrals by email address",
    "referrals searched by person": "Searched referrals by name, date of birth or postcode",
    "referral queue viewed": "Viewed the referral queue",
    "case list viewed": "Viewed the list of cases",
    "request queue viewed": "Viewed the requests queue",
    "cases searched by person": "Searched cases by name, date of birth or postcode",
    "referral viewed": "Viewed a referral",
    "referral assigned": "Assigned a referral",
    "referral accepted": "Accepted a referral",
    "referral declined": "Declined a referral",
    "referral withdrawn": "Recorded that a family withdrew a referral",
    "consent attestation recorded": "Recorded a consent attestation",
    "contact refused: no consent on record": "Contact refused: no consent on record",
    "contact logged": "Logged contact",
    # Cases.
    "case viewed": "Viewed a case",
    "case summary printed": "Opened a case's summary to print",
    "case note viewed": "Viewed a case note",
    "case note added": "Added a case note",
    "case note edited": "Edited a case note",
    "case details changed": "Changed a case's details",
    "case assigned": "Assigned a case",
    "case closed": "Closed a case",
    "case reopened": "Reopened a case",
    "feedback link sent": "Sent the family a feedback link",
    "consent recorded": "Recorded consent",
    "consent withdrawn": "Recorded a withdrawal of consent",
    "consent reviewed": "Reviewed consent",
    "disclosures viewed": "Viewed a case's disclosures",
    "disclosure viewed": "Viewed a disclosure without consent for its approval",
    "disclosure refused": "Disclosure refused",
    "disclosure recorded": "Recorded a disclosure",
    "disclosure awaiting approval": "Recorded a disclosure awaiting approval",
    "disclosure approved": "Approved a disclosure",
    "disclosure declined": "Declined a disclosure",
    "disclosure approval refused": "Disclosure approval refused",
    # Information requests: subject access, FOI and complaints.
    "information request viewed": "Viewed an information request",
    "request clock changed": "Changed a request's clock",
    "request deadline extended": "Extended a request's deadline",
    "requester identity verified": "Verified a requester's identity",
    "child's confirmation recorded": "Recorded a child's confirmation",
    "records searched for a subject access request": "Searched records for a subject access request",
    "records chosen for a subject access request": "Chose records for a subject access request",
    "name withheld from a subject access response": "Withheld a name from a subject access response",
    "withheld name removed": "Stopped withholding a name",
    # Before issue 14 the response was drawn in the request and downloaded at once; kept for those entries.
    "subject access response generated and downloaded": "Downloaded a subject access response",
    # Since, a job draws it: asked for by the person, made (or not) by a worker on their behalf.
    "subject access response requested": "Asked for a subject access response PDF",
    "subject access response ready": "A subject access response PDF was made (kept encrypted until downloaded)",
    "subject access response failed": "A subject access response PDF could not be made",
    "subject access response downloaded": "Downloaded a subject access response PDF",
    "complaint acknowledged": "Acknowledged a complaint",
    "information request closed": "Closed an information request",
    # Family feedback: comments are shown to managers only.
    "feedback comments viewed": "Viewed families' feedback comments",
    # Anonymised statistics: every view and download, though none holds personal data.
    "statistics viewed": "Viewed a year's statistics",
    "statistics downloaded": "Downloaded a year's statistics or Annual Report",
    "statistics frozen": "Froze a year's statistics",
    "annual report requested": "Asked for an Annual Report PDF",
    "annual report ready": "An Annual Report PDF was made (kept encrypted until downloaded)",
    "annual report failed": "An Annual Report PDF could not be made",
    "annual report downloaded": "Downloaded an Annual Report PDF",
    # Retention and destruction (design 8): runs are counted, never listed by record.
    "referral lapsed": "Closed a referral as lapsed (new for too long, with no contact)",
    "retention purge run": "Destroyed the records due for destruction",
    "retention purge dry run": "Counted the records due for destruction (dry run)",
    "retention overview viewed": "Viewed what falls due for destruction",
    "retention hold placed": "Placed a hold on records due for destruction",
    "retention hold lifted": "Lifted a hold on records",
    # The daily command's reminders: one entry per run, with counts only.
    "reminders sent": "Sent the day's reminders by e-mail (counts only)",
    # The log itself.
    "audit log viewed": "Viewed the audit log",
    "audit entries removed": "Removed audit entries older than their retention period",
}


class UndeclaredAuditAction(ValueError):
    """An audit entry was asked for with an action that is not in ``AUDIT_ACTIONS``."""

    def __init__(self, action: str) -> None:
        super().__init__(f"{action!r} is not a declared audit action: add it to portal/services/audit_actions.py")
        self.action = action


def require_declared(action: str) -> None:
    if action not in AUDIT_ACTIONS:
        raise UndeclaredAuditAction(action)


def label(action: str) -> str:
    """What the log shows for ``action``; an entry written under a name since retired shows its name."""
    return AUDIT_ACTIONS.get(action, action)
