"""Run in a child process with QT_PREFERRED_BINDING=PySide2 (see test_voice_pyside2.py): the
voice bar's scenarios of voice_scenarios.py, one line per check, "OK" at the end."""

from __future__ import annotations

import Qt

from tests.ui import voice_scenarios


def main() -> None:
    assert Qt.__binding__ == "PySide2", Qt.__binding__
    voice_scenarios.run_all()
    voice_scenarios.people_show_voice()
    print("people show voice")
    print("OK")


if __name__ == "__main__":
    main()
