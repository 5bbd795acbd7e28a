"""Subject access requests before release (design 6.5): identity, an extension, a child's
confirmation, the records chosen, and the response PDF with other people's data withheld. (The
clock's events, which FOI requests have too, are recorded by ``requests.record_clock_event``.)

Nothing is released until the requester's identity is verified and recorded (how, by whom, when)
and, where someone else (a parent or carer, or someone acting with authority) asks for the records
of a child of 12 or over, the outcome of seeking the child's confirmation is recorded. Records are
found by keyed-hash look-ups of the subject's details (no one's records are decrypted to search)
and chosen by the data protection team, who read them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.crypto import identity_key, keyring, name_letters, normalise_email
from portal.extensions import db
from portal.models.cases import Case
from portal.models.referrals import Person, Referral
from portal.models.requests import ChosenRecord, InformationRequest, WithheldName
from portal.services import audit, case_records, references
from portal.services.audit import Actor
from portal.services.case_codes import topic_label
from portal.services.case_records import CaseRecords
from portal.services.clock import london_day, long_date
from portal.services.consent import GIVER_LABELS, METHOD_LABELS, REVIEW_LABELS
from portal.services.contact import DIRECTION_LABELS
from portal.services.contact import METHOD_LABELS as CONTACT_LABELS
from portal.services.deadlines import SubjectAccess
from portal.services.disclosures import BASIS_LABELS
from portal.services.pdf import Entry, ResponseDocument, Section, render_pdf
from portal.services.redaction import MARKER, THIRD_PARTY_REASON, Redaction, Redactor, Withholding
from portal.services.requests import (
    RequestRefused,
    date_problems,
    needs_child_confirmation,
    refresh_due_on,
    release_problems,
)
from portal.services.validation import NAME_MAX, InvalidInput, long_text, required_text

VERIFIED_HOW_LABELS = {
    "photo_id_and_address": "Copies of photo ID and proof of address checked",
    "seen_in_person": "Documents seen in person",
    "known_to_service": "Known to the service: confirmed by questions only they could answer",
    "authority_document": "Document giving authority to act checked (for example a power of attorney)",
}
CHILD_CONFIRMATION_LABELS = {
    "agreed": "Sought: the child agreed",
    "refused": "Sought: the child did not agree",
    "not_sought": "Not sought",
    "not_needed": "Not needed",
}
OTHER_PERSON = "Another person's details (name and contact details)"
PERSON_LABELS = {"child": "Child or young person", "parent_carer": "Parent or carer", "referrer": "Referrer"}


def _sar_only(request: InformationRequest, field: str) -> None:
    if request.kind != "sar":
        raise RequestRefused({field: "Only a subject access request has this step"})
    if request.status == "closed":
        raise RequestRefused({field: "The request is closed"})


def verify_identity(
    request: InformationRequest, how: str | None, verified_on: dt.date | None, actor: Actor, today: dt.date
) -> None:
    _sar_only(request, "verified_how")
    if request.identity_verified_on is not None:
        raise RequestRefused({"verified_how": "The identity is already recorded as verified"})
    problems = {}
    if how not in VERIFIED_HOW_LABELS:
        problems["verified_how"] = "Select how the identity was verified"
    problems |= date_problems("verified_on", verified_on, request, today, "the date the identity was verified")
    if problems:
        raise RequestRefused(problems)
    request.identity_verified_how = how
    request.identity_verified_on = verified_on
    request.identity_verified_by_id = actor.staff_id
    request.identity_verified_at = actor.at
    audit.record(actor, "requester identity verified", "information_request", request.id, detail=how)
    db.session.commit()


def extend(
    request: InformationRequest,
    months: int | None,
    reason: str,
    notice_sent_on: dt.date | None,
    actor: Actor,
    today: dt.date,
) -> None:
    """Extend once, by one or two further months, with the reason and the date the requester was
    told (which must be within the original deadline)."""
    _sar_only(request, "extension_months")
    if request.extension_months:
        raise RequestRefused({"extension_months": "The deadline has already been extended once"})
    problems: dict[str, str] = {}
    most = SubjectAccess.MAX_EXTENSION_MONTHS
    if months not in range(1, most + 1):
        problems["extension_months"] = f"Select an extension of 1 or {most} months"
    cleaned = long_text(reason, "why the request needs more time", "extension_reason", problems)
    problems |= date_problems(
        "notice_sent_on", notice_sent_on, request, today, "the date the requester was told about the extension"
    )
    if notice_sent_on is not None and "notice_sent_on" not in problems and notice_sent_on > request.due_on:
        problems["notice_sent_on"] = (
            f"The requester must be told within the original deadline, {long_date(request.due_on)}"
        )
    if problems:
        raise RequestRefused(problems)
    request.extension_months = months
    request.extension_reason = cleaned
    request.extension_notice_sent_on = notice_sent_on
    refresh_due_on(request)
    audit.record(actor, "request deadline extended", "information_request", request.id, detail=f"{months} months")
    db.session.commit()


def record_child_confirmation(request: InformationRequest, outcome: str | None, note: str, actor: Actor) -> None:
    _sar_only(request, "child_confirmation")
    if not needs_child_confirmation(request):
        raise RequestRefused({"child_confirmation": "This request is not for the records of a child of 12 or over"})
    if request.child_confirmation is not None:
        raise RequestRefused({"child_confirmation": "The outcome is already recorded"})
    problems: dict[str, str] = {}
    if outcome not in ("agreed", "refused", "not_sought"):
        problems["child_confirmation"] = "Select the outcome"
    what = "why it was not sought" if outcome == "not_sought" else "what the child said, and how"
    cleaned = long_text(note, what, "child_confirmation_note", problems)
    if problems:
        raise RequestRefused(problems)
    request.child_confirmation = outcome
    request.child_confirmation_note = cleaned
    request.child_confirmation_by_id = actor.staff_id
    audit.record(actor, "child's confirmation recorded", "information_request", request.id, detail=outcome)
    db.session.commit()


def _other_names(request: InformationRequest) -> list[str]:
    """The other names the subject has been known by, as typed: separated by commas or semicolons."""
    return [name.strip() for name in (request.subject_other_names or "").replace(";", ",").split(",") if name.strip()]


@dataclass(frozen=True)
class Match:
    referral: Referral
    reasons: list[str]
    chosen: bool


def matching_records(request: InformationRequest, actor: Actor) -> list[Match]:
    """Referrals (and their cases) that may hold the subject's data, found by keyed hashes of the
    subject's name and date of birth (and any other names), the requester's e-mail address and a
    reference they quoted. The search is audited; what it found is for the team to read."""
    matches = _matches(request)
    audit.record(actor, "records searched for a subject access request", "information_request", request.id)
    db.session.commit()
    return matches


def referrals_matching(request: InformationRequest) -> dict[int, list[str]]:
    """The ids of the referrals the request's keyed hashes find, each with why: the subject's name
    and date of birth (and other names), the requester's e-mail address and a reference they quoted.
    Any kind of request can match by the last two; retention keeps what they find (design 8)."""
    ring = keyring()
    reasons: dict[int, list[str]] = {}

    def found(referral_ids: list[int], why: str) -> None:
        for referral_id in referral_ids:
            reasons.setdefault(referral_id, []).append(why)

    born = request.subject_date_of_birth
    if born is not None:
        names = [request.subject_name or "", *_other_names(request)]
        hashes = [h for name in names if name for h in ring.lookup_hashes(identity_key(name, born))]
        found(
            list(db.session.scalars(select(Person.referral_id).where(Person.identity_hash.in_(hashes)))),
            "name and date of birth",
        )
    if request.email:
        hashes = ring.lookup_hashes(normalise_email(request.email))
        found(
            list(db.session.scalars(select(Person.referral_id).where(Person.email_hash.in_(hashes)))),
            "the requester's email address",
        )
    if request.reference_given:
        try:
            quoted = references.parse(request.reference_given)
        except references.InvalidReference:
            quoted = None
        if quoted is not None and quoted.prefix == "SPS":
            found(
                list(
                    db.session.scalars(
                        select(Referral.id).where(Referral.reference_hash.in_(ring.lookup_hashes(str(quoted))))
                    )
                ),
                "the reference quoted",
            )
    return reasons


def _matches(request: InformationRequest) -> list[Match]:
    reasons = referrals_matching(request)
    chosen = {record.referral_id for record in request.chosen_records}
    ids = set(reasons) | chosen
    referrals = (
        db.session.scalars(
            select(Referral).where(Referral.id.in_(ids)).options(selectinload(Referral.people)).order_by(Referral.id)
        ).all()
        if ids
        else []
    )
    return [
        Match(referral, sorted(set(reasons.get(referral.id, ["chosen earlier"]))), referral.id in chosen)
        for referral in referrals
    ]


def choose_records(request: InformationRequest, referral_ids: list[int], actor: Actor) -> None:
    """Replace the records chosen for the response with those ticked, from the matches found."""
    _sar_only(request, "records")
    allowed = {match.referral.id for match in _matches(request)}
    wanted = set(referral_ids)
    if not wanted <= allowed:
        raise RequestRefused({"records": "Choose only from the records found for this request"})
    request.chosen_records = [
        ChosenRecord(referral_id=referral_id, chosen_by_id=actor.staff_id, chosen_at=actor.at)
        for referral_id in sorted(wanted)
    ]
    audit.record(
        actor,
        "records chosen for a subject access request",
        "information_request",
        request.id,
        detail=f"{len(wanted)} referrals",
    )
    db.session.commit()


def add_withheld_name(request: InformationRequest, text: str, actor: Actor) -> None:
    _sar_only(request, "withheld_name")
    try:
        cleaned = required_text(text, "the name to withhold", NAME_MAX)
    except InvalidInput as error:
        raise RequestRefused({"withheld_name": str(error)}) from None
    if len(cleaned) < 2:
        raise RequestRefused({"withheld_name": "Enter at least 2 characters"})
    request.withheld_names.append(WithheldName(text=cleaned, added_by_id=actor.staff_id, added_at=actor.at))
    audit.record(actor, "name withheld from a subject access response", "information_request", request.id)
    db.session.commit()


def withheld_name_on(request: InformationRequest, name_id: int) -> WithheldName | None:
    return next((name for name in request.withheld_names if name.id == name_id), None)


def remove_withheld_name(request: InformationRequest, name: WithheldName, actor: Actor) -> None:
    _sar_only(request, "withheld_name")
    request.withheld_names.remove(name)
    audit.record(actor, "withheld name removed", "information_request", request.id)
    db.session.commit()


# The response.


def _person_entry(person: Person, whole_entries: set[int], withheld: list[Redaction], where: str) -> Entry:
    if person.id in whole_entries:
        line = Withholding(OTHER_PERSON, f"{where}: {PERSON_LABELS[person.role].lower()}", THIRD_PARTY_REASON)
        withheld.append(Redaction(line, written=person.full_name))
        return Entry(PERSON_LABELS[person.role], None, [("Details", MARKER)])
    fields = (
        ("Name", person.full_name),
        ("Date of birth", long_date(person.date_of_birth)),
        ("Organisation", person.organisation or ""),
        ("Email", person.email or ""),
        ("Telephone", person.phone or ""),
        ("Address", "\n".join(part for part in (person.address, person.postcode) if part)),
    )
    return Entry(PERSON_LABELS[person.role], None, [(label, value) for label, value in fields if value])


@dataclass
class _Records:
    """Everything held from one referral, read once (by ``case_records``, the case's timeline's
    reader) for both the third parties and the sections."""

    referral: Referral
    case: Case | None
    held: CaseRecords


def _records_of(referral: Referral) -> _Records:
    case = db.session.scalar(select(Case).where(Case.referral_id == referral.id))
    return _Records(referral, case, case_records.read(referral.id, case.id if case else None))


def _sections_of(
    records: _Records, whole_entries: set[int], withheld: list[Redaction]
) -> tuple[list[Section], list[str]]:
    """The referral and its case as sections (empty ones left out); and the staff named in them."""
    referral, case, held = records.referral, records.case, records.held
    contacts, notes, consents, reviews = held.contacts, held.notes, held.consents, held.reviews
    # Only approved disclosures were shared (one awaiting approval or declined was not); every
    # recipient is still withheld by name (_third_parties).
    disclosures = held.shared_disclosures
    # The staff named in the response, the only ones whose names it may withhold.
    shown_staff = {entry.recorded_by_id for entry in (*contacts, *consents, *reviews, *disclosures)}
    shown_staff |= {note.written_by_id for note in notes}
    names = {staff_id: name for staff_id, name in held.names.items() if staff_id in shown_staff}
    sections = [
        Section(
            f"Referral {referral.reference}",
            [
                Entry(
                    "Referral",
                    london_day(referral.submitted_at),
                    [
                        ("Route", "Self-referral" if referral.route == "self" else "Professional referral"),
                        ("School or setting", referral.school_or_setting),
                        ("Needs and support asked for", referral.needs),
                        ("Status", referral.status.capitalize()),
                    ],
                ),
                *(
                    _person_entry(person, whole_entries, withheld, f"Referral {referral.reference}")
                    for person in referral.people
                ),
            ],
        )
    ]
    if case is not None:
        details = [
            ("Status", case.status.capitalize()),
            ("Topic", topic_label(case.topic) or ""),
            ("Outcome", case.outcome or ""),
        ]
        sections.append(
            Section("Case", [Entry("Case opened", london_day(case.opened_at), [f for f in details if f[1]])])
        )
    sections.append(
        Section(
            "Case notes",
            [
                Entry(
                    "Case note",
                    london_day(note.written_at),
                    [("Written by", names.get(note.written_by_id, "")), ("Note", note.text)],
                )
                for note in notes
            ],
        )
    )
    sections.append(
        Section(
            "Consent",
            [
                Entry(
                    "Consent given",
                    consent.given_on,
                    [
                        ("Given by", GIVER_LABELS.get(consent.given_by, consent.given_by)),
                        ("How", METHOD_LABELS.get(consent.method, consent.method)),
                        ("Keep contact information", "Yes" if consent.keeps_contact_information else "No"),
                        ("Who information may be shared with", "\n".join(p.name for p in consent.parties) or "No one"),
                        ("Withdrawn", long_date(consent.withdrawn_on) if consent.withdrawn_on else "Not withdrawn"),
                        ("Recorded by", names.get(consent.recorded_by_id, "")),
                    ],
                )
                for consent in consents
            ],
        )
    )
    sections.append(
        Section(
            "Consent reviews",
            [
                Entry(
                    "Consent reviewed",
                    review.reviewed_on,
                    [
                        ("Outcome", REVIEW_LABELS.get(review.outcome, review.outcome)),
                        ("Next review due", long_date(review.next_due) or "None: consent withdrawn"),
                        ("Recorded by", names.get(review.recorded_by_id, "")),
                    ],
                )
                for review in reviews
            ],
        )
    )
    sections.append(
        Section(
            "Information shared with others",
            [
                Entry(
                    "Information shared",
                    disclosure.disclosed_on,
                    [
                        ("Shared with", disclosure.recipient),
                        ("What was shared", disclosure.what_was_shared),
                        ("Basis", BASIS_LABELS.get(disclosure.basis, disclosure.basis)),
                        ("Recorded by", names.get(disclosure.recorded_by_id, "")),
                    ],
                )
                for disclosure in disclosures
            ],
        )
    )
    sections.append(
        Section(
            "Contact with the service",
            [
                Entry(
                    CONTACT_LABELS.get(entry.method, entry.method),
                    entry.occurred_on,
                    [
                        ("Direction", DIRECTION_LABELS.get(entry.direction, entry.direction)),
                        ("Summary", entry.summary),
                        ("Recorded by", names.get(entry.recorded_by_id, "")),
                    ],
                )
                for entry in contacts
            ],
        )
    )
    return [section for section in sections if section.entries], list(names.values())


@dataclass
class _ThirdParties:
    withhold: list[str]  # names and contact details to withhold wherever they appear
    keep: list[str]  # the requester's and the subject's own, never withheld
    whole_entries: set[int]  # people in the referrals whose every detail is withheld


def _same_name(name: str, other: str | None) -> bool:
    return bool(other) and name_letters(name) == name_letters(other or "")


def _third_parties(held: list[_Records], request: InformationRequest) -> _ThirdParties:
    """The subject and the requester are kept. Withheld: the referrer; a parent or carer who is
    not the requester (a separated parent's details are theirs, not the child's), though a young
    person asking for their own records keeps their parent's name; parties named in consent;
    disclosure recipients; and the names the team added."""
    found = _ThirdParties([name.text for name in request.withheld_names], [], set())
    found.keep = [request.requester_name, request.subject_name or "", request.email or "", request.phone or ""]
    found.keep += _other_names(request)
    for records in held:
        for person in records.referral.people:
            contacts = [person.email or "", person.phone or ""]
            if person.role == "child" or _same_name(person.full_name, request.subject_name):
                continue
            if _same_name(person.full_name, request.requester_name):
                found.keep += contacts
            elif person.role == "parent_carer" and request.acting_as == "self":
                found.withhold += contacts
            else:
                found.withhold += [person.full_name, *contacts]
                found.whole_entries.add(person.id)
        found.withhold += [disclosure.recipient for disclosure in records.held.disclosures]
        found.withhold += [party.name for consent in records.held.consents for party in consent.parties]
    found.withhold = [name for name in found.withhold if name]
    found.keep = [word for word in found.keep if word]
    return found


def _no_step(step: str) -> None:
    """Work done in the request (the preview) has nobody to tell which step it is on."""


def _redacted_sections(
    request: InformationRequest, withhold_staff_names: bool, on_step: Callable[[str], None] = _no_step
) -> tuple[list[Section], list[Redaction]]:
    """The chosen records as sections with other people's data withheld; and every withholding, in
    the order the response shows them (whole entries first, then each replacement in text order).
    ``on_step`` hears when the records are read and the withholding begins (a job's progress)."""
    referral_ids = [record.referral_id for record in request.chosen_records]
    referrals = list(
        db.session.scalars(
            select(Referral)
            .where(Referral.id.in_(referral_ids))
            .options(selectinload(Referral.people))
            .order_by(Referral.id)
        )
    )
    held = [_records_of(referral) for referral in referrals]
    parties = _third_parties(held, request)
    sections: list[Section] = []
    staff: list[str] = []
    withheld_whole: list[Redaction] = []
    for records in held:
        referral_sections, named_staff = _sections_of(records, parties.whole_entries, withheld_whole)
        sections += referral_sections
        staff += named_staff
    on_step("redacting")
    redactor = Redactor(
        parties.withhold, keep=parties.keep, staff_names=staff, withhold_staff_names=withhold_staff_names
    )
    redacted = [
        Section(
            section.title,
            [
                Entry(
                    entry.heading,
                    entry.on,
                    [
                        (
                            label,
                            redactor.redact(
                                value,
                                f"{section.title}: {entry.heading.lower()}"
                                f"{' of ' + long_date(entry.on) if entry.on else ''}, {label.lower()}",
                            ),
                        )
                        for label, value in entry.fields
                    ],
                )
                for entry in section.entries
            ],
        )
        for section in sections
    ]
    return redacted, [*withheld_whole, *redactor.redactions]


def build_response(
    request: InformationRequest,
    for_team: bool,
    withhold_staff_names: bool,
    today: dt.date,
    on_step: Callable[[str], None] = _no_step,
) -> tuple[ResponseDocument, int]:
    """The chosen records as a document, other people's data withheld; and how many items were. The
    team's copy carries the redaction log's lines (what kind, where, why), never the words withheld."""
    sections, withheld = _redacted_sections(request, withhold_staff_names, on_step)
    document = ResponseDocument(
        reference=request.reference,
        subject_name=request.subject_name or request.requester_name,
        generated_on=today,
        sections=sections,
        redaction_log=[redaction.line for redaction in withheld] if for_team else None,
        requested_as=request.acting_as or "self",
    )
    return document, len(withheld)


def response_preview(request: InformationRequest, withhold_staff_names: bool) -> list[Redaction] | None:
    """Every withholding the response would make, with the words as the records write them, for the
    data protection team to check on the request's page before any PDF is made, so nothing is
    withheld unseen; None when there is no response to check (not a subject access request, closed,
    or no records chosen). The words withheld are shown to the team only: no PDF carries them."""
    if request.kind != "sar" or request.status == "closed" or not request.chosen_records:
        return None
    _, withheld = _redacted_sections(request, withhold_staff_names)
    return withheld


def check_response_can_be_made(request: InformationRequest) -> None:
    """Refuse a response PDF the request is not ready for, with the reasons, as a form error on the
    request's page: asked before the job is queued, and again by the worker before it draws."""
    problems = release_problems(request)
    if request.kind != "sar":
        problems = ["only a subject access request has a records response"]
    elif request.status == "closed":
        # The records may have changed since the response went out: a new PDF would not be a copy
        # of what was sent.
        problems = ["the request is closed"]
    if problems:
        raise RequestRefused({"response_pdf": f"The response cannot be made yet: {'; '.join(problems)}"})


@dataclass(frozen=True)
class ResponsePdf:
    filename: str
    content: bytes
    withheld: int  # how many items the redaction withheld


def response_pdf(
    request: InformationRequest,
    for_team: bool,
    withhold_staff_names: bool,
    today: dt.date,
    on_step: Callable[[str], None] = _no_step,
) -> ResponsePdf:
    """The response as a PDF, drawn in memory by a job (``portal.services.jobs``), which audits it.

    A 500-entry response takes 5 to 40 seconds to draw, too long to hold a web worker, so a worker
    draws it while the team watches a progress page, and the PDF waits for them in the database,
    encrypted with the portal's keys (the same as every personal field), until the first download
    or for at most 15 minutes after it was made, whichever comes first; then it is deleted. It is
    never written to disk. Earlier the PDF was drawn in the request and never stored at all; keeping
    it that long is what lets any app host hand it over once it is ready."""
    check_response_can_be_made(request)
    on_step("reading")
    document, withheld = build_response(request, for_team, withhold_staff_names, today, on_step)
    on_step("drawing")
    content = render_pdf(document)
    suffix = "-data-protection-copy" if for_team else ""
    return ResponsePdf(f"{request.reference}{suffix}.pdf", content, withheld)
