"""The frame on screen: the readout names the image shown, a step past the range stays on its
last frame, and a free reviewer sees the file of the frame they look at.

The player (``overshoulder share`` as its own process) shares a sequence whose frames carry
their number in pixels: six cells, black or white, the bits of ``frame - 1000``. Screenshots
taken during playback are read like a person would: the number from the cells of the image, the
readout by comparing its pixels with the readout drawn for each number afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import BrowserContext, expect

from overshoulder.core.codec.png import decode_png
from tests.conftest import RelayProcess
from tests.plugins.player.media_files import write_image

from .conftest import BROWSER_ARTIFACTS, ReviewerPage

WIDTH, HEIGHT = 320, 180
FIRST, LAST = 1001, 1048
BITS = 6
CELL, PITCH, TOP = 40, 48, 60
#: JS: copies of the readout showing each number, in columns over the page; their places.
DRAW_READOUTS = """([frames, x0, w, h]) => {
    const box = document.createElement("div");
    box.id = "readout-copies";
    box.style.cssText = "position:fixed;inset:0;z-index:99;background:" +
        getComputedStyle(document.querySelector(".transport")).backgroundColor;
    const rows = Math.floor(innerHeight / (h + 4));
    const places = frames.map((f, i) => {
        const [x, y] = [Math.floor(i / rows) * (w + 8) + 8, (i % rows) * (h + 4) + 4];
        const row = document.createElement("div");
        row.className = "readout";
        row.style.cssText = `position:absolute;left:${x}px;top:${y}px;width:${w}px;height:${h}px`;
        const no = row.appendChild(document.createElement("span"));
        no.className = "frame-no";
        no.textContent = String(f);
        box.appendChild(row);
        return [x, y];
    });
    document.body.appendChild(box);
    return places;
}"""


def numbered(frame: int) -> np.ndarray:
    """Grey, with the bits of ``frame - 1000`` as white (1) and black (0) cells in a row."""
    image = np.full((HEIGHT, WIDTH, 3), 0.18, np.float32)
    n = frame - 1000
    for bit in range(BITS):
        x = 16 + bit * PITCH
        image[TOP : TOP + CELL, x : x + CELL] = 1.0 if n >> bit & 1 else 0.0
    return image


def screenshot(page: ReviewerPage) -> np.ndarray:
    """The page as on screen, page-sized, with pixels only where the image's cells and the
    readout are (a smaller screenshot is a quicker one, so more of them fall in the playback)."""
    left, top, scale = page.image_rect(WIDTH, HEIGHT)
    box = page.page.locator("#frame-no").bounding_box()
    assert box is not None
    x0, y0 = int(min(left, box["x"])), int(top + TOP * scale)
    x1 = int(max(left + WIDTH * scale, box["x"] + box["width"])) + 1
    y1 = int(box["y"] + box["height"]) + 1
    clip = {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}
    part = decode_png(page.page.screenshot(clip=clip))
    size = page.page.viewport_size
    assert size is not None
    shot = np.zeros((size["height"], size["width"], 3), np.uint8)
    shot[y0 : y0 + part.shape[0], x0 : x0 + part.shape[1]] = part[:, :, :3]
    return shot


def frame_in(shot: np.ndarray, page: ReviewerPage) -> int:
    """The frame number the image on screen carries, read from a screenshot's pixels."""
    left, top, scale = page.image_rect(WIDTH, HEIGHT)
    n = 0
    for bit in range(BITS):
        x = round(left + (16 + bit * PITCH + CELL / 2) * scale)
        y = round(top + (TOP + CELL / 2) * scale)
        if shot[y, x, :3].mean() > 128:
            n |= 1 << bit
    return 1000 + n


class Readout:
    """Reads the frame number off screenshots: the readout's pixels against the readout drawn
    for each number (the page's own element copied, in its font), the nearest being what a
    person would read."""

    def __init__(self, page: ReviewerPage) -> None:
        self.page = page
        box = page.page.locator("#frame-no").bounding_box()
        assert box is not None
        self.w, self.h = round(box["width"]), round(box["height"])
        self.x, self.y = round(box["x"]), round(box["y"])
        self.drawn: dict[int, np.ndarray] = {}

    def crop(self, shot: np.ndarray, x: int, y: int) -> np.ndarray:
        return shot[y : y + self.h, x : x + self.w, :3].astype(np.int32)

    def learn(self, frames: list[int]) -> None:
        """The readout as it looks showing each of ``frames``: copies of it in a column."""
        places = self.page.page.evaluate(DRAW_READOUTS, [frames, self.x, self.w, self.h])
        shot = decode_png(self.page.page.screenshot())
        for f, (x, y) in zip(frames, places):
            self.drawn[f] = self.crop(shot, x, y)
        self.page.page.evaluate("document.getElementById('readout-copies').remove()")

    def read(self, shot: np.ndarray) -> int:
        crop = self.crop(shot, self.x, self.y)
        return min(self.drawn, key=lambda f: float(np.abs(self.drawn[f] - crop).mean()))


@pytest.fixture
def player(relay_proc: RelayProcess, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``overshoulder share`` of the numbered sequence into a new session, paused at 1001."""
    folder = tmp_path / "count"
    folder.mkdir()
    for f in range(FIRST, LAST + 1):
        write_image(folder / f"count.{f}.exr", numbered(f))
    created = relay_proc.create_session(name="Counting", host_name="Mia")
    sid = created["session"]["id"]
    log = open(tmp_path / "share.log", "w")  # noqa: SIM115 - the process owns it
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "overshoulder",
            "share",
            str(folder / "count.####.exr"),
            "--relay",
            relay_proc.url,
            "--session",
            sid,
            "--start-paused",
        ],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1", OVERSHOULDER_TOKEN=created["host_token"]),
    )
    try:
        yield {"sid": sid, "proc": proc, "log": tmp_path / "share.log"}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def pages(
    relay_proc: RelayProcess,
    browser_context: BrowserContext,
    player: dict[str, Any],
    request: pytest.FixtureRequest,
) -> Iterator[Any]:
    opened: list[ReviewerPage] = []

    def open_page(name: str) -> ReviewerPage:
        token = relay_proc.invite(player["sid"], "reviewer", name=name)
        page = ReviewerPage(browser_context.new_page())
        opened.append(page)
        page.page.goto(f"{relay_proc.url}/s/{player['sid']}#t={token}")
        page.wait_live()
        expect(page.page.locator("#stage-message")).to_be_hidden()
        return page

    yield open_page
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for i, p in enumerate(opened):
        if failed:
            BROWSER_ARTIFACTS.mkdir(parents=True, exist_ok=True)
            p.page.screenshot(path=str(BROWSER_ARTIFACTS / f"failed-{request.node.name}-{i}.png"))
        p.page.close()
    if not failed:
        for p in opened:
            assert not p.errors, p.errors


def frame_no(page: ReviewerPage) -> Any:
    return expect(page.page.locator("#frame-no"))


def drive(page: ReviewerPage) -> None:
    page.page.locator("#drive").click()
    expect(page.page.locator("#driver-label")).to_have_text("You drive")
    page.page.locator("#marks-canvas").focus()


def test_the_readout_names_the_image_on_screen_while_the_shot_plays(pages):
    driver, follower = pages("Ana"), pages("Ben")
    for page in (driver, follower):
        page.page.set_viewport_size({"width": 1024, "height": 640})
    drive(driver)
    driver.page.keyboard.press("Space")
    expect(driver.page.locator("#play")).to_have_attribute("title", "Pause (Space)")
    shots: list[tuple[ReviewerPage, np.ndarray]] = []
    seen: set[int] = set()
    # Through more than a loop of the 48 frames (2 s at 24 fps), both pages in turn.
    while len(seen) < 20 or len(shots) < 40:
        for page in (driver, follower):
            shot = screenshot(page)
            shots.append((page, shot))
            seen.add(frame_in(shot, page))
        assert len(shots) < 400, f"playback showed only frames {sorted(seen)}"
    driver.page.keyboard.press("Space")
    expect(driver.page.locator("#play")).to_have_attribute("title", "Play (Space)")
    BROWSER_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, page in (("driver", driver), ("follower", follower)):
        page.page.screenshot(path=str(BROWSER_ARTIFACTS / f"frame-on-screen-{name}.png"))

    # Paused, each page names the file of the image it shows.
    for page in (driver, follower):
        shown = frame_in(decode_png(page.page.screenshot()), page)
        expect(page.page.locator("#source-name")).to_have_text(f"count.{shown}.exr")

    # Quiet now: the readout drawn for every number seen, then each screenshot read.
    readouts = {id(p): Readout(p) for p in (driver, follower)}
    for page in (driver, follower):
        page.page.wait_for_function(
            "() => !document.getElementById('frame-wanted')?.textContent"
            " && document.getElementById('frame-no').textContent !== '—'"
        )
        readouts[id(page)].learn(sorted(seen))
    wrong = []
    for i, (page, shot) in enumerate(shots):
        image, readout = frame_in(shot, page), readouts[id(page)].read(shot)
        if image != readout:
            wrong.append(
                f"shot {i} ({'driver' if page is driver else 'follower'}): "
                f"readout {readout} over the image of {image}"
            )
    assert not wrong, "\n".join(wrong)


def test_stepping_past_the_last_frame_stays_on_it_for_everyone(pages):
    driver, follower = pages("Ana"), pages("Ben")
    drive(driver)
    driver.page.keyboard.press("Shift+ArrowRight")
    frame_no(driver).to_have_text(str(FIRST + 10))
    for _ in range(5):
        driver.page.keyboard.press("Shift+ArrowRight")
    frame_no(driver).to_have_text(str(LAST))
    driver.page.keyboard.press("ArrowRight")
    driver.page.keyboard.press("ArrowRight")
    frame_no(follower).to_have_text(str(LAST))
    expect(driver.page.locator("#range-out")).to_have_text(str(LAST))
    expect(follower.page.locator("#range-out")).to_have_text(str(LAST))
    sent = [m["data"]["frame"] for m in driver.sent if m["type"] == "playhead"]
    assert sent and max(sent) == LAST, sent
    frame_no(driver).to_have_text(str(LAST))
    expect(driver.page.locator("#frame-wanted")).to_be_hidden()

    # A free reviewer steps past the end too: it stays on the last frame.
    follower.page.locator("#follow").click()
    follower.page.locator("#marks-canvas").focus()
    follower.page.keyboard.press("Shift+ArrowRight")
    frame_no(follower).to_have_text(str(LAST))
    expect(follower.page.locator("#range-out")).to_have_text(str(LAST))
    # And before the first.
    for _ in range(6):
        follower.page.keyboard.press("Shift+ArrowLeft")
    frame_no(follower).to_have_text(str(FIRST))
    expect(follower.page.locator("#range-in")).to_have_text(str(FIRST))


def test_a_free_reviewer_sees_the_file_of_the_frame_on_screen(pages):
    driver, free = pages("Ana"), pages("Ben")
    name = free.page.locator("#source-name")
    expect(name).to_have_text(f"count.{FIRST}.exr")
    drive(driver)
    for f in (FIRST + 1, FIRST + 2):
        driver.page.keyboard.press("ArrowRight")
        frame_no(free).to_have_text(str(f))
        expect(name).to_have_text(f"count.{f}.exr")
    free.page.locator("#follow").click()
    expect(free.page.locator("#follow")).to_have_attribute("aria-pressed", "false")
    driver.page.keyboard.press("Shift+ArrowRight")
    frame_no(driver).to_have_text(str(FIRST + 12))
    expect(driver.page.locator("#source-name")).to_have_text(f"count.{FIRST + 12}.exr")
    free.wait_received(
        lambda m: m["type"] == "stream" and m["data"].get("name") == f"count.{FIRST + 12}.exr",
        "the host's file of 1013",
    )
    frame_no(free).to_have_text(str(FIRST + 2))
    expect(name).to_have_text(f"count.{FIRST + 2}.exr")
    free.page.locator("#marks-canvas").focus()
    free.page.keyboard.press("ArrowLeft")
    frame_no(free).to_have_text(str(FIRST + 1))
    expect(name).to_have_text(f"count.{FIRST + 1}.exr")
    # A frame this page never had: no file named, rather than the host's file of another frame.
    free.page.keyboard.press("Shift+ArrowRight")
    frame_no(free).to_have_text(str(FIRST + 11))
    expect(name).to_have_text("")
    free.page.screenshot(path=str(BROWSER_ARTIFACTS / "free-reviewer-file.png"))
    free.page.locator("#follow").click()
    expect(name).to_have_text(f"count.{FIRST + 12}.exr")
