"""Answers sealed while a person fills in a journey: unreadable and unalterable in the browser,
good for ``KEPT_FOR`` by the portal's clock, and small enough for the browser's cookies."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from portal.public.answers import CHUNK, LARGEST_COOKIE_HEADER, MAX_CHUNKS
from portal.public.forms import ComplaintForm
from portal.services import validation
from portal.services.sealing import KEPT_FOR, SealBroken, Sealed, SealExpired, new_submission_key, seal, unseal

KEY = "a secret key of the portal, long enough"
SEALED_AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
ANSWERS = Sealed([("child_name", "Siân 李 Ó Briain"), ("needs", "Autism\nand speech delay")], new_submission_key())


def test_sealed_answers_open_to_the_same_answers_and_key():
    token = seal(KEY, ANSWERS, SEALED_AT)
    assert "Siân" not in token and "Autism" not in token
    assert unseal(KEY, token, SEALED_AT + dt.timedelta(minutes=5)) == ANSWERS


@pytest.mark.parametrize(
    "spoil",
    [
        lambda token: token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
        lambda token: token[: len(token) // 2],
        lambda token: "",
        lambda token: "not a seal at all",
        lambda token: "é" + token,
    ],
)
def test_altered_or_truncated_answers_do_not_open(spoil):
    with pytest.raises(SealBroken):
        unseal(KEY, spoil(seal(KEY, ANSWERS, SEALED_AT)), SEALED_AT)


def test_answers_sealed_under_another_key_do_not_open():
    with pytest.raises(SealBroken):
        unseal("another key", seal(KEY, ANSWERS, SEALED_AT), SEALED_AT)


def test_answers_are_good_for_their_lifetime_by_the_portals_clock_then_expire():
    token = seal(KEY, ANSWERS, SEALED_AT)
    assert unseal(KEY, token, SEALED_AT + KEPT_FOR) == ANSWERS
    with pytest.raises(SealExpired):
        unseal(KEY, token, SEALED_AT + KEPT_FOR + dt.timedelta(seconds=1))


def test_the_largest_answers_any_form_takes_fit_the_cookies_kept_for_them():
    """Every box of the complaint form (two of 5,000 characters) filled to its limit with
    characters that compress badly and take three bytes each in UTF-8."""
    rng = random.Random(15)

    def text(length: int) -> str:
        return "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(length))

    long_boxes = {"complaint", "remedy_wanted"}
    answers = [
        (name, text(validation.LONG_TEXT_MAX if name in long_boxes else validation.SHORT_TEXT_MAX))
        for name in ComplaintForm.PAGE_ORDER
    ]
    token = seal(KEY, Sealed(answers, new_submission_key()), SEALED_AT)
    chunks = -(-len(token) // CHUNK)
    assert chunks <= MAX_CHUNKS, f"{chunks} cookies"
    assert len("__Secure-sps_answers_complaint_11=") + CHUNK < 4096, "each cookie fits a browser's 4 KB"
    assert len(token) + chunks * 40 + 4096 <= LARGEST_COOKIE_HEADER
