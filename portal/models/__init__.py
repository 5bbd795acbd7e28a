"""SQLAlchemy models, one module per area. Importing this package registers them all."""

from portal.models.audit import AuditChainHead, AuditEntry
from portal.models.cases import Case, ContactEntry
from portal.models.referrals import (
    ConsentAttestation,
    Person,
    PrivacyNoticeVersion,
    Referral,
)
from portal.models.staff import RecoveryCode, StaffSession, StaffUser

__all__ = [
    "AuditChainHead",
    "AuditEntry",
    "Case",
    "ConsentAttestation",
    "ContactEntry",
    "Person",
    "PrivacyNoticeVersion",
    "RecoveryCode",
    "Referral",
    "StaffSession",
    "StaffUser",
]
