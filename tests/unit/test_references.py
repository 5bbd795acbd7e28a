"""Reference numbers: shape, randomness, forgiving parsing, and what the check character catches."""

import random
import re

import pytest

from portal.models.referrals import COMPLETED_BY, ROUTES
from portal.services import references
from portal.services.references import ALPHABET, MistypedReference, NotAReference
from portal.services.referrals import COMPLETED_BY_LABELS, ROUTE_LABELS


def test_a_reference_has_the_documented_shape():
    for _ in range(200):
        reference = str(references.generate())
        assert re.fullmatch(r"SPS-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", reference)
        assert not set(reference) & set("ILOU")


def test_references_are_random_not_sequential():
    generated = {str(references.generate()) for _ in range(2000)}
    assert len(generated) == 2000


def test_other_prefixes_share_the_scheme():
    assert str(references.generate("SAR")).startswith("SAR-")
    assert str(references.generate("FOI")).startswith("FOI-")
    with pytest.raises(ValueError):
        references.generate("XYZ")


@pytest.mark.parametrize(
    "typed",
    ["sps-7k3q-9xm2", "SPS 7K3Q 9XM2", "sps7k3q9xm2", "7K3Q9XM2", " SPS–7K3Q–9XM2 ", "SPS.7K3Q.9XM2"],
)
def test_staff_can_type_a_reference_any_reasonable_way(typed):
    code = "7K3Q9XM" + references.check_character("7K3Q9XM")
    typed = typed.replace("9XM2", code[4:]).replace("9xm2", code[4:].lower())
    assert str(references.parse(typed)) == f"SPS-7K3Q-{code[4:]}"


def test_letters_that_look_like_digits_are_read_as_digits():
    body = "1100AB0"
    check = references.check_character(body)
    assert str(references.parse(f"sps-iLOo-abO{check}")) == f"SPS-1100-AB0{check}"


def test_a_mistyped_reference_is_reported_as_mistyped():
    reference = references.generate()
    wrong = ALPHABET[(ALPHABET.index(reference.code[2]) + 1) % 32]
    typed = str(reference)[:6] + wrong + str(reference)[7:]
    with pytest.raises(MistypedReference, match="mistake"):
        references.parse(typed)


@pytest.mark.parametrize(
    "typed", ["", "SPS-12", "SPS-7K3Q-9XM2-4", "SPS-7K3Q-9XMU", "hello world!", "SPS-😀😀😀😀-😀😀😀😀"]
)
def test_text_that_is_not_a_reference_says_what_a_reference_looks_like(typed):
    with pytest.raises(NotAReference, match="format SPS-"):
        references.parse(typed)


def test_every_single_character_mistype_is_caught():
    rng = random.Random(2026)
    for _ in range(300):
        body = "".join(rng.choice(ALPHABET) for _ in range(7))
        code = body + references.check_character(body)
        for position in range(8):
            for symbol in ALPHABET:
                if symbol != code[position]:
                    mistyped = code[:position] + symbol + code[position + 1 :]
                    assert not references.is_valid_code(mistyped), (code, mistyped)


def test_share_of_adjacent_transpositions_caught(record_property):
    """Luhn mod 32 cannot catch every swap of neighbours: measured exhaustively over every pair of
    distinct symbols at every neighbouring position of the eight (the check character included)."""
    caught = total = 0
    for position in range(7):
        for first in ALPHABET:
            for second in ALPHABET:
                if first == second:
                    continue
                body = ["0"] * 7
                if position < 6:
                    body[position], body[position + 1] = first, second
                    code = "".join(body) + references.check_character("".join(body))
                else:
                    body[6] = first
                    code = "".join(body) + references.check_character("".join(body))
                    if code[7] == code[6]:
                        continue
                swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
                total += 1
                caught += not references.is_valid_code(swapped)
    share = caught / total
    record_property("transpositions_caught", f"{caught}/{total}")
    print(f"adjacent transpositions caught: {caught} of {total} ({share:.2%})")
    # Luhn mod N misses exactly one pair, the symbols of value 0 and N-1 (here 0 and Z), swapped
    # either way inside the random part: 12 of 6,882 swaps. Swaps with the check character are all caught.
    assert caught == total - 12


def test_every_route_and_every_kind_of_completer_has_one_label():
    assert set(ROUTE_LABELS) == set(ROUTES)
    assert set(COMPLETED_BY_LABELS) == set(COMPLETED_BY)
