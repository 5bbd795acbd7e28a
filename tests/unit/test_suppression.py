"""The small-number rule every published figure passes through (design section 9)."""

import pytest

from portal.services.suppression import percentage, rounded, shown


def test_the_issues_counts_are_shown_as_the_rule_says():
    assert [shown(count) for count in (0, 3, 7, 8, 12, 103)] == ["0", "*", "*", "10", "10", "105"]


@pytest.mark.parametrize(
    ("count", "published"), [(0, 0), (1, None), (7, None), (8, 10), (10, 10), (12, 10), (13, 15), (22, 20), (23, 25)]
)
def test_counts_round_to_the_nearest_five_half_up_and_one_to_seven_are_suppressed(count, published):
    assert rounded(count) == published


def test_a_negative_count_is_a_mistake_not_a_figure():
    with pytest.raises(ValueError):
        rounded(-1)


def test_a_percentage_needs_a_rounded_denominator_of_twenty_and_is_taken_from_the_rounded_figures():
    assert percentage(10, 17) == ""  # 17 rounds to 15: too small a base
    assert percentage(10, 18) == "50%"  # 10 of a rounded 20
    assert percentage(3, 40) == ""  # the part is suppressed: no percentage may hint at it
    assert percentage(0, 40) == "0%"
    assert percentage(12, 103) == "10%"  # 10 of 105 is 9.5%, half up: from the rounded figures, not 11.7%
