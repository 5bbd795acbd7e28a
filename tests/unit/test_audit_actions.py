"""Audit actions are declared once, with their labels: every action the portal records is in the
registry, and ``audit.record`` refuses one that is not, so a typo fails here and not unseen in the
log."""

import ast
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.services import audit
from portal.services.audit import Actor
from portal.services.audit_actions import AUDIT_ACTIONS, UndeclaredAuditAction, label

PORTAL = Path(__file__).resolve().parents[2] / "portal"
ACTOR = Actor(7, "192.0.2.1", dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC))


def record_calls(path: Path) -> list[tuple[str, ast.expr | None]]:
    """Each ``audit.record(...)`` call in ``path``: where it is and the expression it passes as the action."""
    calls = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"):
            continue
        if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
            continue
        action = (
            node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "action"), None)
        )
        calls.append((f"{path.relative_to(PORTAL.parent)}:{node.lineno}", action))
    return calls


def all_record_calls() -> list[tuple[str, ast.expr | None]]:
    return [call for path in sorted(PORTAL.rglob("*.py")) for call in record_calls(path)]


def fixed_names(action: ast.expr | None) -> list[str] | None:
    """The names an action expression can take: a string literal, or a choice between literals
    (``"a" if ... else "b"``); None for anything else (an f-string, a variable), whose values no
    scan can see: the variable part belongs in the entry's detail."""
    if isinstance(action, ast.Constant) and isinstance(action.value, str):
        return [action.value]
    if isinstance(action, ast.IfExp):
        body, orelse = fixed_names(action.body), fixed_names(action.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def test_every_action_the_portal_records_is_a_fixed_declared_name():
    calls = all_record_calls()
    assert len(calls) > 40, "the scan itself finds the portal's record() calls"
    not_fixed = [where for where, action in calls if fixed_names(action) is None]
    assert not_fixed == [], "pass the action as a string literal"
    undeclared = [
        (where, name) for where, action in calls for name in fixed_names(action) or [] if name not in AUDIT_ACTIONS
    ]
    assert undeclared == [], "declare the action, with its label, in portal/services/audit_actions.py"


def test_every_declared_action_fits_the_log_and_has_its_own_label():
    width = AuditEntry.__table__.c.action.type.length
    assert [action for action in AUDIT_ACTIONS if len(action) > width] == []
    labels = list(AUDIT_ACTIONS.values())
    assert all(text.strip() for text in labels)
    assert len(set(labels)) == len(labels), "two actions the log could not tell apart"


def test_record_refuses_an_undeclared_action_and_writes_nothing(app_context):
    with pytest.raises(UndeclaredAuditAction, match="case veiwed"):
        audit.record(ACTOR, "case veiwed", "case", 1)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    audit.record(ACTOR, "case viewed", "case", 1)
    db.session.commit()
    assert audit.verify().whole


def test_an_entry_under_a_retired_name_still_shows_its_name():
    assert label("case viewed") == "Viewed a case"
    assert label("request clock pause") == "request clock pause"
