"""SQLAlchemy models, one module per area. Importing this package registers them all."""

from portal.models.audit import AuditChainHead, AuditEntry
from portal.models.cases import Case, CaseNote, CaseNoteRevision, ContactEntry
from portal.models.consent import ConsentParty, ConsentRecord, ConsentReview, Disclosure
from portal.models.referrals import (
    ConsentAttestation,
    Person,
    PrivacyNoticeVersion,
    Referral,
)
from portal.models.requests import ChosenRecord, InformationRequest, RequestClockEvent, WithheldName
from portal.models.staff import RecoveryCode, StaffSession, StaffUser

__all__ = [
    "AuditChainHead",
    "AuditEntry",
    "Case",
    "CaseNote",
    "CaseNoteRevision",
    "ChosenRecord",
    "ConsentAttestation",
    "ConsentParty",
    "ConsentRecord",
    "ConsentReview",
    "ContactEntry",
    "Disclosure",
    "InformationRequest",
    "Person",
    "PrivacyNoticeVersion",
    "RecoveryCode",
    "Referral",
    "RequestClockEvent",
    "StaffSession",
    "StaffUser",
    "WithheldName",
]
