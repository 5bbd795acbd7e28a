"""The topics a case is filed under and the IASS Network's intervention levels, as stable codes.

The database stores the code, pages show the label. A label can be reworded here without touching a
stored row, so a year's statistics never split one topic into two series (design section 9). The
models CHECK stored values against these codes; adding a code needs a migration that widens the
CHECK, rewording a label needs none.
"""

from __future__ import annotations

TOPICS: dict[str, str] = {
    "education": "Education",
    "ehc_assessment": "EHC needs assessment",
    "ehc_plan": "EHC plan",
    "exclusions": "Exclusions",
    "transport": "Transport",
    "health_social_care": "Health and social care",
    "tribunal": "Tribunal",
    "other": "Other",
}

# After the IASS Network's minimum standards, which describe support from information through to
# intensive casework and representation.
INTERVENTION_LEVELS: dict[str, str] = {
    "level_1": "Level 1: information and signposting",
    "level_2": "Level 2: advice and guidance",
    "level_3": "Level 3: casework",
    "level_4": "Level 4: intensive casework and representation",
}


def topic_label(code: str | None) -> str | None:
    return TOPICS.get(code) if code else None
