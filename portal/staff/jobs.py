"""A job's progress page and its download (issue 14): the subject access response and the Annual
Report are made by a worker while the person who asked watches this page.

The URL carries the job's random token, never an id; the service answers 404 to anyone but the
person who made the job (holding the capability that made it), so a token seen over a shoulder
opens nothing. The download is a POST from a form with a CSRF token, so no prefetch, link preview
or image tag can spend the one download the file allows.
"""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.services import jobs
from portal.staff.access import allow, current_actor, staff_blueprint

bp = staff_blueprint("staff_jobs", __name__)

# Whoever made a job reaches it: the service checks the job's own capability against its kind.
JOB_CAPABILITIES = tuple(sorted(set(jobs.KIND_CAPABILITIES.values())))
REFRESH_SECONDS = 2


@bp.get("/jobs/<token>")
@allow(*JOB_CAPABILITIES)
def progress(token: str) -> ResponseReturnValue:
    try:
        shown = jobs.progress(token, current_user, current_actor().at)
    except jobs.JobNotFound:
        abort(404)
    # WCAG 2.2.1: a page that reloads itself must let the person turn that off; ?refresh=off does.
    refreshing = shown.in_progress and request.args.get("refresh") != "off"
    return render_template("staff/jobs/progress.html", job=shown, refreshing=refreshing, refresh_every=REFRESH_SECONDS)


@bp.post("/jobs/<token>/download")
@allow(*JOB_CAPABILITIES)
def download(token: str) -> ResponseReturnValue:
    try:
        made = jobs.download(token, current_user, current_actor())
    except jobs.JobNotFound:
        abort(404)
    except jobs.NothingToDownload:
        # Not ready yet, or gone: the progress page says which.
        return redirect(url_for("staff_jobs.progress", token=token), 303)
    return Response(
        made.content,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )
