"""``overshoulder demo``: a relay with its embedded store, a session, and the links to open."""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import requests

from overshoulder.relay import config


def _free_port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="overshoulder demo", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("demo-data"))
    parser.add_argument("--port", type=int, default=config.DEFAULT_PORT)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)

    port = _free_port(args.port)
    relay = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "overshoulder.relay",
            "--host",
            args.host,
            "--port",
            str(port),
            "--data-dir",
            str(args.data_dir),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        assert relay.stdout is not None
        first = relay.stdout.readline()
        match = re.search(r":(\d+)\s*$", first)
        if not match:
            print(f"overshoulder demo: the relay did not start: {first.strip()}", file=sys.stderr)
            return 1
        base = f"http://127.0.0.1:{match.group(1)}"
        for _ in range(100):
            try:
                if requests.get(base + "/api/health", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        created = requests.post(
            base + "/api/sessions",
            json={"name": "Demo review", "host_name": "Demo host"},
            timeout=5,
        ).json()
        sid = created["session"]["id"]
        key = config.read_admin_key(args.data_dir)
        invite = requests.post(
            f"{base}/api/sessions/{sid}/invites",
            json={"role": "reviewer", "expires": "8h"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=5,
        ).json()
        print(f"Overshoulder relay running at {base} (data in {args.data_dir})")
        print(f"Session {sid!r}: 'Demo review'")
        print(f"  reviewer link (8h): {invite['link']}")
        print(f"  host link:          {created['host_link']}")
        print("Press Ctrl-C to stop.", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: relay.terminate())
        relay.wait()
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        if relay.poll() is None:
            relay.terminate()
            relay.wait(timeout=10)
