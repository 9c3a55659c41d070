"""A person using Engage in the browser: finds things by what they read, acts with a mouse or
with the keyboard alone, and has every page they reach checked.

A journey is a plain function of a ``Visitor``. The same journey runs with ``PointerHands``
(Playwright clicks and fills) or ``KeyboardHands`` (Tab, Shift+Tab, Enter, Space and arrow keys
only, with focus checked visible at every stop and no traps), with JavaScript on or off. Every
page reached (``Visitor.arrive``) is checked: HTTP status, no JavaScript errors, no
Content-Security-Policy violations, axe WCAG 2.x A/AA with zero violations (when JavaScript runs),
and a full-page screenshot is kept (the last few are saved to test-artifacts/ if the test fails).
"""

from __future__ import annotations

import gettext
import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from babel.support import Translations
from playwright.sync_api import (
    ConsoleMessage,
    Download,
    ElementHandle,
    Locator,
    Page,
    Response,
    expect,
)

from tests.e2e.axe import assert_accessible

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "engage" / "translations"

# Every page axe passed in this session: (language, status, path, title), numbers as {n}.
PAGES_CHECKED: set[tuple[str, int, str, str]] = set()


# --------------------------------------------------------------------------- texts


@cache
def catalogue(language: str) -> gettext.NullTranslations:
    """The app's compiled message catalogue for a language (English is the source)."""
    if language == "en":
        return gettext.NullTranslations()
    found = Translations.load(str(TRANSLATIONS), [language])
    if not isinstance(found, Translations):
        raise FileNotFoundError(
            f"no compiled {language} catalogue in {TRANSLATIONS}: run `make install`"
        )
    return found


def translate(language: str, message: str, **values: Any) -> str:
    """What the app shows for ``message`` in ``language`` (as Flask-Babel's gettext does)."""
    text = catalogue(language).gettext(message)
    return text % values if values else text


# --------------------------------------------------------------------------- the trail


@dataclass(frozen=True)
class Snapshot:
    label: str
    url: str
    png: bytes


class PageTrail:
    """Full-page screenshots of the last ``keep`` pages reached (saved only on failure)."""

    def __init__(self, keep: int) -> None:
        self.snapshots: deque[Snapshot] = deque(maxlen=keep)
        self.count = 0

    def capture(self, page: Page, label: str) -> None:
        self.count += 1
        png = page.screenshot(full_page=True, type="png")
        self.snapshots.append(Snapshot(f"{self.count:02d}-{label}", page.url, png))

    def save(self, folder: Path, prefix: str) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for snapshot in self.snapshots:
            path = folder / f"{prefix}-{_slug(snapshot.label)}.png"
            path.write_bytes(snapshot.png)
            saved.append(path)
        return saved


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:80] or "page"


# --------------------------------------------------------------------------- hands


class Hands(Protocol):
    """How the person operates the page."""

    def activate(self, target: Locator) -> None: ...
    def fill(self, target: Locator, text: str) -> None: ...
    def choose(self, target: Locator) -> None: ...
    def tick(self, target: Locator) -> None: ...
    def select(self, target: Locator, label: str) -> None: ...
    def upload(self, target: Locator, files: Sequence[Path]) -> None: ...


class PointerHands:
    """A mouse and typing, as Playwright does them."""

    def activate(self, target: Locator) -> None:
        target.click()

    def fill(self, target: Locator, text: str) -> None:
        target.fill(text)

    def choose(self, target: Locator) -> None:
        target.check()

    def tick(self, target: Locator) -> None:
        target.check()

    def select(self, target: Locator, label: str) -> None:
        target.select_option(label=label)

    def upload(self, target: Locator, files: Sequence[Path]) -> None:
        target.set_input_files(list(files))


class KeyboardProblem(AssertionError):
    """Something could not be done with the keyboard alone, or focus was not visible."""


# What has focus, whether its focus style shows, and where the target lies from it. The last
# element focused is remembered with its look: once focus leaves it, its look must change (an
# element whose focus style equals its normal style, e.g. a permanent box-shadow, fails).
_FOCUS_STATE = """(target) => {
  const seen = (window.__e2eFocus ||= {ids: new WeakMap(), next: 1, last: null, look: ''});
  const idOf = (e) => { if (!seen.ids.has(e)) seen.ids.set(e, seen.next++); return seen.ids.get(e); };
  const el = document.activeElement;
  const isBody = !el || el === document.body || el === document.documentElement;
  const clear = (c) => c === 'transparent' || /^rgba\\(.*,\\s*0\\)$/.test(c);
  const shows = (s) => !!s && (
    (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 && !clear(s.outlineColor))
    || (s.boxShadow && s.boxShadow !== 'none'));
  const styles = (e) => [getComputedStyle(e),
    ...[...(e.labels || [])].flatMap((l) => [getComputedStyle(l), getComputedStyle(l, '::before')])];
  const look = (e) => styles(e).map((s) => [s.outlineStyle, s.outlineWidth, s.outlineColor,
    s.boxShadow, s.backgroundColor, s.color, s.textDecorationLine, s.borderWidth].join(' ')).join('|');
  const describe = (e) => {
    const text = e.innerText || e.value || e.getAttribute('aria-label') || '';
    return `<${e.tagName.toLowerCase()}${e.id ? ' id=' + e.id : ''}> "${text.trim().slice(0, 40)}"`;
  };
  let unchanged = '';
  if (seen.last && seen.last !== el && seen.last.isConnected && look(seen.last) === seen.look) {
    unchanged = describe(seen.last);
  }
  let visible = false;
  if (!isBody) {
    // GOV.UK radios and checkboxes draw their focus ring on the label's ::before.
    visible = styles(el).some(shows);
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) visible = false;
    if (seen.last !== el) { seen.last = el; seen.look = look(el); }
  }
  let position = 1;  // the target follows (or focus is on the page itself): Tab
  if (!isBody && el !== target) {
    const p = el.compareDocumentPosition(target);
    position = (p & Node.DOCUMENT_POSITION_PRECEDING) ? -1 : 1;
  }
  const sameGroup = !isBody && el.type === 'radio' && target.type === 'radio'
    && el.name === target.name && el.form === target.form;
  return {id: isBody ? 0 : idOf(el), isBody, isTarget: el === target, sameGroup, visible,
          unchanged, desc: isBody ? '(page)' : describe(el), position};
}"""


class KeyboardHands:
    """Tab, Shift+Tab, Enter, Space and arrow keys only.

    Every element focus passes through must show its focus (an outline or box-shadow, on the
    element or, for GOV.UK radios and checkboxes, on its label) and look different once focus
    has left it; focus must move on every key press (no trap), and the target must be reachable
    both ways (Shift+Tab away and Tab back).
    """

    def __init__(self, page: Page, max_presses: int = 80) -> None:
        self.page = page
        self.max_presses = max_presses

    def _state(self, handle: ElementHandle) -> dict[str, Any]:
        state: dict[str, Any] = self.page.evaluate(_FOCUS_STATE, handle)
        return state

    def _press(self, key: str, handle: ElementHandle, path: list[str]) -> dict[str, Any]:
        before = self._state(handle)
        self.page.keyboard.press(key)
        state = self._state(handle)
        path.append(f"{key} -> {state['desc']}")
        if state["unchanged"]:
            raise KeyboardProblem(
                f"focus is not visible on {state['unchanged']}: it looks the same with and "
                f"without focus ({self.page.url}):\n  " + "\n  ".join(path)
            )
        if state["isBody"]:
            return state  # left the page's last element; the next Tab comes back in
        if state["id"] == before["id"]:
            raise KeyboardProblem(f"focus is trapped on {state['desc']}:\n  " + "\n  ".join(path))
        if not state["visible"]:
            raise KeyboardProblem(
                f"focus is not visible on {state['desc']} ({self.page.url}):\n  "
                + "\n  ".join(path)
            )
        return state

    def _move_to(self, target: Locator, *, group: bool = False) -> ElementHandle:
        """Tab (or Shift+Tab) until the target (or, for radios, its group) has focus."""
        handle = target.element_handle()
        if handle is None:
            raise KeyboardProblem(f"{target} is not on the page")
        state = self._state(handle)
        path: list[str] = []
        turns = 0
        direction = state["position"]
        while not (state["isTarget"] or (group and state["sameGroup"])):
            if len(path) >= self.max_presses:
                raise KeyboardProblem(
                    f"could not reach {target} with {self.max_presses} key presses:\n  "
                    + "\n  ".join(path)
                )
            if state["position"] != direction and not state["isBody"]:
                turns += 1
                direction = state["position"]
                if turns > 1:  # went past it both ways: it is not in the tab order
                    raise KeyboardProblem(
                        f"{target} cannot be reached with Tab:\n  " + "\n  ".join(path)
                    )
            state = self._press("Tab" if direction >= 0 else "Shift+Tab", handle, path)
        if path and not group:
            # Leave backwards and come back: focus moves both ways and returns to the target.
            away = self._press("Shift+Tab", handle, path)
            back = self._press("Tab", handle, path) if not away["isTarget"] else away
            if not back["isTarget"]:
                raise KeyboardProblem(
                    f"Shift+Tab then Tab did not return to {target}:\n  " + "\n  ".join(path)
                )
        return handle

    def activate(self, target: Locator) -> None:
        self._move_to(target)
        is_link = target.evaluate("(e) => e.tagName === 'A' && e.getAttribute('role') !== 'button'")
        self.page.keyboard.press("Enter" if is_link else "Space")

    def fill(self, target: Locator, text: str) -> None:
        self._move_to(target)
        self.page.keyboard.press("ControlOrMeta+A")
        self.page.keyboard.press("Delete")
        self.page.keyboard.type(text)
        expect(target).to_have_value(text)

    def choose(self, target: Locator) -> None:
        handle = self._move_to(target, group=True)
        path: list[str] = []
        for _ in range(30):
            if self._state(handle)["isTarget"]:
                break
            self._press("ArrowDown", handle, path)
        else:
            raise KeyboardProblem(f"arrow keys did not reach {target}:\n  " + "\n  ".join(path))
        if not target.is_checked():
            self.page.keyboard.press("Space")
        expect(target).to_be_checked()

    def tick(self, target: Locator) -> None:
        self._move_to(target)
        if not target.is_checked():
            self.page.keyboard.press("Space")
        expect(target).to_be_checked()

    def select(self, target: Locator, label: str) -> None:
        self._move_to(target)
        options: list[str] = target.evaluate("(s) => [...s.options].map((o) => o.text.trim())")
        if label not in options:
            raise KeyboardProblem(f"{label!r} is not an option of {target}")
        current: int = target.evaluate("(s) => s.selectedIndex")
        wanted = options.index(label)
        key = "ArrowDown" if wanted > current else "ArrowUp"
        for _ in range(abs(wanted - current)):
            self.page.keyboard.press(key)
        chosen = target.evaluate("(s) => s.options[s.selectedIndex].text.trim()")
        if chosen != label:
            raise KeyboardProblem(f"arrow keys chose {chosen!r}, not {label!r}, in {target}")

    def upload(self, target: Locator, files: Sequence[Path]) -> None:
        self._move_to(target)
        with self.page.expect_file_chooser() as chooser:
            self.page.keyboard.press("Space")
        chooser.value.set_files(list(files))


# --------------------------------------------------------------------------- the visitor


class PageProblem(AssertionError):
    """A page answered with the wrong status, a JavaScript error or a CSP violation."""


class Visitor:
    """One person in their own browser context (cookies), on one page (tab)."""

    def __init__(
        self,
        page: Page,
        *,
        name: str,
        hands: Hands,
        check_accessibility: bool,
        keep_pages: int = 5,
    ) -> None:
        self.page = page
        self.name = name
        self.hands = hands
        self.check_accessibility = check_accessibility
        self.trail = PageTrail(keep_pages)
        self.problems: list[str] = []
        self.console: list[str] = []
        self.pages_checked: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))

    def _on_console(self, message: ConsoleMessage) -> None:
        self.console.append(f"[{message.type}] {message.text}")
        if "Content Security Policy" in message.text:
            self.problems.append(f"CSP violation: {message.text}")

    # ---- what the person reads ---------------------------------------------------------

    @property
    def language(self) -> str:
        """The language of the page on screen ("en" or "cy")."""
        return self.page.locator("html").get_attribute("lang") or "en"

    def t(self, message: str, **values: Any) -> str:
        """``message`` as the app shows it in the language of the page on screen."""
        return translate(self.language, message, **values)

    @property
    def main(self) -> Locator:
        return self.page.locator("main")

    @property
    def header(self) -> Locator:
        return self.page.get_by_role("banner")

    def link(self, message: str, *, within: Locator | None = None, **values: Any) -> Locator:
        where = within or self.page
        return where.get_by_role("link", name=self.t(message, **values), exact=True)

    def button(self, message: str, *, within: Locator | None = None, **values: Any) -> Locator:
        where = within or self.page
        return where.get_by_role("button", name=self.t(message, **values), exact=True)

    def field(self, message: str, **values: Any) -> Locator:
        """A text input, select or file input, by its label (which must exist)."""
        return self.page.get_by_label(self.t(message, **values), exact=True)

    def radio(self, label: str) -> Locator:
        return self.page.get_by_role("radio", name=label, exact=True)

    def checkbox(self, label: str) -> Locator:
        return self.page.get_by_role("checkbox", name=label, exact=True)

    def expect_heading(self, message: str, *, exact: bool = True, **values: Any) -> None:
        """The page's h1 is ``message`` (or, with ``exact=False``, contains it)."""
        heading = expect(self.page.get_by_role("heading", level=1))
        if exact:
            heading.to_have_text(self.t(message, **values))
        else:
            heading.to_contain_text(self.t(message, **values))

    def expect_text(self, message: str, **values: Any) -> None:
        expect(self.page.get_by_text(self.t(message, **values), exact=True).first).to_be_visible()

    def expect_language(self, language: str) -> None:
        expect(self.page.locator("html")).to_have_attribute("lang", language)

    def expect_success(self, message: str, **values: Any) -> None:
        """The green GOV.UK notification banner with this message."""
        banner = self.page.locator(".govuk-notification-banner--success")
        expect(banner).to_contain_text(self.t(message, **values))

    # ---- what the person does ----------------------------------------------------------

    def open(self, path: str, *, status: int = 200) -> None:
        """Type an address into the browser."""
        response = self.page.goto(path)
        self.arrive(response, status=status)

    def follow(self, target: Locator, *, status: int = 200) -> None:
        """Activate a link or button that loads a new page, and check that page."""
        with self.page.expect_navigation() as navigation:
            self.hands.activate(target)
        self.arrive(navigation.value, status=status)

    submit = follow

    def update(self, act: Callable[[], None], *, check: bool = True) -> None:
        """Do something that htmx answers by swapping part of the page (a filter's change, a
        button in a list); without htmx it loads a new page. Either way the result is checked
        as a page reached (``check=False``: all but axe, for a step whose end state is checked
        by a later one). ``act`` must make exactly one htmx request (or one navigation)."""
        if not self.page.evaluate("() => typeof window.htmx === 'object'"):
            with self.page.expect_navigation() as navigation:
                act()
            self.arrive(navigation.value)
            return
        with self.page.expect_response(
            lambda r: r.request.headers.get("hx-request") == "true"
        ) as info:
            act()
        response = info.value
        self.page.wait_for_function(
            "() => !document.querySelector("
            "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
        )
        if not response.ok:
            raise PageProblem(f"{response.url} answered {response.status} to htmx")
        label = f"{self.page.title()} (updated)"
        self.trail.capture(self.page, label)
        self.assert_no_problems()
        if self.check_accessibility and check:
            assert_accessible(self.page)
        self.pages_checked.append(f"{self.language} update {_path(self.page.url)}: {label}")

    def fill(self, target: Locator, text: str) -> None:
        self.hands.fill(target, text)

    def choose(self, target: Locator) -> None:
        self.hands.choose(target)

    def tick(self, target: Locator) -> None:
        self.hands.tick(target)

    def select(self, target: Locator, label: str) -> None:
        self.hands.select(target, label)

    def upload(self, target: Locator, *files: Path) -> None:
        self.hands.upload(target, files)

    def download(self, target: Locator) -> Download:
        """Activate a download link; the download (the page does not change)."""
        with self.page.expect_download() as info:
            self.hands.activate(target)
        return info.value

    @contextmanager
    def printing(self) -> Iterator[None]:
        """The page as the print stylesheet lays it out; a screenshot of it joins the trail."""
        self.page.emulate_media(media="print")
        try:
            self.trail.capture(self.page, f"print {self.page.title()}")
            yield
        finally:
            self.page.emulate_media(media="screen")

    # ---- checks on every page reached --------------------------------------------------

    def arrive(self, response: Response | None, *, status: int = 200) -> None:
        """Check the page just reached: status, errors, CSP, accessibility; keep a screenshot."""
        self.page.wait_for_load_state("load")
        label = self.page.title() or self.page.url
        self.trail.capture(self.page, label)
        actual = response.status if response is not None else None
        if actual != status:
            raise PageProblem(f"{self.page.url} answered {actual}, expected {status}")
        self.assert_no_problems()
        if self.check_accessibility:
            assert_accessible(self.page)
            path = re.sub(r"\d{2,}", "{n}", _path(self.page.url))
            PAGES_CHECKED.add((self.language, status, path, re.sub(r"\d{2,}", "{n}", label)))
        self.pages_checked.append(f"{self.language} {status} {_path(self.page.url)}: {label}")

    def recheck(self) -> None:
        """Check the page again after it changed in place (e.g. htmx swapped a part of it)."""
        self.assert_no_problems()
        if self.check_accessibility:
            assert_accessible(self.page)
        self.trail.capture(self.page, f"{self.page.title() or self.page.url} (updated)")

    def assert_no_problems(self) -> None:
        if self.problems:
            found, self.problems = self.problems, []
            raise PageProblem(f"on {self.page.url}:\n" + "\n".join(found))


# What the ``open_visitor`` fixture gives a test: open_visitor("name", keyboard=..., javascript=...)
OpenVisitor = Callable[..., Visitor]


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)
