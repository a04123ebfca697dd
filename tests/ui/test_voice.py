"""The panel's voice bar on PySide6 (PySide2: test_voice_pyside2.py runs the same scenarios)."""

from __future__ import annotations

from tests.ui import voice_scenarios as scenarios


def test_the_bar_joins_mutes_and_leaves_with_messages_both_ways_over_the_bridge():
    lines = scenarios.joins_mutes_and_leaves()
    assert len(lines) == 5


def test_m_mutes_while_the_panel_has_the_focus_and_push_to_talk_holds():
    assert len(scenarios.keys_mute_and_push_to_talk()) == 2


def test_push_to_talk_and_the_mute_shortcut_work_with_the_focus_on_the_apps_viewer():
    assert len(scenarios.keys_anywhere_in_the_app()) == 5


def test_a_voice_note_held_in_the_bar_is_uploaded_off_the_gui_thread_and_added():
    assert scenarios.records_a_voice_note()


def test_without_qtwebengine_the_bar_says_why_and_offers_the_browser():
    assert scenarios.without_web_engine()


def test_a_refused_join_shows_the_relays_reason():
    assert scenarios.refused_join()


def test_people_rows_show_who_speaks_and_who_is_muted():
    assert scenarios.people_show_voice()


def test_the_voice_page_is_served_from_loopback_and_nothing_else_is():
    import requests

    from overshoulder.core.panel_voice import PageServer

    server = PageServer()
    try:
        page = requests.get(server.url(), timeout=5)
        assert page.status_code == 200 and "panel-voice.js" in page.text
        script = requests.get(server.url("js/panel-voice.js"), timeout=5)
        assert script.headers["Content-Type"].startswith("text/javascript")
        for path in ("/web/../api.py", "/web/%2e%2e/api.py", "/api.py", "/web/js/nosuch.js"):
            got = requests.get(f"http://127.0.0.1:{server.port}{path}", timeout=5)
            assert got.status_code == 404, (path, got.status_code)
    finally:
        server.close()


def test_a_dropped_connection_reaches_the_engine_and_voice_comes_back():
    assert scenarios.reconnects()


def test_a_volume_per_person_and_a_host_letting_a_viewer_speak():
    assert scenarios.volumes_and_letting_a_viewer_speak()


def test_the_web_engine_pieces_and_the_microphone_granted_to_the_page_only():
    assert scenarios.web_engine_pieces()
