"""Back-office accounts, their second factor, and their server-side sessions. Roles are those of
design section 5."""

from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import EncryptedText, LookupHash
from portal.extensions import db


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(EncryptedText)
    email_hash: Mapped[str] = mapped_column(LookupHash, unique=True)
    name: Mapped[str] = mapped_column(EncryptedText)
    # Until the person chooses a password through a set-up link, this is the hash of a random one
    # nobody was ever told: no usable password, yet a sign-in attempt costs the same work.
    password_hash: Mapped[str] = mapped_column(String(255))
    # When the person last chose their password; None while they have no usable one.
    password_chosen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Space-separated roles of portal.services.roles; validated by the accounts service on every write.
    roles: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    # The second factor: a TOTP secret, counted only once a code from it has been confirmed.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText)
    totp_confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The newest 30-second step whose code was accepted: a code is good once, never replayed.
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)

    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    training_completed_on: Mapped[dt.date | None] = mapped_column(Date)
    volunteer_agreement_version: Mapped[str | None] = mapped_column(String(16))

    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="RecoveryCode.id"
    )

    @property
    def has_password(self) -> bool:
        return self.password_chosen_at is not None

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles.split())

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated account cannot be signed in
        return self.active

    @property
    def mfa_enrolled(self) -> bool:
        return self.totp_confirmed_at is not None


class RecoveryCode(db.Model):
    """A single-use code for when the authenticator is lost. Only its digest is kept: the codes are
    random (50 bits each) and shown once, so a digest cannot be reversed by guessing."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    code_sha256: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[StaffUser] = relationship(back_populates="recovery_codes")


class SetUpLink(db.Model):
    """A single-use link with which a person chooses their password and enrols their authenticator,
    after their account is made or an administrator resets either. Only the token's digest is kept:
    the token is 256 random bits, so the digest cannot be reversed by guessing, and a copy of the
    database opens no account. A person has at most one link: a new one replaces the old, and a
    link is deleted once used."""

    __tablename__ = "staff_set_up_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # Why it was sent ("new account", "password reset", "second factor reset"): the e-mail says so.
    purpose: Mapped[str] = mapped_column(String(24))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[StaffUser] = relationship()


class StaffSession(db.Model):
    """A back-office session, kept in the database so every app process sees a sign-out or a
    revocation at once. The cookie holds a random token; only its digest is stored."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    signed_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
