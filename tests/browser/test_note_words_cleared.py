"""Taking a note's words away in the browser reviewer: the page sends ``clear: ["text"]``, and
the words are gone for everyone (the page itself, another page, the host's app, the log)."""

from __future__ import annotations

from playwright.sync_api import expect

from .shot import HEIGHT, WIDTH


def test_emptying_a_note_s_words_takes_them_away_everywhere(review):
    r = review()
    a = r.open(r.link(name="Sam"))
    b = r.open(r.link(name="Dana"))
    left, top, scale = a.image_rect(WIDTH, HEIGHT)
    a.drag([(left + 200 * scale, top + 100 * scale), (left + 300 * scale, top + 120 * scale)])
    a.page.locator("#notes li.note button", has_text="Add words").click()
    a.page.locator(".note-editor").fill("lift the shadows")
    a.page.locator(".note-editor").press("Enter")
    host = r.shot.host
    r.shot.wait(lambda: [n.text for n in host.notes.values()] == ["lift the shadows"], "the words")
    for page in (a, b):
        expect(page.page.locator("#notes .note-text")).to_have_text(["lift the shadows"])

    a.page.locator("#notes li.note button", has_text="Edit").click()
    a.page.locator(".note-editor").fill("   ")
    a.page.locator(".note-editor").press("Enter")

    r.shot.wait(lambda: [n.text for n in host.notes.values()] == [None], "the words gone")
    for page in (a, b):
        expect(page.page.locator("#notes li.note")).to_have_count(1)
        expect(page.page.locator("#notes .note-text")).to_have_count(0)
        expect(page.page.locator("#notes li.note button", has_text="Add words")).to_have_count(
            1 if page is a else 0
        )
    update = r.events()[-1]
    assert update["type"] == "annotation_update"
    assert update["data"] == {"id": update["data"]["id"], "clear": ["text"]}
