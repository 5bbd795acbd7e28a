"""Operations commands: ``flask --app wsgi NAME``."""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from typing import BinaryIO, TextIO

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import inspect

from portal.extensions import db
from portal.job_runners import jobs_commands
from portal.services import accounts, audit, clock, daily, demo, retention, statistics
from portal.services.deadlines import plural
from portal.services.keys import rotate_all
from portal.services.roles import ROLES

DEMO_EMAIL = "demo.manager@sps.example"

audit_commands = AppGroup("audit", help="The hash-chained audit log.")
report_commands = AppGroup("report", help="The anonymised statistics and the Annual Report.")
retention_commands = AppGroup("retention", help="Destroying records when their time is up (design section 8).")


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_user)
    app.cli.add_command(demo_account)
    app.cli.add_command(seed_demo)
    app.cli.add_command(rotate_keys)
    app.cli.add_command(audit_commands)
    app.cli.add_command(report_commands)
    app.cli.add_command(retention_commands)
    app.cli.add_command(daily_command)
    app.cli.add_command(jobs_commands)


@click.command("create-user")
@click.option("--email", required=True, help="The person's work e-mail address; they sign in with it.")
@click.option("--name", required=True, help="Their full name, as colleagues know them.")
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help="Repeat for several roles."
)
@click.option(
    "--trained-on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Date of their confidentiality training (YYYY-MM-DD); without it they see no personal data.",
)
@with_appcontext
def create_user(email: str, name: str, roles: tuple[str, ...], trained_on: dt.datetime | None) -> None:
    """Create a staff account with no password, and print its set-up link once.

    Nobody chooses a password for someone else: whoever opens the link chooses the password and
    sets up the authenticator app. Run this to bootstrap the first account for yourself (open the
    link), or hand the link to its person privately; it works once, for SET_UP_LINK_HOURS hours.
    After that, administrators create accounts at /staff/admin/users, which emails the link.
    """
    try:
        issued = accounts.create_user(
            email,
            name,
            list(roles),
            audit.system_actor(clock.now()),
            dt.timedelta(hours=current_app.config["SET_UP_LINK_HOURS"]),
            trained_on=trained_on.date() if trained_on else None,
        )
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    user = issued.user
    # The path alone: the command does not know the host the portal is served on.
    path = current_app.url_map.bind("localhost").build("staff_auth.set_up_password", {"token": issued.token})
    click.echo(f"Created account {user.id} for {user.email} with roles: {user.roles}.")
    click.echo(f"Set-up link (shown only now; works once, until {accounts.until_text(issued.expires_at)}):")
    click.echo(f"  {path}")


def _refuse_in_production() -> None:
    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException("Demo accounts and data are for development only.")


@click.command("demo-account")
@with_appcontext
def demo_account() -> None:
    """Create the demo manager account, or give it a new password, and print how to sign in."""
    _refuse_in_production()
    password, secret = demo.demo_account(
        DEMO_EMAIL, "Demo Manager", ["manager", "caseworker"], audit.system_actor(clock.now())
    )
    click.echo(f"Demo staff account: {DEMO_EMAIL}  password: {password}")
    click.echo(f"  Authenticator key: {secret} (add it to an authenticator app, or get the current code with:")
    click.echo(f"  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{secret}').now())\")")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Staff of each role and clearly fictional referrals, for trying the back office."""
    _refuse_in_production()
    for line in demo.seed(audit.system_actor(clock.now())):
        click.echo(line)


@click.command("rotate-keys")
@with_appcontext
def rotate_keys() -> None:
    """Re-encrypt every personal field, and re-key every look-up hash, under the first key."""
    if not inspect(db.engine).has_table("referrals"):
        raise click.ClickException("The database has no tables yet: run flask db upgrade first.")
    counts = rotate_all()
    for table, rows in counts.items():
        click.echo(f"{table}: {rows} rows re-encrypted")


@audit_commands.command("anchor")
def audit_anchor() -> None:
    """Print the chain's head as one line, for keeping off-site (append it to a file kept there)."""
    try:
        anchor = audit.take_anchor(clock.now())
    except audit.CannotAnchor as refusal:
        raise click.ClickException(f"No anchor taken: {refusal}.") from None
    click.echo(anchor.line())


@audit_commands.command("verify")
@click.option(
    "--anchor",
    "anchor_file",
    type=click.File("r"),
    help="A file of lines printed by audit anchor: the chain must still hold each of them.",
)
def audit_verify(anchor_file: TextIO | None) -> None:
    """Walk the chain from the first entry, or from the checkpoint once entries past their retention
    period were removed; exit 1 naming the first entry that does not match."""
    try:
        anchors = audit.read_anchors(anchor_file) if anchor_file else []
    except audit.AnchorUnreadable as unreadable:
        raise click.ClickException(f"{anchor_file.name}: {unreadable}.") from None
    verdict = audit.verify(anchors)
    if verdict.whole:
        since = f" from the checkpoint after entry {verdict.checkpoint_sequence}" if verdict.checkpoint_sequence else ""
        checkable = len(anchors) - verdict.anchors_before_checkpoint
        held = f" and {plural(checkable, 'anchor')} held" if checkable else ""
        removed = (
            f" ({plural(verdict.anchors_before_checkpoint, 'anchor')} of removed entries could not be checked)"
            if verdict.anchors_before_checkpoint
            else ""
        )
        click.echo(f"Audit chain whole: {verdict.checked} entries verified{since}{held}{removed}.")
        return
    click.echo(
        f"Audit chain broken at entry {verdict.first_bad_sequence}: {verdict.reason} "
        f"({verdict.checked} entries before it verified).",
        err=True,
    )
    sys.exit(1)


@report_commands.command("annual")
@click.option("--year", "year_name", required=True, help="The academic year, such as 2025-26.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(statistics.DOWNLOAD_FORMATS),
    default="html",
    show_default=True,
    help="The Annual Report as HTML or PDF, or every figure as one CSV.",
)
@click.option(
    "--output", type=click.File("wb"), default="-", help="The file to write (by default the standard output)."
)
def report_annual(year_name: str, file_format: str, output: BinaryIO) -> None:
    """Write a year's statistics, exactly as the reports page's downloads give them (audited)."""
    try:
        made = statistics.download(year_name, file_format, None, audit.system_actor(clock.now()))
    except statistics.NotOffered:
        raise click.ClickException(f"{year_name} is not a year with records (give one such as 2025-26).") from None
    output.write(made.content)


@report_commands.command("freeze")
@click.option("--year", "year_name", required=True, help="The academic year, such as 2025-26; it must have ended.")
def report_freeze(year_name: str) -> None:
    """Keep a year's counts for good: every later output of the year reads them. Once only; never undone."""
    try:
        year = statistics.freeze_named(year_name, audit.system_actor(clock.now()))
    except statistics.FreezeRefused as refusal:
        raise click.ClickException(refusal.problems["year"]) from None
    click.echo(f"The statistics of {year.name} are frozen.")


def _operator() -> str:
    """Who runs a command by hand, for the destruction log: the operating-system account. The log
    names the person who destroyed records, never whose records they were."""
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return "command line"


@retention_commands.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be destroyed and held; change nothing.")
def retention_purge(dry_run: bool) -> None:
    """Destroy every record due (closed RETENTION_YEARS ago, or REQUEST_RETENTION_YEARS for information
    requests) that nothing holds, and audit entries older than AUDIT_RETENTION_YEARS. Prints counts only."""
    actor = audit.system_actor(clock.now())
    report = retention.purge(actor, retention.periods_from(current_app.config), _operator(), dry_run=dry_run)
    for line in report.lines():
        click.echo(line)
    try:
        removal = audit.remove_expired(actor.today, current_app.config["AUDIT_RETENTION_YEARS"], actor, dry_run=dry_run)
    except audit.RemovalRefused as refusal:
        raise click.ClickException(f"Audit log: nothing removed: {refusal}.") from None
    verb = "would be removed" if dry_run else "removed"
    click.echo(f"Audit log: {plural(removal.removed, 'entry', 'entries')} older than the retention period {verb}.")


@retention_commands.command("holds")
def retention_holds() -> None:
    """List the holds in force (reason, review date), those past their review date first; no references."""
    today = clock.london_today()
    held = retention.holds_in_force(today)
    if not held:
        click.echo("No holds in force.")
        return
    for line in held:
        click.echo(line)


@click.command("daily")
def daily_command() -> None:
    """Once a day (cron or a systemd timer): lapse stale referrals, purge what is due, delete finished
    PDFs left past their 15 minutes, send reminders, verify the audit chain. One line per step; exits
    1 if a step failed. Safe to run twice a day."""
    context = daily.Context(
        audit.Actor(staff_id=None, client=daily.RAN_BY, at=clock.now()),
        current_app.config,
        current_app.extensions["portal_mailer"],
    )
    results = daily.run(context)
    for result in results:
        click.echo(result.line, err=not result.ok)
    if not all(result.ok for result in results):
        sys.exit(1)
