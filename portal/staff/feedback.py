"""Families' feedback comments, for the Strategic Manager only: never in a report (issue 12)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from portal.services import feedback
from portal.staff.access import allow, current_actor, staff_blueprint

bp = staff_blueprint("staff_feedback", __name__)


@bp.get("/feedback")
@allow("read_feedback_comments")
def comments() -> ResponseReturnValue:
    return render_template(
        "staff/feedback_comments.html", years=feedback.comments(current_actor()), questions=feedback.QUESTIONS
    )
