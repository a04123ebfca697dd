"""Drawing while the shot plays: pen-down holds the drawer's view on the frame it shows (a
driver's playback stops for everyone, a follower goes free there), the mark is anchored to that
frame, the others read "<name> is drawing on F" and go there in one click; a tap makes nothing."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from .conftest import BROWSER_ARTIFACTS, ReviewerPage
from .shot import FIRST, HEIGHT, WIDTH
from .test_session import TEAL_AT

#: Frames the host must have moved on by before a test draws: the shot is really playing.
PLAYED = 3


def path_on_stage(page: ReviewerPage) -> list[tuple[float, float]]:
    """A zig-zag across the upper frame (away from the teal block), in page coordinates."""
    left, top, scale = page.image_rect(WIDTH, HEIGHT)
    return [
        (left + scale * x, top + scale * y)
        for x, y in ((160, 60), (260, 100), (360, 60), (460, 100), (520, 80))
    ]


def drive_and_play(r: Any, page: ReviewerPage) -> None:
    """``page`` takes the drive and plays; returns once the host plays along."""
    page.page.locator("#drive").click()
    expect(page.page.locator("#driver-label")).to_have_text("You drive")
    page.page.locator("#marks-canvas").focus()
    page.page.keyboard.press("Space")
    expect(page.page.locator("#play")).to_have_attribute("title", "Pause (Space)")
    host = r.shot.host
    r.shot.wait(lambda: host.playing and host.frame >= FIRST + PLAYED, "the host to play")


def drafted_frame(page: ReviewerPage) -> int:
    """The frame named by the first draft ``page`` sent (waiting for it)."""
    for _ in range(500):
        draft = next((m for m in page.sent if m["type"] == "draft"), None)
        if draft is not None:
            return int(draft["data"]["frame"])
        page.page.wait_for_timeout(20)
    raise AssertionError("the page sent no draft")


def teal_of(page: ReviewerPage, frame: int) -> list[float]:
    """Page point in the middle of ``frame``'s teal block (its place says the frame)."""
    left, top, scale = page.image_rect(WIDTH, HEIGHT)
    return [left + (70 + (frame - FIRST) * 20) * scale, top + 180 * scale]


def notice(page: ReviewerPage) -> Any:
    return page.page.locator(".drawing-notice .drawing")


def test_the_driver_drawing_stops_playback_for_everyone_on_the_frame_drawn_on(review):
    r = review()
    a = r.open(r.link(name="Sam"))
    b = r.open(r.link(name="Dana"))
    drive_and_play(r, a)

    a.drag(path_on_stage(a), release=False)
    frame = drafted_frame(a)
    host = r.shot.host
    # Sam's pen-down paused the session on the frame Sam saw: Sam's page, the host, Dana.
    expect(a.page.locator("#play")).to_have_attribute("title", "Play (Space)")
    r.shot.wait(lambda: not host.playing and host.frame == frame, "the host to stop there")
    expect(a.page.locator("#frame-no")).to_have_text(str(frame))
    expect(b.page.locator("#frame-no")).to_have_text(str(frame))
    b.page.wait_for_function(TEAL_AT, arg=teal_of(b, frame))
    expect(notice(b)).to_have_text(f"Sam is drawing on {frame}")
    expect(notice(b)).to_be_disabled()  # Dana is already there
    assert all(m["data"].get("frame") == frame for m in a.sent if m["type"] == "draft")
    BROWSER_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    b.page.screenshot(path=str(BROWSER_ARTIFACTS / "drawing-notice-same-frame.png"))

    a.page.mouse.up()
    note = r.shot.wait(lambda: next(iter(host.notes.values()), None), "the note at the host")
    assert note.anchor.frame == frame
    assert note.anchor.image is not None and note.anchor.image.hash == r.shot.hash_of(frame)
    expect(notice(b)).to_have_count(0)
    expect(a.page.locator("#play")).to_have_attribute("title", "Play (Space)")
    assert not host.playing


def test_a_follower_drawing_goes_free_on_its_frame_and_the_others_go_there_in_one_click(review):
    r = review()
    a = r.open(r.link(name="Sam"))
    b = r.open(r.link(name="Dana"))
    c = r.open(r.link(name="Lee"))
    drive_and_play(r, b)
    host = r.shot.host

    a.drag(path_on_stage(a), release=False)
    frame = drafted_frame(a)
    # Sam's view holds on the frame (Sam goes free); Dana drives on, the host keeps playing.
    expect(a.page.locator("#follow")).to_have_attribute("aria-pressed", "false")
    expect(a.page.locator("#frame-no")).to_have_text(str(frame))
    a.page.wait_for_function(TEAL_AT, arg=teal_of(a, frame))
    r.shot.wait(lambda: host.playing and host.frame != frame, "the host to play on")
    expect(b.page.locator("#play")).to_have_attribute("title", "Pause (Space)")

    # Lee, following Dana elsewhere, reads where Sam draws, and one click goes there.
    expect(notice(c)).to_have_text(f"Sam is drawing on {frame}Go")
    sam_row = c.page.locator("#people li", has_text="Sam")
    expect(sam_row.locator(".status")).to_have_text(f"drawing on {frame}")
    BROWSER_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    c.page.screenshot(path=str(BROWSER_ARTIFACTS / "drawing-notice.png"))
    notice(c).click()
    expect(c.page.locator("#frame-no")).to_have_text(str(frame))
    expect(c.page.locator("#follow")).to_have_attribute("aria-pressed", "false")
    c.page.wait_for_function(TEAL_AT, arg=teal_of(c, frame))
    expect(notice(c)).to_be_disabled()
    expect(notice(c)).to_have_text(f"Sam is drawing on {frame}")
    # ... and sees the mark grow there.
    c.wait_red(*path_on_stage(c)[2])
    a.page.screenshot(path=str(BROWSER_ARTIFACTS / "drawing-while-playing.png"))

    a.page.mouse.up()
    note = r.shot.wait(lambda: next(iter(host.notes.values()), None), "the note at the host")
    assert note.anchor.frame == frame
    assert note.anchor.image is not None and note.anchor.image.hash == r.shot.hash_of(frame)
    expect(notice(c)).to_have_count(0)
    expect(c.page.locator("#notes li.note")).to_have_count(1)
    assert host.playing, "a follower's drawing never stopped the others"


def test_a_follower_stays_on_its_frame_when_the_driver_moves_while_it_draws(review):
    r = review()
    a = r.open(r.link(name="Sam"))
    expect(a.page.locator("#frame-no")).to_have_text(str(FIRST))
    a.drag(path_on_stage(a), release=False)
    assert drafted_frame(a) == FIRST
    expect(a.page.locator("#follow")).to_have_attribute("aria-pressed", "true")  # nothing plays
    r.shot.move_to(FIRST + 4)  # the artist scrubs while Sam draws
    expect(a.page.locator("#follow")).to_have_attribute("aria-pressed", "false")
    expect(a.page.locator("#frame-no")).to_have_text(str(FIRST))
    a.page.wait_for_function(TEAL_AT, arg=teal_of(a, FIRST))
    a.page.mouse.up()
    host = r.shot.host
    note = r.shot.wait(lambda: next(iter(host.notes.values()), None), "the note at the host")
    assert note.anchor.frame == FIRST and host.frame == FIRST + 4


def test_a_tap_with_a_mouse_a_pen_or_a_finger_makes_no_note_and_stops_nothing(
    review, browser_context
):
    r = review()
    a = r.open(r.link(name="Sam"))
    drive_and_play(r, a)
    left, top, scale = a.image_rect(WIDTH, HEIGHT)
    cdp = browser_context.new_cdp_session(a.page)
    x, y = left + 200 * scale, top + 80 * scale

    # A mouse click, and one that wobbles 2 px.
    a.page.mouse.click(x, y)
    a.drag([(x, y + 20), (x + 2, y + 20)])

    # A pen tap that moves 2 px.
    def pen(kind: str, px: float, py: float) -> None:
        cdp.send(
            "Input.dispatchMouseEvent",
            {
                "type": kind,
                "x": px,
                "y": py,
                "button": "left",
                "buttons": 0 if kind == "mouseReleased" else 1,
                "clickCount": 1,
                "pointerType": "pen",
                "force": 0.4,
            },
        )

    pen("mousePressed", x, y + 40)
    pen("mouseMoved", x + 1, y + 41)
    pen("mouseMoved", x + 2, y + 40)
    pen("mouseReleased", x + 2, y + 40)

    # A finger tap that moves 2 px (an iPad's stray touch).
    def touch(kind: str, points: list[tuple[float, float]]) -> None:
        cdp.send(
            "Input.dispatchTouchEvent",
            {"type": kind, "touchPoints": [{"x": px, "y": py} for px, py in points]},
        )

    touch("touchStart", [(x, y + 60)])
    touch("touchMove", [(x + 1, y + 61)])
    touch("touchMove", [(x + 2, y + 62)])
    touch("touchEnd", [])

    # A tap with the ellipse tool (it made a tiny ellipse once).
    a.tool("e")
    a.drag([(x, y + 80), (x + 2, y + 81)])
    a.tool("p")

    # Nothing was drawn: no draft went out, the session still plays.
    expect(a.page.locator("#play")).to_have_attribute("title", "Pause (Space)")
    assert r.shot.host.playing
    assert not [m for m in a.sent if m["type"] in ("draft", "annotation_add")]

    # A real stroke after the taps is the only note the relay keeps (it handles one socket's
    # messages in order, so a tap's note would have come first).
    a.drag(path_on_stage(a))
    r.shot.wait(lambda: r.shot.host.notes, "the stroke's note")
    assert [e["type"] for e in r.events()] == ["annotation_add"]
    expect(a.page.locator("#notes li.note")).to_have_count(1)


def test_a_finger_stroke_past_the_tap_distance_is_a_note(review, browser_context):
    r = review()
    a = r.open(r.link(name="Sam"))
    left, top, scale = a.image_rect(WIDTH, HEIGHT)
    cdp = browser_context.new_cdp_session(a.page)
    x, y = left + 200 * scale, top + 80 * scale
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, 9):
        cdp.send(
            "Input.dispatchTouchEvent",
            {"type": "touchMove", "touchPoints": [{"x": x + 6 * i, "y": y}]},
        )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    note = r.shot.wait(lambda: next(iter(r.shot.host.notes.values()), None), "the finger note")
    assert note.shape.kind == "stroke" and len(note.shape.points) >= 5


def test_text_typed_while_the_shot_plays_belongs_to_the_frame_clicked_on(review):
    r = review()
    a = r.open(r.link(name="Sam"))
    drive_and_play(r, a)
    left, top, scale = a.image_rect(WIDTH, HEIGHT)
    a.tool("t")
    a.page.mouse.click(left + 200 * scale, top + 80 * scale)
    expect(a.page.locator("#play")).to_have_attribute("title", "Play (Space)")
    host = r.shot.host
    r.shot.wait(lambda: not host.playing, "the host to stop")
    frame = host.frame
    a.page.keyboard.type("too hot")
    a.page.keyboard.press("Enter")
    note = r.shot.wait(lambda: next(iter(host.notes.values()), None), "the text note")
    assert note.shape.kind == "text" and note.text == "too hot"
    assert note.anchor.frame == frame
    assert note.anchor.image is not None and note.anchor.image.hash == r.shot.hash_of(frame)
