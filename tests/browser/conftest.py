"""Browser fixtures: Debian's Chromium driven by Playwright, a relay, a shared shot, reviewer pages.

Every page records what would mean the page is broken: uncaught exceptions, console errors, and
any ``error`` the relay sends it (the relay validates every message the page sends, so a page
that invents a field fails here). A test that expects an error takes it out of ``page.errors``.
"""

from __future__ import annotations

import json
import os
import re
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from tests.conftest import ARTIFACTS, RelayProcess

from .shot import SharedShot

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 860}
#: Console lines the browser writes when a socket cannot be opened.
UNREACHABLE = re.compile(r"WebSocket connection to '\S+' failed")
#: Playwright's default wait for expect / wait_for_function, in milliseconds.
WAIT_MS = 15_000

BROWSER_ARTIFACTS = ARTIFACTS / "browser"

#: JS: true when a stage canvas shows a red mark within 3 device pixels of page point [x, y].
RED_NEAR = """([x, y, id]) => {
    const c = document.getElementById(id), r = c.getBoundingClientRect();
    const k = c.width / r.width;
    const d = c.getContext("2d").getImageData(Math.round((x - r.left) * k) - 3,
                                              Math.round((y - r.top) * k) - 3, 7, 7).data;
    for (let i = 0; i < d.length; i += 4) {
        if (d[i] > 190 && d[i + 1] < 110 && d[i + 2] < 110 && d[i + 3] > 150) return true;
    }
    return false;
}"""


@pytest.fixture(scope="module")
def browser_context() -> Iterator[BrowserContext]:
    """Chromium for one module's tests. Module-scoped: Playwright's sync API keeps an asyncio
    loop running while it is open, which other packages' tests (asyncio.run) cannot share."""
    if not CHROMIUM.exists():
        if os.geteuid() != 0:
            pytest.skip(
                f"{CHROMIUM} is missing and this is not root: install Debian's chromium "
                "(apt-get install chromium, or run `make test` as root) for the browser tests"
            )
        pytest.fail(f"{CHROMIUM} is missing: `make sysdeps` installs it (as root)")
    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="os-chromium-") as profile:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
            accept_downloads=True,
        )
        context.set_default_timeout(WAIT_MS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def relay_proc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    """One relay for a module's tests (each test makes its own session)."""
    proc = RelayProcess(tmp_path_factory.mktemp("browser") / "relay-data").start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def module_page(relay_proc: RelayProcess, browser_context: BrowserContext) -> Iterator[Page]:
    """One page of the relay's origin for a module's tests, where the page's modules load as
    the page loads them; no script error may happen on it."""
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{relay_proc.url}/api/health")
    yield page
    page.close()
    assert not errors, errors


@dataclass
class Review:
    """One session: the relay, its id, the shared shot, and the pages opened on it."""

    relay: RelayProcess
    sid: str
    host_token: str
    shot: Optional[SharedShot]
    context: BrowserContext
    pages: list[ReviewerPage] = field(default_factory=list)

    def link(self, role: str = "reviewer", name: Optional[str] = None) -> str:
        token = self.relay.invite(self.sid, role, name=name)
        return f"{self.relay.url}/s/{self.sid}#t={token}"

    def open(self, link: str, *, expect_live: bool = True) -> ReviewerPage:
        page = ReviewerPage(self.context.new_page())
        self.pages.append(page)
        page.page.goto(link)
        if expect_live:
            page.wait_live()
        return page

    def events(self) -> list[dict[str, Any]]:
        return self.relay.events(self.sid)


class ReviewerPage:
    """A reviewer tab, with what it received on its control socket and what went wrong."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.received: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        #: (kind, flags, frame number) of each media packet, in order.
        self.packets: list[tuple[int, int, int]] = []
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("console", self._console)
        page.on("websocket", self._socket)

    def _console(self, msg: Any) -> None:
        # The browser itself reports a socket it could not open (the relay is down); the page
        # handles that by reconnecting, so it is no error of the page's.
        if msg.type == "error" and not UNREACHABLE.search(msg.text):
            self.errors.append(f"console: {msg.text}")

    def _socket(self, ws: Any) -> None:
        if ws.url.endswith("/ws/media"):

            def packet(payload: Any) -> None:
                if isinstance(payload, bytes):
                    head = struct.unpack_from(">2sBBHHIi", payload)
                    self.packets.append((head[2], head[4], head[6]))

            ws.on("framereceived", packet)
            return

        def received(payload: Any) -> None:
            if isinstance(payload, str):
                msg = json.loads(payload)
                self.received.append(msg)
                if msg["type"] == "error":
                    self.errors.append(f"relay error: {msg['data']}")

        ws.on("framereceived", received)
        ws.on("framesent", lambda payload: self.sent.append(json.loads(payload)))

    def wait_received(self, pred: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        """The first control message matching ``pred``, waiting for it (Playwright delivers
        socket events only while it runs, so this waits through it, not with time.sleep)."""
        for _ in range(WAIT_MS // 20):
            found = next((m for m in self.received if pred(m)), None)
            if found is not None:
                return found
            self.page.wait_for_timeout(20)
        raise AssertionError(f"no {what} reached the page")

    def wait_live(self) -> None:
        self.page.locator("#conn-state[data-state='live']").wait_for()

    def wait_for(self, js: str, arg: Any = None) -> Any:
        return self.page.wait_for_function(js, arg=arg).json_value()

    def stage_box(self) -> dict[str, float]:
        box = self.page.locator("#marks-canvas").bounding_box()
        assert box is not None
        return box

    def image_rect(self, width: int, height: int) -> tuple[float, float, float]:
        """(left, top, scale) of a ``width`` x ``height`` frame fitted in the stage (CSS px)."""
        box = self.stage_box()
        scale = min(box["width"] / width, box["height"] / height)
        left = box["x"] + (box["width"] - width * scale) / 2
        top = box["y"] + (box["height"] - height * scale) / 2
        return left, top, scale

    def wait_red(self, x: float, y: float, canvas: str = "marks-canvas") -> None:
        """Waits until a red mark shows near page point (x, y)."""
        self.page.wait_for_function(RED_NEAR, arg=[x, y, canvas])

    def red_near(self, x: float, y: float, canvas: str = "marks-canvas") -> bool:
        return bool(self.page.evaluate(RED_NEAR, [x, y, canvas]))

    def drag(self, points: list[tuple[float, float]], *, release: bool = True) -> None:
        mouse = self.page.mouse
        mouse.move(*points[0])
        mouse.down()
        for p in points[1:]:
            mouse.move(*p, steps=4)
        if release:
            mouse.up()

    def tool(self, key: str) -> None:
        self.page.locator("#marks-canvas").focus()
        self.page.keyboard.press(key)


@pytest.fixture
def review(
    relay_proc: RelayProcess, browser_context: BrowserContext, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Review]]:
    """Makes a session with a shared shot (``shot=False``: nobody shares) and closes it after."""
    made: list[Review] = []

    def make(shot: bool = True, relay: Optional[RelayProcess] = None) -> Review:
        proc = relay or relay_proc
        created = proc.create_session(name="Shot 010 comp", host_name="Mia")
        sid, token = created["session"]["id"], created["host_token"]
        shared = SharedShot(proc.url, token) if shot else None
        r = Review(proc, sid, token, shared, browser_context)
        made.append(r)
        return r

    yield make
    failed = request.node.rep_call.failed if hasattr(request.node, "rep_call") else False
    for r in made:
        for i, p in enumerate(r.pages):
            if failed:
                BROWSER_ARTIFACTS.mkdir(parents=True, exist_ok=True)
                p.page.screenshot(
                    path=str(BROWSER_ARTIFACTS / f"failed-{request.node.name}-{i}.png")
                )
            p.page.close()
        if r.shot is not None:
            r.shot.close()
    if not failed:
        for r in made:
            for p in r.pages:
                assert not p.errors, p.errors


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
