"""The panel's voice bar on PySide6 (PySide2: test_voice_pyside2.py runs the same scenarios)."""

from __future__ import annotations

from tests.ui import voice_scenarios as scenarios


def test_the_bar_joins_mutes_and_leaves_with_messages_both_ways_over_the_bridge():
    lines = scenarios.joins_mutes_and_leaves()
    assert len(lines) == 5


def test_m_mutes_while_the_panel_has_the_focus_and_push_to_talk_holds():
    assert len(scenarios.keys_mute_and_push_to_talk()) == 2


def test_without_qtwebengine_the_bar_says_why_and_offers_the_browser():
    assert scenarios.without_web_engine()


def test_a_refused_join_shows_the_relays_reason():
    assert scenarios.refused_join()


def test_people_rows_show_who_speaks_and_who_is_muted():
    assert scenarios.people_show_voice()
