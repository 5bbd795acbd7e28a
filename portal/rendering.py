"""How pages are drawn quickly without changing a byte of them.

Measured with cProfile on the test client (issue 14), pages spent most of their time in GOV.UK
Frontend's macros, which are slow (a text input about 0.4 ms, a date input 1.4 ms), and in
reaching them: every widget went through Flask's ``render_template`` (context processors,
signals, a new context) for a one-line template that imports its macro, and every import asked
Jinja whether the importing page had globals the macro lacked, with a set difference against a
``ChainMap`` done in Python, about 200 times a form page. Here:

- ``PortalTemplate`` answers that question with plain set operations (the same answer);
- the widgets (``TextInput``, ``RadioInput``…) call the GOV.UK macro straight from its template's
  module, which Jinja builds once per environment and keeps;
- ``blank_form_page`` draws a blank form page once per process and fills in only the visitor's
  CSRF token;
- ``drawn_once`` draws a part of a page that is the same for everyone but for a few values (a
  form that repeats down the case page, once per consent; a check page's send button) once per
  process, with a placeholder for each of those values, and fills them in on every use.

What is kept is only ever drawn from the code's own text: never a visitor's answers, errors or
token (each use fills those in, escaped). ``DRAW_ONCE = False`` draws everything in full every
time, as the tests do to check the pages come out the same.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from flask import Flask, current_app, g, has_request_context, render_template, request
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovDateInput,
    GovPasswordInput,
    GovRadioInput,
    GovTextInput,
)
from jinja2 import Template
from jinja2.runtime import Context
from markupsafe import Markup, escape

# govuk-frontend-wtf's one-line templates, and the GOV.UK macro each of them calls.
WIDGET_MACROS = {
    "govuk_frontend_wtf/input.html": ("input", "govukInput"),
    "govuk_frontend_wtf/charactercount.html": ("character-count", "govukCharacterCount"),
    "govuk_frontend_wtf/checkboxes.html": ("checkboxes", "govukCheckboxes"),
    "govuk_frontend_wtf/date.html": ("date-input", "govukDateInput"),
    "govuk_frontend_wtf/radios.html": ("radios", "govukRadios"),
    "govuk_frontend_wtf/password.html": ("password-input", "govukPasswordInput"),
}
# Tests set this to False to draw every page in full and compare.
DRAW_ONCE = True
# A drawing kept for everyone holds ``sps-drawn-later-<name>`` where each use's values go, the
# CSRF token among them. Drawings are made of the code's own text only, so nothing else in one
# can look like a placeholder.
PLACEHOLDER_PREFIX = "sps-drawn-later-"
CSRF_VALUE = "csrf_token"
DRAWINGS = "portal_drawings"
_DRAWING_FOR_EVERYONE = "portal_drawing_for_everyone"
# Held while a drawing is made, so two requests do not make the same one; re-entrant, since a
# blank form page may hold a part drawn once.
_drawing = threading.RLock()


class PortalTemplate(Template):
    """A Jinja template whose imports cost a dictionary look-up.

    On every ``{% from … import … %}`` Jinja works out which globals the importing page has that
    the imported template lacks (if any, the import is rebuilt with them rather than taken from the
    cache) as ``set - ChainMap.keys()``, which Python runs key by key through every map of the
    chain. The portal's templates all share the environment's globals, so the answer is always
    "none"; ``set.difference`` over the chain gives the same answer at C speed, and the import
    then comes from Jinja's cache as before."""

    def _get_default_module(self, ctx: Context | None = None) -> Any:
        if ctx is not None and ctx.globals_keys.difference(self.globals):
            return super()._get_default_module(ctx)
        return super()._get_default_module()


def init_rendering(app: Flask) -> None:
    """After ``csrf.init_app``, whose ``csrf_token`` (a template global, and a context processor
    giving it to every page) this replaces."""
    app.jinja_env.template_class = PortalTemplate
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
    app.add_template_global(drawn_once)


def csrf_token() -> str:
    """The template global ``csrf_token()``: Flask-WTF's token for this visitor, or while a
    drawing for everyone is being made, its placeholder (each use fills in its visitor's own)."""
    if g.get(_DRAWING_FOR_EVERYONE):
        return PLACEHOLDER_PREFIX + CSRF_VALUE
    return generate_csrf()


def govuk_macro(component: str, name: str) -> Callable[..., Markup]:
    """A GOV.UK Frontend macro, say ``govuk_macro("input", "govukInput")``, from its template's
    module: Jinja makes the module once per environment and keeps it with the template."""
    template = current_app.jinja_env.get_template(f"govuk_frontend_jinja/components/{component}/macro.html")
    return getattr(template.module, name)


class MacroWidget:
    """Mixed into a govuk-frontend-wtf widget: the same parameters, given to the GOV.UK macro
    directly instead of through ``render_template`` of a template that imports it (the HTML is
    the same: ``tests/web/test_rendering.py``)."""

    template: str

    def render(self, params: dict[str, Any]) -> Markup:
        # The macro's template is autoescaped, so what it returns is Markup already.
        return govuk_macro(*WIDGET_MACROS[self.template])(params)


class TextInput(MacroWidget, GovTextInput):
    pass


class PasswordInput(MacroWidget, GovPasswordInput):
    pass


class CharacterCount(MacroWidget, GovCharacterCount):
    pass


class CheckboxInput(MacroWidget, GovCheckboxInput):
    pass


class RadioInput(MacroWidget, GovRadioInput):
    pass


class DateInput(MacroWidget, GovDateInput):
    pass


def blank_form_page(template: str, form_class: type[FlaskForm], variant: str, **context: Any) -> str:
    """The page ``template`` holding a blank ``form_class`` form (as a GET shows it), drawn once
    per process.

    A blank form (no answers, so no errors) draws the same page for everyone but for its CSRF
    token, the one value that is the visitor's own. That page is drawn once per template and
    ``variant`` with a placeholder where the token goes, kept, and each visitor gets it with their
    own token put in: made by Flask-WTF's ``generate_csrf`` (which also keeps it in their session,
    as drawing it in the template does), escaped like any value a template prints, and checked by
    CSRFProtect when the form comes back. No visitor's token is ever kept, so none can reach
    another. A form with answers or errors is the visitor's own: it never comes here, and is
    drawn afresh every time with ``render_template``. (The form is built, blank, only to draw it.)

    ``variant`` names what else the page depends on besides ``template`` (the journey it belongs
    to): ``context`` must be the same whenever ``template`` and ``variant`` are."""

    def draw() -> str:
        # formdata=None: blank even if this were a POST; no answers, so no errors either.
        return render_template(template, form=form_class(formdata=None), **context)

    if not DRAW_ONCE:
        return draw()
    return _filled(_kept(("page", template, variant), draw), {})


def drawn_once(name: str, *variant: Any, keep: bool = True, caller: Callable[..., str], **values: Any) -> Markup:
    """A template call block drawn once per process (per ``name`` and ``variant``), its ``values``
    filled in on every use::

        {% call(fill) drawn_once('case page: withdrawal form', keep=blank, action=url, consent_id=consent.id) %}
          <form action="{{ fill.action }}"> … withdrawn_by-{{ fill.consent_id }} … {{ csrf() }}
        {% endcall %}

    The block must read whatever differs between uses from ``fill`` (the values, escaped as any
    printed value is) and nothing else but ``variant``: values fixed by the code, such as the
    journey or the privacy notice version, never anything a person typed. ``keep=False`` (the
    page shows a person's answers or errors) draws the block afresh with the values themselves."""
    # A namespace, not a dict: ``fill.items`` must be the value named items, not dict.items.
    if not DRAW_ONCE or not keep:
        return Markup(caller(SimpleNamespace(**values)))  # noqa: S704 (the block's own output: autoescaped)
    placeholders = SimpleNamespace(**{value_name: PLACEHOLDER_PREFIX + value_name for value_name in values})
    drawing = _kept(("part", name, *variant), lambda: caller(placeholders))
    # The drawing is the autoescaped block's own output; what goes into it is escaped here.
    return Markup(_filled(drawing, {value_name: escape(value) for value_name, value in values.items()}))  # noqa: S704


@contextmanager
def _for_everyone() -> Iterator[None]:
    """While a drawing to keep is made, ``csrf_token()`` gives its placeholder."""
    was = g.get(_DRAWING_FOR_EVERYONE, False)
    setattr(g, _DRAWING_FOR_EVERYONE, True)
    try:
        yield
    finally:
        setattr(g, _DRAWING_FOR_EVERYONE, was)


def _kept(key: tuple[Any, ...], draw: Callable[[], str]) -> str:
    """The drawing kept under ``key`` (with the app's URL root, which every link drawn starts
    with), drawn now if this process has none yet."""
    drawings: dict[tuple[Any, ...], str] = current_app.extensions.setdefault(DRAWINGS, {})
    key = (*key, request.script_root if has_request_context() else None)
    drawing = drawings.get(key)
    if drawing is None:
        with _drawing:
            drawing = drawings.get(key)
            if drawing is None:
                with _for_everyone():
                    drawing = str(draw())
                # A token drawn some other way (a form's own csrf_token field, say) would be kept
                # and shown to every later visitor: refuse the drawing rather than keep it.
                token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
                if token and token in drawing:
                    raise RuntimeError(f"a CSRF token was drawn into {key[:2]}, which is kept for everyone")
                drawings[key] = drawing
    return drawing


def _filled(drawing: str, values: dict[str, Markup]) -> str:
    """``drawing`` with each placeholder replaced by its value, the CSRF token's by this visitor's
    (or, inside another drawing for everyone, left for that one to fill), in one pass, so no value
    is read for placeholders (a name typed into a form may be one of the values)."""
    if PLACEHOLDER_PREFIX + CSRF_VALUE in drawing:
        # Only then: making a token starts a session for the visitor.
        values = {**values, CSRF_VALUE: escape(csrf_token())}
    if not values:
        return drawing
    # Longest name first: a name may begin with another (case, case_id).
    names = "|".join(re.escape(name) for name in sorted(values, key=len, reverse=True))
    return re.sub(re.escape(PLACEHOLDER_PREFIX) + f"({names})", lambda match: str(values[match.group(1)]), drawing)
