"""The anonymised statistics (design section 9), for the Strategic Manager and the data protection
team: a year's figures with charts, their CSV and PDF downloads, and freezing a year that has ended.

Every figure these pages and files hold has been through the small-number rule and names nobody,
yet each view and download is audited all the same: who took which year's statistics out of the
portal is worth knowing. The CSV downloads are plain links (GET), since they hold no personal data;
the Annual Report PDF is made by a job (``portal.services.jobs``), asked for with a POST.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from portal.services import jobs, statistics
from portal.staff.access import allow, current_actor, staff_blueprint

bp = staff_blueprint("staff_reports", __name__)


@bp.get("/reports")
@allow("read_statistics")
def reports() -> ResponseReturnValue:
    try:
        page = statistics.view(request.args.get("year"), current_actor())
    except statistics.NotOffered:
        abort(404)
    return render_template("staff/reports/index.html", page=page)


def _download(file_format: str) -> ResponseReturnValue:
    try:
        made = statistics.download(
            request.args.get("year"), file_format, request.args.get("measure") or None, current_actor()
        )
    except statistics.NotOffered:
        abort(404)
    return Response(
        made.content, mimetype=made.mimetype, headers={"Content-Disposition": f'attachment; filename="{made.filename}"'}
    )


@bp.get("/reports/statistics.csv")
@allow("read_statistics")
def statistics_csv() -> ResponseReturnValue:
    """Every figure of the year as one tidy CSV, or one measure's (``?measure=``)."""
    return _download("csv")


@bp.post("/reports/annual-report")
@allow("read_statistics")
def annual_report() -> ResponseReturnValue:
    """Queue the year's Annual Report PDF, drawn by a worker rather than in the request (WeasyPrint
    takes seconds over it), and follow it on its progress page."""
    try:
        job = jobs.enqueue_annual_report(request.form.get("year"), current_actor())
    except statistics.NotOffered:
        abort(404)
    return redirect(url_for("staff_jobs.progress", token=job.token), 303)


@bp.get("/reports/freeze")
@allow("read_statistics")
def freeze_confirmation() -> ResponseReturnValue:
    try:
        year, refusal = statistics.freeze_question(request.args.get("year"), current_actor().today)
    except statistics.NotOffered:
        abort(404)
    return render_template("staff/reports/freeze.html", year=year, refusal=refusal, errors={})


@bp.post("/reports/freeze")
@allow("read_statistics")
def freeze() -> ResponseReturnValue:
    try:
        year = statistics.freeze_named(request.form.get("year"), current_actor())
    except statistics.FreezeRefused as refusal:
        return render_template(
            "staff/reports/freeze.html", year=refusal.year, refusal=refusal.problems["year"], errors=refusal.problems
        ), 400
    flash(f"The statistics of {year.name} are frozen.")
    return redirect(url_for("staff_reports.reports", year=year.name))
