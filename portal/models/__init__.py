"""SQLAlchemy models, one module per area. Importing this package registers them all."""

from portal.models.referrals import (
    ConsentAttestation,
    Person,
    PrivacyNoticeVersion,
    Referral,
)
from portal.models.staff import StaffUser

__all__ = ["ConsentAttestation", "Person", "PrivacyNoticeVersion", "Referral", "StaffUser"]
