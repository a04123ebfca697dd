"""The notes list's per-note actions (Add words, Frames, End here, Done, Delete) never overlap
and never run out of their row: on a desktop screen and on an iPad held either way, with touch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import RelayProcess

from .conftest import BROWSER_ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, WAIT_MS, Review, ReviewerPage
from .shot import HEIGHT, WIDTH, SharedShot

SCREENS = {
    "desktop-1600x900": {"viewport": {"width": 1600, "height": 900}},
    "ipad-portrait-1024x1366": {
        "viewport": {"width": 1024, "height": 1366},
        "device_scale_factor": 2,
        "has_touch": True,
    },
    "ipad-landscape-1366x1024": {
        "viewport": {"width": 1366, "height": 1024},
        "device_scale_factor": 2,
        "has_touch": True,
    },
}

#: JS: each note row's action buttons, their boxes and what overflows (text past a button's
#: edge, a button past its row, the list wider than its panel).
LAYOUT = """() => {
    const list = document.getElementById("notes");
    const rows = [...list.querySelectorAll("li.note")].map((li) => {
        const row = li.getBoundingClientRect();
        const buttons = [...li.querySelectorAll(".note-actions button")].map((b) => {
            const r = b.getBoundingClientRect();
            return { label: b.textContent.trim(), left: r.left, right: r.right, top: r.top,
                     bottom: r.bottom, clipped: b.scrollWidth > b.clientWidth + 1,
                     visible: r.width > 0 && r.height > 0 };
        });
        // The head's frame button, kind and time keep their text; the author's name gives way.
        const head = [...li.querySelectorAll(".frame-link, .kind, time")].filter(
            (e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent.trim());
        return { id: li.dataset.id, left: row.left, right: row.right, buttons, head };
    });
    return { rows, listOverflow: list.scrollWidth - list.clientWidth };
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make sysdeps` installs it (as root)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a["left"] < b["right"] - 0.5
        and b["left"] < a["right"] - 0.5
        and a["top"] < b["bottom"] - 0.5
        and b["top"] < a["bottom"] - 0.5
    )


@pytest.mark.parametrize("screen", list(SCREENS))
def test_note_actions_never_overlap_or_leave_their_row(
    screen: str, browser: Browser, relay_proc: RelayProcess, request: pytest.FixtureRequest
) -> None:
    created = relay_proc.create_session(name="Shot 010 comp", host_name="Mia")
    sid, token = created["session"]["id"], created["host_token"]
    shot = SharedShot(relay_proc.url, token)
    context = browser.new_context(**SCREENS[screen])
    context.set_default_timeout(WAIT_MS)
    review = Review(relay_proc, sid, token, shot, context)
    page: ReviewerPage | None = None
    try:
        page = ReviewerPage(context.new_page())
        page.page.goto(review.link(name="Samantha Okonkwo-Lindqvist"))
        page.wait_live()
        page.page.locator("#stage-message").wait_for(state="hidden")
        left, top, scale = page.image_rect(WIDTH, HEIGHT)
        at = lambda x, y: (left + x * scale, top + y * scale)  # noqa: E731
        # Three notes of one's own on the frame on screen (so every action shows): one plain,
        # one with words, one done.
        for y in (80, 180, 280):
            page.drag([at(100, y), at(220, y + 20), at(320, y)])
        notes = page.page.locator("#notes li.note")
        notes.nth(2).wait_for()
        page.page.locator("#notes li.note time", has_text="sending…").first.wait_for(
            state="detached"
        )
        notes.nth(1).locator("button", has_text="Add words").click()
        page.page.locator(".note-editor").fill("Lift the shadows under the bridge a touch")
        page.page.locator(".note-editor").press("Enter")
        notes.nth(2).locator("button", has_text="Done").click()
        notes.nth(2).locator("button", has_text="Reopen").wait_for()

        BROWSER_ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(BROWSER_ARTIFACTS / f"note-actions-{screen}.png"))
        page.page.locator("#notes").screenshot(
            path=str(BROWSER_ARTIFACTS / f"note-actions-{screen}-list.png")
        )
        layout = page.page.evaluate(LAYOUT)
        problems = []
        if layout["listOverflow"] > 0:
            problems.append(f"the list is {layout['listOverflow']} px wider than its panel")
        for row in layout["rows"]:
            problems.extend(f"{text!r} in the note's head is cut" for text in row["head"])
            buttons = row["buttons"]
            labels = [b["label"] for b in buttons]
            assert len(buttons) == 5 and all(b["visible"] for b in buttons), labels
            for i, b in enumerate(buttons):
                if b["clipped"]:
                    problems.append(f"{b['label']!r}: its label runs past its edge")
                if b["left"] < row["left"] - 0.5 or b["right"] > row["right"] + 0.5:
                    problems.append(f"{b['label']!r} leaves its row ({b} in {row})")
                problems.extend(
                    f"{b['label']!r} overlaps {c['label']!r}"
                    for c in buttons[i + 1 :]
                    if overlaps(b, c)
                )
        assert not problems, "\n".join(problems)
        assert [b["label"] for b in layout["rows"][0]["buttons"]] == [
            "Add words",
            "Frames",
            "End here",
            "Done",
            "Delete",
        ]
        assert not page.errors, page.errors
    except BaseException:
        if page is not None:
            BROWSER_ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.page.screenshot(path=str(BROWSER_ARTIFACTS / f"failed-{request.node.name}.png"))
        raise
    finally:
        context.close()
        shot.close()
