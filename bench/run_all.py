"""Run every relay benchmark and rewrite ``docs/benchmarks.md`` with the results.

Each benchmark runs as its own process (``python bench/NAME.py``) with a time
limit; its markdown section goes into the document in order. A benchmark
that fails or runs out of time gets a FAILED section with the tail of its
error output instead of numbers. The hand-written block between
``<!-- notes:start -->`` and ``<!-- notes:end -->`` (findings, analysis) is
carried over from the previous document unchanged.

Whole run: about 7 minutes on 2 cores (the four relay benchmarks about 3,
codec about 2.5, pipeline about 1.5), plus about 8 for ``voice_latency``. ``shaped_link``
needs root (network namespaces and tc), as do ``voice_latency``'s shaped calls; without it,
``shaped_link`` reports SKIP.

Usage::

    python bench/run_all.py                 # all, rewrites docs/benchmarks.md
    python bench/run_all.py --only fanout   # some, document untouched unless --write
    python bench/run_all.py --only fanout --write   # some; the others' results are kept
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from _relay import BENCH_DIR, PYTHON, REPO_ROOT, machine_line

BENCHMARKS: list[tuple[str, str, float]] = [
    ("control_latency", "Control latency (playhead, pointer, annotation)", 180.0),
    ("fanout", "Frame fan-out to 1 / 10 / 20 subscribers", 180.0),
    ("shaped_link", "One reviewer behind 50 Mbit/s", 180.0),
    ("late_join", "Late join into 10,000 annotations; memory per idle connection", 180.0),
    ("codec", "Frame pipeline: display transform, scale, JPEG/PNG, hash", 300.0),
    ("pipeline", "Capture -> relay -> decoded; sustained EXR playback; second loop", 240.0),
    ("nuke_knob_drag", "Nuke: main-thread time of a knob drag, before and after coalescing", 120.0),
    ("nuke_jpeg_subsampling", "Nuke capture: size and quality of each JPEG subsampling", 120.0),
    ("voice_latency", "Voice: mouth-to-ear for 2-10 speakers, mesh and SFU, shaped; CPU", 1200.0),
]
DOC = REPO_ROOT / "docs" / "benchmarks.md"
NOTES_START = "<!-- notes:start -->"
NOTES_END = "<!-- notes:end -->"
DEFAULT_NOTES = f"{NOTES_START}\n_No notes yet._\n{NOTES_END}"

INTRO = """# Relay benchmarks

What the relay (`overshoulder.relay`, one aiohttp process) costs and how fast
it is, measured against the real relay process over real sockets. Each
benchmark starts the relay with `python -m overshoulder.relay` on a free
port (loopback, or a network namespace the benchmark creates), drives it
with `websockets` asyncio clients in separate load processes where the load
needs it, and kills every process it started when it ends. Every result is
set beside a physical reference measured on the same machine in the same
run (a bare WebSocket echo, a plain TCP stream, the link's serialisation
time, an SQLite commit), and checked against its budget.

How to run (about 7 minutes on 2 cores; `shaped_link` needs root):

    make bench                # = .venv/bin/python bench/run_all.py
    python bench/run_all.py   # runs them all and rewrites this file

One benchmark alone: `python bench/control_latency.py`, `python
bench/fanout.py`, `sudo python bench/shaped_link.py`, `python
bench/late_join.py`, `python bench/codec.py`, `python bench/pipeline.py`
(each prints its markdown section; `--help` lists the
knobs). Numbers from a 2-core VM shared with other work are noisy: each
section says how much CPU other processes used during its run.
"""


def _kill_group(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_one(name: str, timeout: float) -> tuple[str, float]:
    """The markdown section a benchmark printed (or a FAILED section), and its seconds."""
    t0 = time.monotonic()
    script = BENCH_DIR / f"{name}.py"
    proc = subprocess.Popen(
        [PYTHON, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(REPO_ROOT),
        # Its own process group, so a time limit ends the relays, browsers and media
        # servers it started too, not only the script.
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate(timeout=30)
        return failed(name, f"ran past its {timeout:g} s limit", err), time.monotonic() - t0
    finally:
        if proc.poll() is None:
            _kill_group(proc)
            proc.wait(timeout=30)
    if proc.returncode != 0 or not out.strip():
        return failed(name, f"exited with status {proc.returncode}", err), time.monotonic() - t0
    return out.strip() + "\n", time.monotonic() - t0


def failed(name: str, why: str, err: str) -> str:
    tail = "\n".join(err.strip().splitlines()[-25:])
    return f"## {name}\n\nFAILED: `python bench/{name}.py` {why}.\n\n```\n{tail}\n```\n"


def verdict_of(section: str) -> str:
    if "SKIP " in section:
        return "SKIP"
    if section.lstrip().startswith("## ") and "FAILED:" in section:
        return "FAILED"
    found = re.findall(r"\*\*(PASS|MISS)\*\*\.?\s*$", section, flags=re.MULTILINE)
    return found[-1] if found else "?"


def old_notes() -> str:
    if not DOC.exists():
        return DEFAULT_NOTES
    text = DOC.read_text(encoding="utf-8")
    start, end = text.find(NOTES_START), text.find(NOTES_END)
    if start < 0 or end < start:
        return DEFAULT_NOTES
    return text[start : end + len(NOTES_END)]


def old_results() -> dict[str, tuple[str, str]]:
    """Each benchmark's summary row and section in the current document, by name, so a run
    of some of them (``--only ... --write``) keeps the others' results."""
    if not DOC.exists():
        return {}
    text = DOC.read_text(encoding="utf-8")
    end = text.find(NOTES_END)
    body = text[end + len(NOTES_END) :] if end >= 0 else ""
    sections = {}
    for part in re.split(r"\n(?=## )", body):
        if part.startswith("## "):
            sections[_anchor(part)] = part.rstrip("\n") + "\n"
    out = {}
    for name, _, _ in BENCHMARKS:
        row = re.search(rf"^\| \[[^\]]*\]\(#([^)]*)\) \| `{name}\.py` \|.*$", text, re.M)
        if row is not None and row.group(1) in sections:
            out[name] = (row.group(0), sections[row.group(1)])
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", nargs="+", choices=[b[0] for b in BENCHMARKS])
    parser.add_argument("--write", action="store_true", help="rewrite the doc even with --only")
    args = parser.parse_args(argv)
    kept = old_results() if args.only else {}
    sections: list[str] = []
    summary: list[str] = []
    t0 = time.monotonic()
    kept_s = 0.0
    for name, title, timeout in BENCHMARKS:
        if args.only and name not in args.only:
            if name in kept:  # not run now: its last results stay
                row, section = kept[name]
                summary.append(row)
                sections.append(section)
                took = re.search(r"([\d.]+) s \|$", row)
                kept_s += float(took.group(1)) if took else 0.0
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        section, seconds = run_one(name, timeout)
        result = verdict_of(section)
        print(f"  {name}: {result} ({seconds:.0f} s)", file=sys.stderr, flush=True)
        sections.append(section)
        summary.append(
            f"| [{title}](#{_anchor(section)}) | `{name}.py` | {result} | {seconds:.0f} s |"
        )
    total = time.monotonic() - t0 + kept_s
    doc = "\n".join(
        [
            INTRO,
            "## Summary",
            "",
            machine_line(),
            "",
            "| benchmark | script | budget | time |",
            "|---|---|---|---|",
            *summary,
            "",
            f"Total: {total:.0f} s.",
            "",
            "## Findings",
            "",
            old_notes(),
            "",
            *sections,
        ]
    )
    print(doc)
    if not args.only or args.write:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(doc.rstrip() + "\n", encoding="utf-8")
        print(f"wrote {DOC.relative_to(REPO_ROOT)}", file=sys.stderr)
    return 0


def _anchor(section: str) -> str:
    first = section.strip().splitlines()[0].lstrip("# ").strip().lower()
    first = re.sub(r"[^\w\- ]", "", first)
    return first.replace(" ", "-")


if __name__ == "__main__":
    raise SystemExit(main())
