"""The browser reviewer in a session: joining by link, chat, the laser, following and driving,
viewers, and getting through a relay restart with every note exactly once."""

from __future__ import annotations

from playwright.sync_api import expect

from overshoulder.core.model import ChatMessage

from ..waiting import wait_for
from .conftest import ReviewerPage
from .shot import FIRST, HEIGHT, WIDTH

XSS_NAME = '<img src=x onerror="window.__pwned=1">'
XSS_CHAT = "<script>window.__pwned=2</script><b>bold?</b>"


#: True when the frame canvas shows the shot's teal block under page point [x, y].
TEAL_AT = """([x, y]) => {
    const c = document.getElementById("frame-canvas"), r = c.getBoundingClientRect();
    const k = c.width / r.width;
    const d = c.getContext("2d").getImageData(Math.round((x - r.left) * k),
                                              Math.round((y - r.top) * k), 1, 1).data;
    return d[2] > d[0] + 60 && d[1] > d[0] + 60;
}"""


def frame_no(page: ReviewerPage):
    return expect(page.page.locator("#frame-no"))


def test_link_token_leaves_the_address_bar_and_the_name_is_asked_once(review, relay_proc):
    r = review(shot=False)
    token = relay_proc.invite(r.sid, "reviewer")
    page = r.open(f"{relay_proc.url}/s/{r.sid}#t={token}", expect_live=False)
    page.page.evaluate("localStorage.clear()")
    page.page.reload()
    page.page.locator("#name-form input").fill(XSS_NAME)
    page.page.locator("#name-form button").click()
    page.wait_live()
    assert "#t=" not in page.page.url and token not in page.page.url
    expect(page.page.locator("#me-name")).to_have_text(XSS_NAME)
    expect(page.page.locator("#people .name")).to_have_text([XSS_NAME])
    me = page.received[0]["data"]["participant"]["id"]

    # A reload keeps the seat: the token and the client id live in the tab's session storage.
    page.page.reload()
    page.wait_live()
    welcomes = [m for m in page.received if m["type"] == "welcome"]
    assert welcomes[-1]["data"]["participant"]["id"] == me
    # Another link in this browser joins with the remembered name, without asking.
    other = r.open(r.link())
    expect(other.page.locator("#me-name")).to_have_text(XSS_NAME)
    for p in (page, other):
        assert p.page.locator("#people img").count() == 0
        assert p.page.evaluate("window.__pwned") is None


def test_chat_goes_both_ways_as_text(review):
    r = review()
    a = r.open(r.link(name=XSS_NAME))
    b = r.open(r.link(name="Dana <script>window.__pwned=3</script>"))

    a.page.locator("#chat-input").fill(XSS_CHAT)
    a.page.locator("#chat-input").press("Enter")
    expect(b.page.locator("#chat-log .text")).to_have_text([XSS_CHAT])
    expect(b.page.locator("#chat-log .author")).to_have_text([XSS_NAME])
    b.page.locator("#chat-input").fill("lift the shadows here")
    b.page.locator("#chat-form button").click()
    expect(a.page.locator("#chat-log .text")).to_have_text([XSS_CHAT, "lift the shadows here"])

    client = r.shot.client
    r.shot.wait(lambda: len(client.chat_log) == 2, "both lines at the host")
    assert [c.text for c in client.chat_log] == [XSS_CHAT, "lift the shadows here"]
    client.chat("Looking now")
    for page in (a, b):
        expect(page.page.locator("#chat-log .text").last).to_have_text("Looking now")
        expect(page.page.locator("#people .name", has_text="Dana")).to_have_text(
            "Dana <script>window.__pwned=3</script>"
        )
        assert page.page.locator("#chat-log img, #chat-log b, #people script").count() == 0
        assert page.page.evaluate("window.__pwned") is None
    assert [e["type"] for e in r.events()] == ["chat", "chat", "chat"]
    assert isinstance(client.chat_log[0], ChatMessage)


def test_laser_reaches_the_other_page_and_is_never_stored(review):
    r = review()
    a = r.open(r.link(name="Sam"))
    b = r.open(r.link(name="Dana"))
    left, top, scale = a.image_rect(WIDTH, HEIGHT)
    a.tool("k")
    spot = (left + 320 * scale, top + 180 * scale)
    a.page.mouse.move(spot[0] - 60, spot[1])
    a.page.mouse.move(*spot, steps=8)
    b.wait_red(*spot)

    def last_pointer() -> dict:
        b.page.evaluate("0")  # lets Playwright hand over the frames the page received
        return [m for m in b.received if m["type"] == "pointer"][-1]

    # The trail of the last steps already covers the spot; the final pointer may come after.
    assert wait_for(
        lambda: abs(last_pointer()["data"]["x"]) < 0.01 and abs(last_pointer()["data"]["y"]) < 0.01,
        timeout=5,
    ), f"the last pointer stayed at {last_pointer()['data']}"
    last = last_pointer()
    assert last["from"] == a.received[0]["data"]["participant"]["id"]
    assert r.events() == [], "the laser is never stored"


def test_following_moves_with_the_host_and_going_free_stays(review):
    r = review()
    b = r.open(r.link(name="Dana"))
    frame_no(b).to_have_text(str(FIRST))
    r.shot.move_to(1005)
    frame_no(b).to_have_text("1005")
    expect(b.page.locator("#timecode")).to_have_text("00:00:41:21")

    b.page.locator("#follow").click()
    expect(b.page.locator("#follow")).to_have_attribute("aria-pressed", "false")
    dana = b.received[0]["data"]["participant"]["id"]
    client = r.shot.client
    r.shot.wait(
        lambda: client.participants[dana].following is False, "the host to see Dana go free"
    )
    r.shot.move_to(1008)
    b.wait_received(
        lambda m: m["type"] == "playhead" and m["data"]["frame"] == 1008, "the host's playhead"
    )
    b.page.wait_for_timeout(300)  # the frame itself arrives too; a free page only keeps it
    frame_no(b).to_have_text("1005")
    b.page.locator("#marks-canvas").focus()
    b.page.keyboard.press("ArrowLeft")
    frame_no(b).to_have_text("1004")
    expect(b.page.locator("#stage-message")).to_have_text("Frame 1004 is not on this page")
    b.page.keyboard.press("ArrowRight")
    frame_no(b).to_have_text("1005")
    expect(b.page.locator("#stage-message")).to_be_hidden()

    b.page.locator("#follow").click()
    frame_no(b).to_have_text("1008")
    r.shot.wait(
        lambda: client.participants[dana].following is True, "the host to see Dana follow again"
    )


def test_asking_to_drive_then_stepping_moves_the_host(review):
    r = review()
    b = r.open(r.link(name="Dana"))
    expect(b.page.locator("#driver-label")).to_have_text("Mia drives")
    b.page.locator("#drive").click()
    expect(b.page.locator("#driver-label")).to_have_text("You drive")
    expect(b.page.locator("#drive span")).to_have_text("Give back")
    b.page.locator("#marks-canvas").focus()
    b.page.keyboard.press("ArrowRight")
    b.page.keyboard.press("ArrowRight")
    r.shot.wait(lambda: r.shot.host.frame == FIRST + 2, "the host to follow the browser")
    frame_no(b).to_have_text(str(FIRST + 2))
    # The host's image of that frame comes back to the driver's page.
    left, top, scale = b.image_rect(WIDTH, HEIGHT)
    teal = (left + 130 * scale, top + 180 * scale)  # frame 1003's block, not 1001's
    b.page.wait_for_function(TEAL_AT, arg=list(teal))
    # Space plays and pauses the session while this page drives.
    b.page.keyboard.press("Space")
    expect(b.page.locator("#play")).to_have_attribute("title", "Pause (Space)")
    r.shot.wait(lambda: r.shot.host.playing, "the host to play")
    b.page.keyboard.press("Space")
    r.shot.wait(lambda: not r.shot.host.playing, "the host to pause")
    b.page.locator("#drive").click()
    expect(b.page.locator("#driver-label")).to_have_text("Mia drives")


def test_a_frame_seen_before_comes_as_a_reference_and_is_drawn_from_the_cache(review):
    r = review()
    b = r.open(r.link(name="Dana"))
    expect(b.page.locator("#frame-info")).to_contain_text("refined")
    left, top, scale = b.image_rect(WIDTH, HEIGHT)
    first_block = (left + 70 * scale, top + 180 * scale)  # frame 1001's teal, not 1002's
    r.shot.move_to(FIRST + 1)
    frame_no(b).to_have_text(str(FIRST + 1))
    expect(b.page.locator("#frame-info")).to_contain_text("refined")
    packets = len(b.packets)
    r.shot.move_to(FIRST)
    frame_no(b).to_have_text(str(FIRST))
    b.page.wait_for_function(TEAL_AT, arg=list(first_block))
    kinds = [kind for kind, _, frame in b.packets[packets:] if frame == FIRST]
    assert kinds and set(kinds) == {2}, "frame 1001 came back as a header-only reference"


def test_a_driving_page_hands_the_drive_to_the_page_that_asks(review):
    r = review()
    a = r.open(r.link(name="Sam"))
    b = r.open(r.link(name="Dana"))
    a.page.locator("#drive").click()
    expect(a.page.locator("#driver-label")).to_have_text("You drive")
    expect(b.page.locator("#driver-label")).to_have_text("Sam drives")
    b.page.locator("#drive").click()
    expect(b.page.locator("#drive span")).to_have_text("Asked…")
    toast = a.page.locator(".toast", has_text="Dana asks to drive.")
    toast.locator("button", has_text="Hand over").click()
    expect(b.page.locator("#driver-label")).to_have_text("You drive")
    expect(a.page.locator("#driver-label")).to_have_text("Dana drives")
    b.page.locator("#marks-canvas").focus()
    b.page.keyboard.press("ArrowRight")
    r.shot.wait(lambda: r.shot.host.frame == FIRST + 1, "the host to follow Dana")


def test_lossless_still_comes_in_as_a_png_and_is_kept_as_the_best_image(review):
    r = review()
    b = r.open(r.link(name="Dana"))
    expect(b.page.locator("#frame-info")).to_contain_text("refined")
    b.page.locator("#lossless").click()
    expect(b.page.locator("#frame-info")).to_have_text(f"{WIDTH}\u00d7{HEIGHT} · lossless")
    assert any(flags & 0x2 and frame == FIRST for kind, flags, frame in b.packets if kind == 1)
    # The host moves on and comes back: the page still holds the lossless image of 1001.
    r.shot.move_to(FIRST + 1)
    frame_no(b).to_have_text(str(FIRST + 1))
    r.shot.move_to(FIRST)
    frame_no(b).to_have_text(str(FIRST))
    expect(b.page.locator("#frame-info")).to_have_text(f"{WIDTH}\u00d7{HEIGHT} · lossless")


def test_viewer_link_has_no_drawing_tools(review):
    r = review()
    v = r.open(r.link("viewer", name="Val"))
    expect(v.page.locator("#me-role")).to_have_text("viewer")
    expect(v.page.locator("#tools")).to_be_hidden()
    expect(v.page.locator("#drive")).to_be_hidden()
    left, top, scale = v.image_rect(WIDTH, HEIGHT)
    v.page.locator("#marks-canvas").focus()
    v.page.keyboard.press("p")
    v.drag([(left + 100 * scale, top + 100 * scale), (left + 300 * scale, top + 200 * scale)])
    v.page.locator("#chat-input").fill("viewers may talk")
    v.page.locator("#chat-input").press("Enter")
    r.shot.wait(lambda: len(r.shot.client.chat_log) == 1, "the viewer's chat line")
    assert [e["type"] for e in r.events()] == ["chat"]
    assert not [m for m in v.received if m["type"] == "error"]


def test_relay_restart_keeps_every_note_once_and_sends_the_offline_note_once(review, relay):
    r = review(relay=relay)
    a = r.open(r.link(name="Sam"))
    b = r.open(r.link(name="Dana"))
    left, top, scale = a.image_rect(WIDTH, HEIGHT)
    host = r.shot.host

    a.drag([(left + 100 * scale, top + 100 * scale), (left + 250 * scale, top + 150 * scale)])
    r.shot.wait(lambda: len(host.notes) == 1, "the first note at the host")
    expect(b.page.locator("#notes li.note")).to_have_count(1)

    relay.stop()
    expect(a.page.locator("#conn-state")).to_have_text("reconnecting…")
    a.drag([(left + 300 * scale, top + 250 * scale), (left + 500 * scale, top + 200 * scale)])
    a.page.locator("#chat-input").fill("drawn while the relay was down")
    a.page.locator("#chat-input").press("Enter")
    expect(a.page.locator("#notes li.note")).to_have_count(2)
    expect(a.page.locator("#notes li.note time").last).to_have_text("sending…")

    relay.start()
    for page in (a, b):
        page.wait_live()
    r.shot.wait(lambda: len(host.notes) == 2, "the offline note at the host")
    expect(b.page.locator("#notes li.note")).to_have_count(2)
    expect(b.page.locator("#chat-log .text")).to_have_text(["drawn while the relay was down"])
    expect(a.page.locator("#notes li.note")).to_have_count(2)
    expect(a.page.locator("#notes li.note time", has_text="sending…")).to_have_count(0)

    events = r.events()
    assert [e["type"] for e in events] == ["annotation_add", "annotation_add", "chat"]
    hellos = [m["data"] for m in a.sent if m["type"] == "hello"]
    assert "since" not in hellos[0] and hellos[-1]["since"] == 1, "resumed after what it had"
    assert len({h["client_id"] for h in hellos}) == 1
    ids = [e["data"]["annotation"]["id"] for e in events[:2]]
    assert len(set(ids)) == 2 and set(ids) == set(host.notes)
    a.page.wait_for_timeout(500)
    assert len(r.events()) == 3, "nothing was sent twice"
    # Frames flow again on the media socket the page opened anew.
    r.shot.move_to(FIRST + 2)
    frame_no(b).to_have_text(str(FIRST + 2))
    left, top, scale = b.image_rect(WIDTH, HEIGHT)
    b.page.wait_for_function(TEAL_AT, arg=[left + 130 * scale, top + 180 * scale])
