"""Links and coming back: a link the relay refuses says so before any name is asked for, and a
page that drove drives again after the relay was killed, with nothing for the reviewer to do."""

from __future__ import annotations

from typing import Any

import requests
from playwright.sync_api import expect

from overshoulder.core.client import SessionClient
from tests.conftest import ARTIFACTS, RelayProcess
from tests.waiting import wait_for

from .conftest import Review, ReviewerPage

#: JS: keeps the text of every toast the page shows from now on in window.__toasts.
TOAST_LOG = """() => {
    window.__toasts = [];
    new MutationObserver((changes) => {
        for (const c of changes) for (const n of c.addedNodes) {
            if (n.classList && n.classList.contains("toast")) window.__toasts.push(n.textContent);
        }
    }).observe(document.body, { childList: true, subtree: true });
}"""


def check(relay: RelayProcess, sid: str, token: str) -> requests.Response:
    return requests.get(
        f"{relay.url}/api/sessions/{sid}/link",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


def open_without_a_name(r: Review, relay: RelayProcess, token: str) -> ReviewerPage:
    """A tab of someone who never joined from this browser (no name kept), on the link."""
    page = r.open(f"{relay.url}/", expect_live=False)
    page.page.evaluate("localStorage.clear()")
    page.page.goto(f"{relay.url}/s/{r.sid}#t={token}")
    return page


def shows_refusal(page: ReviewerPage, sentence: str) -> None:
    refused = page.page.locator("[data-gate='refused']")
    expect(refused).to_be_visible()
    expect(refused.locator(".gate-message")).to_have_text(sentence[0].upper() + sentence[1:])
    expect(page.page.locator("#name-form")).to_be_hidden()
    expect(page.page.locator("#app")).to_be_hidden()
    assert refused.locator("button, a, input").count() == 0
    # It never tried to join: no socket opened, nothing sent.
    assert page.sent == [] and page.received == []
    # The browser logs the refused request itself; that is the point here, not a page error.
    page.errors[:] = [e for e in page.errors if "status of 40" not in e]


def test_a_tampered_link_shows_the_relays_sentence_before_asking_a_name(
    review: Any, relay_proc: RelayProcess
) -> None:
    r = review(shot=False)
    token = relay_proc.invite(r.sid, "reviewer")  # no name in the link: one would be asked
    head, body, sig = token.split(".")
    forged = f"{head}.{body}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"
    answer = check(relay_proc, r.sid, forged)
    assert answer.status_code == 401
    sentence = answer.json()["error"]["message"]
    assert "altered" in sentence

    page = open_without_a_name(r, relay_proc, forged)
    shows_refusal(page, sentence)
    (ARTIFACTS / "browser").mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / "browser" / "link-tampered.png"))


def test_an_expired_link_shows_the_relays_sentence_before_asking_a_name(
    review: Any, relay_proc: RelayProcess
) -> None:
    r = review(shot=False)
    short = relay_proc.invite(r.sid, "reviewer", expires="1s")
    assert wait_for(lambda: check(relay_proc, r.sid, short).status_code == 401, 10)
    error = check(relay_proc, r.sid, short).json()["error"]
    assert error["code"] == "token_expired" and "expired" in error["message"]

    page = open_without_a_name(r, relay_proc, short)
    # The sentence names how long ago: it may have moved on a second since it was read.
    expect(page.page.locator("[data-gate='refused'] .gate-message")).to_contain_text(
        "expired", ignore_case=True
    )
    shown = page.page.locator("[data-gate='refused'] .gate-message").inner_text()
    assert shown.endswith("ask the host for a new one"), shown
    shows_refusal(page, shown)


def test_a_good_link_still_asks_the_name_and_joins(review: Any, relay_proc: RelayProcess) -> None:
    r = review(shot=False)
    token = relay_proc.invite(r.sid, "reviewer")
    body = check(relay_proc, r.sid, token).json()
    assert (body["session"], body["role"], body["name"]) == (r.sid, "reviewer", None)
    page = open_without_a_name(r, relay_proc, token)
    form = page.page.locator("#name-form")
    expect(form).to_be_visible()
    form.locator("input").fill("Ana")
    form.locator("button").click()
    page.wait_live()
    expect(page.page.locator("#me-name")).to_have_text("Ana")


def test_a_link_of_another_session_or_none_is_refused_by_the_check(
    review: Any, relay_proc: RelayProcess
) -> None:
    r = review(shot=False)
    other = review(shot=False)
    token = relay_proc.invite(other.sid, "reviewer")
    answer = check(relay_proc, r.sid, token)
    assert answer.status_code == 403 and "another session" in answer.json()["error"]["message"]
    answer = check(relay_proc, "nosuchsession", relay_proc.admin_key)
    assert answer.status_code == 404 and "nosuchsession" in answer.json()["error"]["message"]
    missing = requests.get(f"{relay_proc.url}/api/sessions/{r.sid}/link", timeout=5)
    assert missing.status_code == 401


def test_a_page_that_drove_drives_again_after_the_relay_is_killed(
    review: Any, relay: RelayProcess
) -> None:
    r = review(relay=relay)
    page = r.open(r.link(name="Dana"))
    page.page.locator("#drive").click()
    expect(page.page.locator("#driver-label")).to_have_text("You drive")
    dana = page.received[0]["data"]["participant"]["id"]
    client = r.shot.client
    r.shot.wait(lambda: client.driver == dana, "the host to see Dana drive")

    page.page.evaluate(TOAST_LOG)
    relay.kill9()
    expect(page.page.locator("#conn-state")).to_have_text("reconnecting…")
    relay.start()
    page.wait_live()
    r.shot.wait(lambda: client.state == "synced", "the host back in the session")
    # Whoever is back first, the drive ends where it was: with Dana.
    expect(page.page.locator("#driver-label")).to_have_text("You drive")
    r.shot.wait(lambda: client.driver == dana, "the host to see Dana drive again")
    # Frames flow again, and the way back needed nothing of Dana: nothing to read or dismiss.
    r.shot.move_to(1003)
    expect(page.page.locator("#frame-no")).to_have_text("1003")
    assert page.page.evaluate("window.__toasts") == []
    page.page.screenshot(path=str(ARTIFACTS / "browser" / "drive-after-relay-restart.png"))


def test_a_link_to_a_closed_session_says_so_before_asking_a_name(
    review: Any, relay_proc: RelayProcess
) -> None:
    r = review(shot=False)
    token = relay_proc.invite(r.sid, "reviewer")
    host = SessionClient(relay_proc.url, r.host_token, "Mia")
    host.start()
    try:
        assert host.wait_synced(15)
        host.update_session(closed=True)
        assert wait_for(lambda: host.pending == 0, 15)
    finally:
        host.close()
    answer = check(relay_proc, r.sid, token)
    assert answer.status_code == 404
    sentence = answer.json()["error"]["message"]
    assert sentence == "this session has been closed by its host"
    shows_refusal(open_without_a_name(r, relay_proc, token), sentence)
    # Its host may still come in (to reopen it, or read it).
    assert check(relay_proc, r.sid, r.host_token).json()["role"] == "host"
