"""The self-test a studio TD runs inside a real app: every call an adapter makes, one report.

The apps cannot run where Overshoulder is built, so each adapter ships a list of
``Check``s (``plugins/<app>/selftest.py``) that exercise, in the running app, each
call the adapter relies on and measure what could not be measured without it
(capture time, the cost of one scripting call, which callbacks fire). This module
knows no app: it runs the checks, keeps going when one fails, and writes a report
(text for a person, JSON for a bug report).

A check is a function ``fn(figures) -> Optional[str]``. It puts its measurements
in ``figures`` as it goes (so a failure halfway still reports what was measured)
and returns an optional sentence about what it saw. It raises ``CheckFailed`` to
fail with a sentence naming what was wrong, ``CheckSkipped`` when it does not
apply here (no GUI under ``nuke -t``); any other exception fails that check with
its type and message, its traceback kept in the JSON, and the next check runs.
Nothing a check raises ever reaches the app.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Optional

#: Folder (under the system's temporary folder) where reports go unless told otherwise.
REPORT_FOLDER = "overshoulder-selftest"

#: The statuses a check ends with.
PASS, FAIL, SKIP = "pass", "fail", "skip"

Figures = dict[str, Any]


class CheckFailed(Exception):
    """Raised by a check: it failed, for the reason given (and these extra figures)."""

    def __init__(self, detail: str, **figures: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.figures = figures


class CheckSkipped(Exception):
    """Raised by a check that does not apply here (no GUI, an older version of the app)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Check:
    """One thing to try in the app: a short ``name`` (a key in the JSON), a ``title`` for
    people, and the function that does it."""

    name: str
    title: str
    fn: Callable[[Figures], Optional[str]]


@dataclass
class CheckResult:
    """How one check ended."""

    name: str
    title: str
    status: str
    detail: str = ""
    figures: Figures = field(default_factory=dict)
    seconds: float = 0.0
    #: The traceback of an unexpected exception (not of ``CheckFailed``), for a bug report.
    error: Optional[str] = None


@dataclass
class Report:
    """What one run of the self-test found, with where it ran."""

    app: str
    app_version: str
    os: str
    python: str
    overshoulder: str
    started: str
    checks: list[CheckResult] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status == FAIL]

    @property
    def ok(self) -> bool:
        """True when no check failed (skipped ones do not count against it)."""
        return not self.failed

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for c in self.checks if c.status == s) for s in (PASS, FAIL, SKIP)}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["summary"] = self.counts()
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, default=str)

    def to_text(self) -> str:
        counts = self.counts()
        lines = [
            f"Overshoulder self-test in {self.app} {self.app_version}",
            f"  started {self.started}; Overshoulder {self.overshoulder}",
            f"  OS {self.os}; Python {self.python}",
        ]
        lines += [f"  {key}: {value}" for key, value in self.extra.items()]
        lines.append(
            f"  {counts[PASS]} passed, {counts[FAIL]} failed, {counts[SKIP]} skipped"
            f" of {len(self.checks)} checks"
        )
        lines.append("")
        for check in self.checks:
            lines.append(
                f"[{check.status.upper()}] {check.title} ({check.name}, {check.seconds:.2f} s)"
            )
            if check.detail:
                lines.append(f"    {check.detail}")
            for key, value in check.figures.items():
                lines.append(f"    {key} = {_show(value)}")
        return "\n".join(lines) + "\n"

    def write(self, folder: Optional[str] = None) -> tuple[str, str]:
        """Write the text and JSON reports; returns their paths."""
        folder = folder or os.path.join(tempfile.gettempdir(), REPORT_FOLDER)
        os.makedirs(folder, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        base = os.path.join(folder, f"overshoulder-selftest-{self.app}-{stamp}")
        text_path, json_path = base + ".txt", base + ".json"
        with open(text_path, "w", encoding="utf-8") as out:
            out.write(self.to_text())
        with open(json_path, "w", encoding="utf-8") as out:
            out.write(self.to_json())
        return text_path, json_path


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def run_check(check: Check) -> CheckResult:
    """Run one check; whatever it raises becomes its status, never an exception here."""
    figures: Figures = {}
    start = time.perf_counter()
    status, detail, error = PASS, "", None
    try:
        detail = check.fn(figures) or ""
    except CheckFailed as exc:
        status, detail = FAIL, exc.detail
        figures.update(exc.figures)
    except CheckSkipped as exc:
        status, detail = SKIP, exc.reason
    except Exception as exc:  # any refusal of the app: reported, never raised into it
        status, detail = FAIL, f"{type(exc).__name__}: {exc}"
        error = traceback.format_exc()
    return CheckResult(
        name=check.name,
        title=check.title,
        status=status,
        detail=detail,
        figures=figures,
        seconds=time.perf_counter() - start,
        error=error,
    )


def run_checks(
    app: str, app_version: str, checks: Sequence[Check], extra: Optional[dict[str, Any]] = None
) -> Report:
    """Run every check in order and return the report (OS and Python filled in here)."""
    from overshoulder import __version__

    report = Report(
        app=app,
        app_version=app_version,
        os=platform.platform(),
        python=sys.version.split()[0],
        overshoulder=__version__,
        started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        extra=dict(extra or {}),
    )
    for check in checks:
        report.checks.append(run_check(check))
    return report


def timing_figures(prefix: str, seconds: Sequence[float]) -> Figures:
    """Median and worst of some timings, in milliseconds, and how many there were."""
    if not seconds:
        return {f"{prefix}_count": 0}
    return {
        f"{prefix}_median_ms": statistics.median(seconds) * 1000.0,
        f"{prefix}_worst_ms": max(seconds) * 1000.0,
        f"{prefix}_count": len(seconds),
    }


class MainThreadMeter:
    """Adds up the time work held the app's main thread (``with meter.on_main(): ...``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.spans: list[float] = []

    @contextmanager
    def on_main(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self.spans.append(time.perf_counter() - start)

    def figures(self, prefix: str) -> Figures:
        with self._lock:
            spans = list(self.spans)
        result = timing_figures(prefix, spans)
        result[f"{prefix}_total_ms"] = sum(spans) * 1000.0
        return result


@contextmanager
def timed(figures: Figures, key: str) -> Iterator[None]:
    """Time the block into ``figures[key]``, in milliseconds (set even when the block raises)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        figures[key] = (time.perf_counter() - start) * 1000.0


def single_failure(
    app: str, app_version: str, name: str, title: str, detail: str, **extra: Any
) -> Report:
    """A report of one failed check, for when the checks cannot even start (the app is not
    reachable, the scratch document cannot be made)."""

    def failed(figures: Figures) -> None:
        raise CheckFailed(detail)

    return run_checks(app, app_version, [Check(name, title, failed)], extra=extra or None)


def run_from_menu(
    run: Callable[[], Report],
    show: Callable[[Report, tuple[str, str]], Any],
    tell: Callable[[str], None],
    out: Optional[str] = None,
) -> Optional[Report]:
    """What an app's "Self-test" menu entry does: run, save, show. Never raises into the app.

    ``run`` makes the report; ``show`` opens the report window (``selftest_dialog``); ``tell``
    is the app's own message box, used when the window cannot open (no Qt) or the report
    cannot be saved (a full disk), and when the self-test itself cannot run. Returns the
    report, or None when there was none.
    """
    try:
        report = run()
    except Exception as exc:
        _tell(tell, f"Overshoulder: the self-test could not run: {type(exc).__name__}: {exc}")
        return None
    try:
        paths: Optional[tuple[str, str]] = report.write(out)
    except Exception as exc:  # a full disk, a folder we may not write: show it unsaved
        paths = None
        unsaved = f"(the report could not be saved: {type(exc).__name__}: {exc})"
    if paths is not None:
        try:
            show(report, paths)
            return report
        except Exception:
            pass  # no Qt window here: the app's own message box instead
        unsaved = "Saved as " + " and ".join(paths)
    _tell(tell, report.to_text() + "\n" + unsaved)
    return report


def _tell(tell: Callable[[str], None], text: str) -> None:
    try:
        tell(text)
    except Exception:
        sys.stderr.write(text + "\n")


def terminal_main(
    run: Callable[[Any], Report],
    prog: str,
    description: str,
    argv: Optional[Sequence[str]] = None,
    more_arguments: Optional[Callable[[Any], None]] = None,
) -> int:
    """An app's terminal self-test (``nuke -t``, ``mayapy``, Resolve's external scripting):
    options, run (``run(args)``), print and write the report. Exit 0 when nothing failed,
    1 when a check failed, 2 when the self-test could not run at all."""
    import argparse

    parser = argparse.ArgumentParser(prog=prog, description=description)
    add_cli_arguments(parser)
    if more_arguments is not None:
        more_arguments(parser)
    args = parser.parse_args(list(argv) if argv is not None else sys.argv[1:])
    try:
        report = run(args)
    except Exception as exc:
        sys.stderr.write(f"{prog}: the self-test could not run: {type(exc).__name__}: {exc}\n")
        return 2
    return cli_main(report, args.out)


def cli_main(report: Report, out: Optional[str] = None) -> int:
    """For a terminal (``nuke -t``, ``mayapy``, Resolve's external scripting): print the text
    report, write both files, and exit 0 when nothing failed, else 1."""
    text_path, json_path = report.write(out)
    sys.stdout.write(report.to_text())
    sys.stdout.write(f"\nReport written to {text_path}\nand {json_path}\n")
    sys.stdout.flush()
    return 0 if report.ok else 1


def add_cli_arguments(parser: Any) -> None:
    """The options every app's terminal self-test takes (an ``argparse`` parser)."""
    parser.add_argument(
        "--out",
        metavar="FOLDER",
        default=None,
        help=f"where to write the report (default: {REPORT_FOLDER} in the system's temp folder)",
    )
