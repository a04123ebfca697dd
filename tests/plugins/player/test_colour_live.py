"""The colour-space badge, end to end: a real relay, the player sharing, a reviewer's Chromium.

The badge says what the frame was taken as and why; the reviewer's frame shows the file's
colours (a linear 0.5 Rec.709 red is 188 in sRGB, whatever primaries the file stored it in).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from overshoulder.core.client import SessionClient
from overshoulder.core.codec import FrameEncoder, decode_jpeg, primaries
from overshoulder.core.share import Sharer
from overshoulder.plugins.player import PlayerHost, open_media
from tests.conftest import ARTIFACTS, RelayProcess

from .test_colour import REFERENCE_RED, chart, ocio_convert, write_exr
from .test_share_live import FrameLog, reviewer, wait_for

CHROMIUM = Path("/usr/bin/chromium")


def share(relay: RelayProcess, token: str, player: PlayerHost) -> tuple[Sharer, SessionClient]:
    client = SessionClient(relay.url, token, "Mia", client="player", publish_frames=True)
    sharer = Sharer(player, client, FrameEncoder(client.publish_frame))
    sharer.start()
    client.start()
    assert client.wait_synced(10)
    return sharer, client


@pytest.mark.parametrize(
    ("files", "badge"),
    [
        ("rec709", "lin_rec709 (EXR default)"),
        ("xyz", "CIE XYZ \u2192 lin_rec709 (from chromaticities)"),
    ],
)
def test_the_reviewer_sees_the_files_colours_and_the_badge_says_why(
    relay: RelayProcess, tmp_path: Path, files: str, badge: str
) -> None:
    pixels = chart()
    if files == "xyz":  # the same colours stored as CIE XYZ (made by OCIO), tagged as such
        pixels = ocio_convert(pixels, "lin_rec709", "CIE XYZ-D65 - Scene-referred")
    tags = primaries.CIE_XYZ if files == "xyz" else None
    for frame in (1, 2):
        write_exr(tmp_path / "plates" / f"shot.{frame:04d}.exr", pixels, chromaticities=tags)
    session = relay.create_session()
    player = PlayerHost(open_media(tmp_path / "plates" / "shot.####.exr"), autoplay=False)
    sharer, client = share(relay, session["host_token"], player)
    log = FrameLog()
    rita = reviewer(relay, relay.invite(session["session"]["id"]), log)
    try:
        wait_for(lambda: rita.stream is not None and rita.stream.colorspace == badge, what=badge)
        wait_for(lambda: log.last(1) is not None, what="the first frame")
        image = decode_jpeg(log.last(1)[1])  # type: ignore[index]
        red = image[4:20, 4:12].reshape(-1, 3).mean(axis=0)  # the 0.5 red patch, JPEG-coded
        assert abs(red[0] - REFERENCE_RED) <= 3 and red[1] < 8 and red[2] < 8, red
        if files == "xyz":
            _page_shows(relay, session["session"]["id"], badge, tmp_path)
    finally:
        rita.close()
        sharer.stop()
        client.close()
        player.close()


def _page_shows(relay: RelayProcess, sid: str, badge: str, tmp_path: Path) -> None:
    """A reviewer's page shows the badge in full (screenshot in test-artifacts/)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser half of this test needs it")
    from playwright.sync_api import sync_playwright

    link = f"{relay.url}/s/{sid}#t={relay.invite(sid, name='Rita')}"
    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="os-chromium-") as profile:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"],
            viewport={"width": 1400, "height": 860},
        )
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(link)
            page.locator("#conn-state[data-state='live']").wait_for(timeout=15_000)
            chip = page.locator("#colorspace")
            chip.wait_for(state="visible", timeout=15_000)
            page.wait_for_function(
                "t => document.getElementById('colorspace').textContent === t",
                arg=badge,
                timeout=15_000,
            )
            assert chip.get_attribute("title") == f"Frames taken as {badge}"
            fits = page.evaluate(
                "() => { const c = document.getElementById('colorspace');"
                " return c.scrollWidth <= c.clientWidth + 1; }"
            )
            assert fits, "the badge's words are cut"
            out = ARTIFACTS / "player"
            out.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out / "colour-badge.png"))
            page.locator(".top, header").first.screenshot(path=str(out / "colour-badge-bar.png"))
            assert not errors, errors
        finally:
            context.close()
