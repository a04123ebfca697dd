"""The page asks for a big session's notes in pages and shows every one once they are in."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import BROWSER_ARTIFACTS
from tests.conftest import RawClient
from tests.relay.test_snapshot_pages import _fill


def test_a_late_page_gets_a_big_sessions_notes_in_pages_and_lists_them_all(review):
    r = review(shot=False)
    host = RawClient(r.relay.ws_url)
    try:
        host.join(r.host_token, "Mia")
        host.expect("synced")
        ids = _fill(host, 12, 3000)  # about 70 KB a note: four pages
    finally:
        host.close()
    page = r.open(r.link(name="Sam"))
    snap = page.wait_received(lambda m: m["type"] == "snapshot", "the snapshot")
    pages = [m for m in page.received if m["type"] == "snapshot_page"]
    assert snap["data"]["pages"] == len(pages) > 1
    assert [a["id"] for m in pages for a in m["data"]["annotations"]] == ids
    hello = next(m for m in page.sent if m["type"] == "hello")
    assert "snapshot_pages" in hello["data"]["capabilities"]
    expect(page.page.locator("#notes li.note")).to_have_count(len(ids))
    BROWSER_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(BROWSER_ARTIFACTS / "snapshot-pages.png"))
