"""Operations commands: ``flask --app wsgi NAME``."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect

from portal.extensions import db
from portal.models.staff import ROLES
from portal.services import accounts
from portal.services.keys import rotate_all

DEMO_EMAIL = "demo.manager@sps.example"


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_user)
    app.cli.add_command(demo_account)
    app.cli.add_command(rotate_keys)


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True, help="The person's work e-mail address; they sign in with it.")
@click.option("--name", required=True, help="Their full name, as colleagues know them.")
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help="Repeat for several roles."
)
def create_user(email: str, name: str, roles: tuple[str, ...]) -> None:
    """Create a staff account; the password is asked for twice, or read from standard input."""
    try:
        user = accounts.create_user(email, name, list(roles), _read_password())
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created account {user.id} for {user.email} with roles: {user.roles}.")


@click.command("demo-account")
@with_appcontext
def demo_account() -> None:
    """Create the demo manager account, or give it a new password, and print how to sign in."""
    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException("The demo account is for development only.")
    password = accounts.generated_password()
    user = accounts.find_by_email(DEMO_EMAIL)
    if user is None:
        accounts.create_user(DEMO_EMAIL, "Demo Manager", ["manager", "caseworker"], password)
    else:
        accounts.set_password(user, password)
    click.echo(f"Demo staff account: {DEMO_EMAIL}  password: {password}")


@click.command("rotate-keys")
@with_appcontext
def rotate_keys() -> None:
    """Re-encrypt every personal field, and re-key every look-up hash, under the first key."""
    if not inspect(db.engine).has_table("referrals"):
        raise click.ClickException("The database has no tables yet: run flask db upgrade first.")
    counts = rotate_all()
    for table, rows in counts.items():
        click.echo(f"{table}: {rows} rows re-encrypted")
