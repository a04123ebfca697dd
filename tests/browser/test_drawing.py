"""Drawing in the browser reviewer: marks seen while drawn, committed at pen-up, in ORI
coordinates, anchored to the frame and image on screen; undo/redo, move, erase; pen pressure;
zoom; the burned-in PNG; a screenshot of the page."""

from __future__ import annotations

import math
import re

import numpy as np
from playwright.sync_api import expect

from overshoulder.core.codec.png import decode_png

from .conftest import BROWSER_ARTIFACTS, RED_NEAR, ReviewerPage
from .shot import FIRST, HEIGHT, RATE, WIDTH

#: One CSS pixel is about 0.0017 of the image height on the test's stage; allow a little more.
TOLERANCE = 0.003


def ori(page: ReviewerPage, x: float, y: float) -> tuple[float, float]:
    """ORI coordinates of page point (x, y) over the fitted frame."""
    left, top, scale = page.image_rect(WIDTH, HEIGHT)
    px, py = (x - left) / scale, (y - top) / scale
    return (px - WIDTH / 2) / HEIGHT, -(py - HEIGHT / 2) / HEIGHT


def segment_distance(p, a, b) -> float:
    ax, ay, bx, by = *a, *b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / (dx * dx + dy * dy or 1)))
    return math.hypot(p[0] - ax - t * dx, p[1] - ay - t * dy)


def path_on_stage(page: ReviewerPage) -> list[tuple[float, float]]:
    """A zig-zag across the middle of the frame, in page coordinates."""
    left, top, scale = page.image_rect(WIDTH, HEIGHT)
    return [
        (left + scale * x, top + scale * y)
        for x, y in ((160, 150), (260, 210), (360, 150), (460, 210), (520, 180))
    ]


def is_red(rgba, least_alpha: int = 150) -> bool:
    r, g, b = rgba[:3]
    alpha = rgba[3] if len(rgba) > 3 else 255
    return r > 190 and g < 110 and b < 110 and alpha >= least_alpha


def test_stroke_is_seen_while_drawn_and_reaches_the_host_in_ori_coordinates(review):
    r = review()
    a = r.open(r.link(name="Sam"))
    b = r.open(r.link(name="Dana"))
    path = path_on_stage(a)

    a.drag(path, release=False)
    # Page B sees the stroke grow before it is committed.
    mid = ((path[1][0] + path[2][0]) / 2, (path[1][1] + path[2][1]) / 2)
    b.wait_red(*mid)
    assert not r.events(), "nothing is stored while the pen is down"
    assert any(m["type"] == "draft" for m in b.received)
    a.page.mouse.up()

    host = r.shot.host
    note = r.shot.wait(lambda: next(iter(host.notes.values()), None), "the note at the host")
    expect(b.page.locator("#notes li.note")).to_have_count(1)
    assert b.red_near(*mid)

    assert note.shape.kind == "stroke"
    expected = [ori(a, *p) for p in path]
    points = [tuple(p[:2]) for p in note.shape.points]
    assert math.dist(points[0], expected[0]) < TOLERANCE
    assert math.dist(points[-1], expected[-1]) < TOLERANCE
    for p in points:
        assert min(segment_distance(p, u, v) for u, v in zip(expected, expected[1:])) < TOLERANCE
    assert len(points) >= len(path)
    assert all(len(p) == 2 for p in note.shape.points), "a mouse has no pressure"

    anchor = note.anchor
    assert anchor.frame == FIRST
    assert anchor.image is not None and anchor.image.hash == r.shot.hash_of(FIRST)
    assert anchor.time is not None and (anchor.time.value, anchor.time.rate) == (FIRST, RATE)
    assert note.author_name == "Sam" and note.style.color == (1.0, 0.2, 0.2, 1.0)

    types = [e["type"] for e in r.events()]
    assert types == ["annotation_add"]

    # Page B hides Sam's layer: the mark goes from its stage, and comes back.
    eye = b.page.locator("#people li", has_text="Sam").locator("button.eye")
    eye.click()
    expect(eye).to_have_attribute("aria-pressed", "false")
    b.page.wait_for_function(f"() => !({RED_NEAR})([{mid[0]}, {mid[1]}, 'marks-canvas'])")
    eye.click()
    b.wait_red(*mid)


def test_pen_pressure_from_a_stylus_goes_into_the_points(review, browser_context):
    r = review()
    a = r.open(r.link(name="Sam"))
    left, top, scale = a.image_rect(WIDTH, HEIGHT)
    cdp = browser_context.new_cdp_session(a.page)
    stroke = [(200 + 20 * i, 180, 0.2 + 0.1 * i) for i in range(7)]

    def pen(kind: str, x: float, y: float, force: float) -> None:
        cdp.send(
            "Input.dispatchMouseEvent",
            {
                "type": kind,
                "x": left + x * scale,
                "y": top + y * scale,
                "button": "left",
                "buttons": 0 if kind == "mouseReleased" else 1,
                "clickCount": 1,
                "pointerType": "pen",
                "force": force,
            },
        )

    pen("mousePressed", *stroke[0])
    for p in stroke[1:]:
        pen("mouseMoved", *p)
    pen("mouseReleased", *stroke[-1])
    note = r.shot.wait(lambda: next(iter(r.shot.host.notes.values()), None), "the pen stroke")
    pressures = [p[2] for p in note.shape.points]
    assert len(note.shape.points[0]) == 3
    assert pressures[0] < pressures[-1] and min(pressures) > 0 and max(pressures) <= 1


def test_zooming_about_the_cursor_keeps_marks_on_their_place_in_the_image(review):
    r = review()
    a = r.open(r.link(name="Sam"))
    left, top, scale = a.image_rect(WIDTH, HEIGHT)
    spot = (left + 420 * scale, top + 110 * scale)
    a.drag([(spot[0] - 30, spot[1]), (spot[0] + 30, spot[1])])
    r.shot.wait(lambda: r.shot.host.notes, "the note")
    a.page.mouse.move(*spot)
    for _ in range(3):
        a.page.mouse.wheel(0, -200)
    expect(a.page.locator("#zoom-100")).not_to_have_text("Fit")
    # About 2.5 times larger around the cursor: the 60 px mark now reaches past 60 px each side.
    a.wait_red(*spot)
    a.wait_red(spot[0] + 60, spot[1])
    assert not a.red_near(spot[0] + 100, spot[1])
    a.page.keyboard.press("f")
    expect(a.page.locator("#zoom-100")).to_have_text("Fit")
    a.page.wait_for_function(f"() => !({RED_NEAR})([{spot[0] + 60}, {spot[1]}, 'marks-canvas'])")
    a.wait_red(*spot)


def test_download_has_the_stroke_burned_in_and_screenshot_shows_frame_and_marks(review):
    r = review()
    a = r.open(r.link(name="Sam"))
    a.page.locator("#style-button").click()
    a.page.locator("#width").fill("0.02")
    a.page.keyboard.press("Escape")
    expect(a.page.locator("#style-popover")).to_be_hidden()
    left, top, scale = a.image_rect(WIDTH, HEIGHT)
    row = 250  # image pixel row of a horizontal stroke
    a.drag([(left + 120 * scale, top + row * scale), (left + 520 * scale, top + row * scale)])
    r.shot.wait(lambda: r.shot.host.notes, "the note at the host")
    expect(a.page.locator("#notes li.note time")).not_to_have_text("sending…")

    with a.page.expect_download() as info:
        a.page.locator("#download").click()
    download = info.value
    assert download.suggested_filename.endswith(f"_{FIRST}.png")
    image = decode_png(download.path().read_bytes())
    assert image.shape[:2] == (HEIGHT, WIDTH)
    for x in (140, 300, 500):
        assert is_red(image[row, x]), (x, image[row, x].tolist())
    # Off the stroke the frame is its own grey ramp, not paint.
    assert not is_red(image[row - 30, 300]) and not is_red(image[60, 300])

    BROWSER_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = BROWSER_ARTIFACTS / "reviewer.png"
    a.page.screenshot(path=str(path))
    shot = decode_png(path.read_bytes())[:, :, :3].astype(np.float32)
    x0, y0 = round(left + 4), round(top + 4)
    x1, y1 = round(left + WIDTH * scale - 4), round(top + HEIGHT * scale - 4)
    region = shot[y0:y1, x0:x1]
    grey = region.mean(axis=2)
    assert grey.std() > 20, "the frame region shows the frame's ramp, not a blank stage"
    assert 60 < grey.mean() < 200
    teal = (region[:, :, 2] > region[:, :, 0] + 60).mean()
    assert teal > 0.005, "the frame's teal block is on screen"
    red = (region[:, :, 0] > 190) & (region[:, :, 1] < 110)
    assert red.mean() > 0.002, "the stroke is on screen"


def test_note_words_and_text_marks_stay_text(review):
    r = review()
    a = r.open(r.link(name="Sam"))
    b = r.open(r.link(name="Dana"))
    left, top, scale = a.image_rect(WIDTH, HEIGHT)
    words = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'

    a.drag([(left + 200 * scale, top + 100 * scale), (left + 300 * scale, top + 120 * scale)])
    a.page.locator("#notes li.note button", has_text="Add words").click()
    a.page.locator(".note-editor").fill(words)
    a.page.locator(".note-editor").press("Enter")

    a.tool("t")
    a.page.mouse.click(left + 100 * scale, top + 320 * scale)
    a.page.locator("#text-entry").fill(words)
    a.page.locator("#text-entry").press("Enter")

    host = r.shot.host
    r.shot.wait(
        lambda: len([n for n in host.notes.values() if n.text == words]) == 2, "both notes' words"
    )
    text_note = next(n for n in host.notes.values() if n.shape.kind == "text")
    assert text_note.shape.text == words
    for page in (a, b):
        expect(page.page.locator("#notes .note-text")).to_have_text([words, words])
        assert page.page.locator("#notes img, #notes script").count() == 0
        assert page.page.evaluate("window.__pwned") is None


def test_a_range_set_in_the_page_draws_the_note_over_its_frames_everywhere(review):
    r = review()
    a = r.open(r.link(name="Sam"))
    b = r.open(r.link(name="Dana"))
    left, top, scale = a.image_rect(WIDTH, HEIGHT)
    spot = (left + 320 * scale, top + 100 * scale)
    a.drag([(spot[0] - 40, spot[1]), (spot[0] + 40, spot[1])])
    host = r.shot.host
    note = r.shot.wait(lambda: next(iter(host.notes.values()), None), "the note at the host")
    assert note.anchor.frame == FIRST and note.anchor.duration is None

    # "Frames": to frame 1005 (the hold field follows), Enter sets it.
    row = a.page.locator("#notes li.note")
    row.locator("button.range-button").click()
    a.page.locator(".range-to").fill(str(FIRST + 4))
    expect(a.page.locator(".range-hold")).to_have_value("5")
    a.page.locator(".range-to").press("Enter")
    r.shot.wait(lambda: host.notes[note.id].anchor.duration == 5, "the range at the host")
    assert host.notes[note.id].anchor.frame == FIRST
    expect(b.page.locator("#notes li.note .frame-link")).to_have_text(f"{FIRST}-{FIRST + 4}")
    # The timeline shows the span, not only a tick at its first frame.
    expect(b.page.locator("#timeline")).to_have_attribute("data-notes", f"{FIRST}-{FIRST + 4}")

    # The other page, following the host: the mark on a frame inside the range, not after it.
    r.shot.move_to(FIRST + 3)
    expect(b.page.locator("#frame-no")).to_have_text(str(FIRST + 3))
    b.wait_red(*spot)
    expect(b.page.locator("#notes li.note")).to_have_class(re.compile(r"\bhere\b"))
    r.shot.move_to(FIRST + 6)
    expect(b.page.locator("#frame-no")).to_have_text(str(FIRST + 6))
    b.page.wait_for_function(f"() => !({RED_NEAR})([{spot[0]}, {spot[1]}, 'marks-canvas'])")

    # "End here" in the list: the range now ends at the frame on screen (1007).
    a.page.locator("#notes li.note button.end-here").click()
    r.shot.wait(lambda: host.notes[note.id].anchor.duration == 7, "the longer range at the host")
    b.wait_red(*spot)
    assert [e["type"] for e in r.events()] == [
        "annotation_add",
        "annotation_update",
        "annotation_update",
    ]

    # ↑ / ↓ still step between notes: back to the range's first frame.
    b.page.locator("#marks-canvas").focus()
    b.page.keyboard.press("ArrowUp")
    expect(b.page.locator("#frame-no")).to_have_text(str(FIRST))
