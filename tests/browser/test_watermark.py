"""The watermark: a viewer's frames and PNG downloads carry their name and the time; the host
decides who gets it, and the setting is kept with the session."""

from __future__ import annotations

import numpy as np
from playwright.sync_api import expect

from overshoulder.core.codec.png import decode_png

from .conftest import BROWSER_ARTIFACTS
from .shot import HEIGHT, WIDTH


def _download(page) -> np.ndarray:
    with page.page.expect_download() as info:
        page.page.locator("#download").click()
    return decode_png(info.value.path().read_bytes())[:, :, :3].astype(np.int32)


def test_a_viewers_frame_and_download_name_the_viewer_and_the_host_can_switch_it(review):
    r = review()
    viewer = r.open(r.link("viewer", name="Val Kim"))
    reviewer = r.open(r.link("reviewer", name="Sam"))
    layer = viewer.page.locator("#watermark")
    expect(layer).to_be_visible()
    text = layer.get_attribute("data-text") or ""
    assert text.startswith("Val Kim · ") and text.endswith(" UTC"), text
    expect(reviewer.page.locator("#watermark")).to_be_hidden()  # the default: viewers only
    expect(viewer.page.locator("#watermark-setting")).to_be_hidden()  # only a host switches
    BROWSER_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    viewer.page.screenshot(path=str(BROWSER_ARTIFACTS / "watermark-viewer.png"))

    # The viewer's PNG carries it burned in; the reviewer's PNG of the same frame does not.
    marked, plain = _download(viewer), _download(reviewer)
    assert marked.shape[:2] == plain.shape[:2] == (HEIGHT, WIDTH)
    changed = (np.abs(marked - plain).max(axis=2) > 12).mean()
    assert changed > 0.01, f"only {changed:.4f} of the viewer's PNG differs from the plain one"

    host = r.open(f"{r.relay.url}/s/{r.sid}#t={r.host_token}")
    expect(host.page.locator("#watermark-setting")).to_be_visible()
    host.page.locator("#watermark-mode").select_option("everyone")
    expect(reviewer.page.locator("#watermark")).to_be_visible()
    host.page.locator("#watermark-mode").select_option("off")
    expect(viewer.page.locator("#watermark")).to_be_hidden()
    # Kept with the session: a page that joins now gets it from the snapshot, and it is in
    # the log and the audit trail.
    late = r.open(r.link("viewer", name="Late"))
    expect(late.page.locator("#watermark")).to_be_hidden()
    settings = [e["data"].get("watermark") for e in r.events() if e["type"] == "session"]
    assert settings == ["everyone", "off"]
