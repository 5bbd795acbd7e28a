"""SQLAlchemy models, one module per area. Importing this package registers them all."""

from portal.models.audit import AuditChainHead, AuditEntry
from portal.models.cases import Case, CaseNote, CaseNoteRevision, ContactEntry
from portal.models.consent import ConsentParty, ConsentRecord, ConsentReview, Disclosure
from portal.models.feedback import FeedbackAnswer, FeedbackInvitation
from portal.models.jobs import Job
from portal.models.referrals import (
    ConsentAttestation,
    Person,
    PrivacyNoticeVersion,
    Referral,
)
from portal.models.reminders import ReminderSent
from portal.models.requests import ChosenRecord, InformationRequest, RequestClockEvent, WithheldName
from portal.models.retention import DailyStep, DestructionLogEntry, RetentionHold
from portal.models.staff import RecoveryCode, StaffSession, StaffUser
from portal.models.statistics import FrozenCount, FrozenYear

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
    "DailyStep",
    "DestructionLogEntry",
    "Disclosure",
    "FeedbackAnswer",
    "FeedbackInvitation",
    "FrozenCount",
    "FrozenYear",
    "InformationRequest",
    "Job",
    "Person",
    "PrivacyNoticeVersion",
    "RecoveryCode",
    "Referral",
    "ReminderSent",
    "RequestClockEvent",
    "RetentionHold",
    "StaffSession",
    "StaffUser",
    "WithheldName",
]
