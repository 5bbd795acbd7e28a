"""What the browser tests share: axe-core checks, screenshots, a watch on the console, keyboard
steps, and form filling for the two referral journeys."""

from __future__ import annotations

import os
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe

from tests.journeys import professional_answers, self_referral_answers

# Everything WCAG 2.0, 2.1 and 2.2 ask at levels A and AA (2.2 added only AA rules), plus best practice.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
AXE = Axe()
# A full-page screenshot costs about a fifth of a second, and the browser tests reach some 430
# pages: photographing each one was a minute and a half of every run. By default only a failing
# test's pages are kept, as they were when it failed; SCREENSHOTS=all keeps every page reached,
# numbered in order, to look the pages over.
SCREENSHOTS_ALL = os.environ.get("SCREENSHOTS", "").strip().lower() == "all"

REFERENCE = re.compile(r"SPS-[0-9A-Z]{4}-[0-9A-Z]{4}")
RADIOS = {
    "completed_by",
    "preferred_contact",
    "consent_given_by",
    "consent_method",
    "contact_through",
    "acting_as",
    "identity_check",
}
CHECKBOXES = {"consent_confirmed"}
ANSWERS = {"self": self_referral_answers, "professional": professional_answers}

# In the browser the CSP reports a blocked script or style as a console error, and as a
# securitypolicyviolation event, which this script (added through the DevTools protocol, so the
# page's own CSP does not block it) turns into a console error too.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`
    + ` at ${event.sourceFile}:${event.lineNumber}`)
})
"""


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


class PageWatch:
    """Collects console errors and warnings, uncaught exceptions and failed requests from a page."""

    def __init__(self, page) -> None:
        self.problems: list[str] = []
        self.console: list[tuple[str, str, str]] = []
        self.error_documents: set[str] = set()
        page.add_init_script(CSP_LISTENER)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught exception: {error}"))
        page.on("requestfailed", lambda request: self.problems.append(f"request failed: {request.url}"))
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type in ("error", "warning") or "Content Security Policy" in message.text:
            self.console.append((message.type, message.text, message.location.get("url", "")))

    def _response(self, response) -> None:
        # A page may answer 404 on purpose; a stylesheet, script or image must not.
        if response.status >= 400 and response.request.resource_type == "document":
            self.error_documents.add(response.url)
        elif response.status >= 400:
            self.problems.append(f"{response.status} for {response.request.resource_type} {response.url}")

    def all_problems(self) -> list[str]:
        found = list(self.problems)
        for kind, text, url in self.console:
            # Chromium logs a page that answered 404 (asked for on purpose) as a failed resource.
            if text.startswith("Failed to load resource") and url in self.error_documents:
                continue
            found.append(f"console {kind}: {text} ({url})")
        return found

    def clear(self) -> None:
        self.problems.clear()
        self.console.clear()

    def assert_clean(self) -> None:
        problems = self.all_problems()
        assert not problems, "the browser reported problems:\n" + "\n".join(problems)


class Screenshots:
    """Full-page screenshots numbered in the order taken: <folder>/<NN>-<slug>.png. Unless
    SCREENSHOTS=all, ``take`` only counts, and ``take_on_failure`` photographs the page a failing
    test ended on."""

    def __init__(self, page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.count = 0
        self.missed = False
        page.on("load", self._loaded)
        if folder.exists():
            for old in folder.glob("*.png"):
                old.unlink()

    def take(self, slug: str, full_page: bool = True) -> None:
        """Save the page (when every page is kept); ``full_page=False`` keeps just the window, to
        show what is in view."""
        self.count += 1
        self.missed = False
        if SCREENSHOTS_ALL:
            self._save(f"{self.count:02d}-{slugify(slug)}.png", full_page)

    def keep(self, slug: str, full_page: bool = True) -> None:
        """``take``, saved whatever SCREENSHOTS says: for the pages a change is reviewed by (the
        referral page in each of its states, the account pages), kept by every run."""
        self.count += 1
        self.missed = False
        self._save(f"{self.count:02d}-{slugify(slug)}.png", full_page)

    def _save(self, name: str, full_page: bool = True) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.folder / name), full_page=full_page)

    def _loaded(self, _page) -> None:
        self.missed = True

    def take_if_missed(self) -> None:
        """``take`` the page the test ended on if it loaded since the last one taken."""
        if self.missed and not self.page.is_closed():
            try:
                self.take(f"last {self.page.url.split('/', 3)[-1]}")
            except Exception as error:  # a screenshot must never fail the test
                print(f"no last screenshot: {error}")

    def take_on_failure(self) -> None:
        """The page as the test failed on it, whichever pages were kept before."""
        if self.page.is_closed():
            return
        try:
            self._save(f"{self.count + 1:02d}-failed-{slugify(self.page.url.split('/', 3)[-1])}.png")
        except Exception as error:  # a screenshot must never hide the failure
            print(f"no screenshot of the failure: {error}")


def arrive(page, slug: str) -> None:
    """Wait for the page a navigation brought, and screenshot it."""
    page.wait_for_load_state("load")
    page.shots.take(slug)


def visit(page, path: str, slug: str | None = None):
    response = page.goto(path)
    arrive(page, slug or path.strip("/") or "start")
    return response


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now."""
    # axe waits on timers, which never fire where JavaScript is off: it would hang, not fail.
    assert getattr(page, "javascript", True), "axe cannot run in a context with JavaScript disabled"
    # As AXE.run does, but axe-core (570 kB of script, about 80 ms to load) goes into each
    # document once, not before every check: tests check one page several times as they open
    # its details and send its forms back.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.axe_script)
    return page.evaluate("(options) => axe.run(document, options)", AXE_OPTIONS)["violations"]


def assert_accessible(page, label: str = "") -> None:
    """Run axe-core on the page as it is now; fail listing every violation and where it is."""
    violations = axe_violations(page)
    if not violations:
        return
    lines = [f"axe found {len(violations)} violation(s) on {label or page.url} ({page.url}):"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    target: {target}")
            lines.append(f"      html: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      why: {summary[:300]}")
    raise AssertionError("\n".join(lines))


# Keyboard ----------------------------------------------------------------------------------------


def focused(page) -> str:
    """A short description of the focused element: tag#id[name=value], or its text."""
    return page.evaluate(
        """() => {
          const el = document.activeElement
          if (!el || el === document.body) return 'body'
          let text = el.tagName.toLowerCase()
          if (el.id) text += '#' + el.id
          if (el.name) text += `[name=${el.name}]`
          if (el.value && (el.type === 'radio' || el.type === 'checkbox' || el.tagName === 'BUTTON')) {
            text += `[value=${el.value}]`
          }
          const label = (el.innerText || '').trim().replace(/\\s+/g, ' ')
          if (label && !el.id) text += ` "${label.slice(0, 60)}"`
          return text
        }"""
    )


def is_focused(page, selector: str) -> bool:
    return page.evaluate("(selector) => document.activeElement.matches(selector)", selector)


def tab(page, selector: str, key: str = "Tab") -> None:
    """Press Tab once; the focus must land on the element ``selector`` matches."""
    page.keyboard.press(key)
    assert is_focused(page, selector), f"after {key} expected {selector}, focus is on {focused(page)}"


def tab_until(page, selector: str, limit: int = 15) -> list[str]:
    """Press Tab until ``selector`` has focus; returns what the focus passed through on the way."""
    passed = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        if is_focused(page, selector):
            return passed
        passed.append(focused(page))
    raise AssertionError(f"{selector} not reached in {limit} presses of Tab; passed {passed}")


def tab_and_type(page, selector: str, value: object) -> None:
    """Tab to the next box, which must be ``selector``, and type ``value`` into it (if any)."""
    tab(page, selector)
    if value:
        page.keyboard.type(str(value))


# Filling forms normally (for tests that are not about the keyboard) -------------------------------


def fill_form(page, answers: dict[str, object]) -> None:
    for name, value in answers.items():
        if name == "website":
            continue
        if isinstance(value, list):
            for part, box in zip(value, ("day", "month", "year"), strict=True):
                page.fill(f"#{name}-{box}", str(part))
        elif name in RADIOS:
            if value:
                page.check(f'input[name="{name}"][value="{value}"]')
        elif name in CHECKBOXES:
            if value:
                page.check(f"#{name}")
        else:
            page.fill(f"#{name}", str(value))


def submit(page, slug: str, button: str = "Continue") -> None:
    page.get_by_role("button", name=button, exact=True).click()
    arrive(page, slug)


def asked_here(page, name: str, value: object) -> bool:
    """Whether the page in view asks the question ``name``."""
    if isinstance(value, list):
        return page.locator(f"#{name}-day").count() > 0
    if name in RADIOS:
        return page.locator(f'input[name="{name}"]').count() > 0
    return page.locator(f"#{name}").count() > 0


def answer_pages(page, answers: dict[str, object], slug: str) -> list[str]:
    """Answer each question page in view with the answers it asks, Continue, and so on to the
    check page; the paths of the question pages answered."""
    answered: list[str] = []
    while "/check" not in page.url:
        path = page.url.split("/", 3)[-1]
        assert path not in answered, f"/{path} came back: {error_links(page)}"
        answered.append(path)
        fill_form(page, {name: value for name, value in answers.items() if asked_here(page, name, value)})
        submit(page, f"{slug} after {path}")
    return answered


def reach_check_page(page, route: str, **overrides: object) -> None:
    """Answer every question page with valid answers and continue to the check-answers page."""
    visit(page, f"/refer/{route}", f"{route} form")
    answer_pages(page, ANSWERS[route](**overrides), route)
    assert_heading(page, "Check your answers before sending your referral")


def send_referral(page, route: str) -> str:
    """From the check page: agree, send, and return the reference shown on the confirmation."""
    page.check("#privacy_agreed")
    submit(page, f"{route} confirmation", button="Accept and send")
    return confirmed_reference(page, route)


def assert_heading(page, expected: str) -> None:
    heading = page.locator("h1").inner_text()
    assert heading == expected, f"expected the page headed {expected!r}, got {heading!r} at {page.url}"


def confirmed_reference(page, route: str) -> str:
    assert page.url.endswith(f"/refer/{route}/confirmation"), page.url
    panel = page.locator(".govuk-panel")
    assert "Referral sent" in panel.locator(".govuk-panel__title").inner_text()
    match = REFERENCE.search(panel.inner_text())
    assert match, f"no reference in the panel: {panel.inner_text()!r}"
    assert panel.locator("strong").inner_text() == match.group(0)
    return match.group(0)


def error_links(page) -> list[tuple[str, str]]:
    links = page.locator(".govuk-error-summary__list a")
    return [(link.get_attribute("href") or "", link.inner_text().strip()) for link in links.all()]


def press_and_arrive(page, key: str, slug: str) -> None:
    """Press a key that submits a form (Enter on a button) and wait for the page it brings."""
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press(key)
    page.shots.take(slug)


class Findings:
    """axe's reports for several pages, kept until the end of the test so one page's findings do
    not hide the rest. ``open_details`` opens every folded section first, so the forms inside
    are checked too."""

    def __init__(self, page, open_details: bool = False) -> None:
        self.page = page
        self.open_details = open_details
        self.reports: list[str] = []
        self.checked: list[str] = []

    def check(self, label: str) -> None:
        if self.open_details:
            self.page.evaluate("() => document.querySelectorAll('main details').forEach(d => { d.open = true })")
        self.checked.append(label)
        try:
            assert_accessible(self.page, label)
        except AssertionError as report:
            self.reports.append(str(report))

    def visit_and_check(self, path: str, label: str, status: int = 200) -> None:
        response = visit(self.page, path, label)
        assert response.status == status, f"{path}: {response.status}"
        self.check(label)

    def assert_none(self) -> None:
        assert not self.reports, "\n\n".join(self.reports)
