"""A network namespace for voice tests: its own loopback with 127.0.0.2 on it.

aioice (aiortc's ICE) leaves 127.0.0.1 out of its host candidates, so two aiortc peers on
one machine find no path over plain loopback. In a namespace whose ``lo`` also carries
127.0.0.2, they do, and nothing outside can interfere.

``NetNamespace.enter()`` moves the calling thread into the namespace (``setns``), so what
it starts afterwards (a relay process, a client's threads, a voice loop) is inside;
``leave()`` moves it back; ``inside()`` does all of it, deleting the namespace at the end.
``add_veth`` gives it an address that is not loopback (Janus gathers no loopback
candidates). ``wrapper()`` writes a script that runs a program inside.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

CLONE_NEWNET = 0x40000000
#: The loopback address the namespace adds, which aioice does not skip.
PEER_ADDRESS = "127.0.0.2"


def why_not_available() -> Optional[str]:
    """Why this machine cannot make a namespace for the test, or None if it can."""
    if os.geteuid() != 0:
        return "voice tests make a network namespace (ip netns add), which needs root"
    if shutil.which("ip") is None:
        return "voice tests need the ip command (Debian's iproute2)"
    return None


class NetNamespace:
    """A named namespace (``ip netns``), with lo up and 127.0.0.2/8 on it."""

    def __init__(self, prefix: str = "os-voice") -> None:
        self.name = f"{prefix}-{os.getpid()}-{secrets.token_hex(3)}"
        self._home: Optional[int] = None
        self._libc = ctypes.CDLL(None, use_errno=True)

    def create(self) -> NetNamespace:
        self._run("netns", "add", self.name)
        self._ip("link", "set", "lo", "up")
        self._ip("addr", "add", f"{PEER_ADDRESS}/8", "dev", "lo")
        return self

    def _ip(self, *args: str) -> None:
        """``ip args...`` inside the namespace."""
        self._run("netns", "exec", self.name, shutil.which("ip") or "ip", *args)

    def _run(self, *args: str) -> None:
        ip = shutil.which("ip") or "ip"
        done = subprocess.run([ip, *args], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"`ip {' '.join(args)}` failed: {done.stderr.strip()}")

    def add_veth(self, address: str, name: str = "vx") -> None:
        """A veth pair inside, both ends up, ``address`` (CIDR) on the first end."""
        self._ip("link", "add", f"{name}0", "type", "veth", "peer", "name", f"{name}1")
        self._ip("addr", "add", address, "dev", f"{name}0")
        self._ip("link", "set", f"{name}0", "up")
        self._ip("link", "set", f"{name}1", "up")

    @contextmanager
    def inside(self, veth: Optional[str] = None) -> Iterator[NetNamespace]:
        """Create the namespace (with ``add_veth(veth)`` if given), move this thread in; at
        the end move it out and delete the namespace."""
        self.create()
        try:
            if veth is not None:
                self.add_veth(veth)
            self.enter()
            try:
                yield self
            finally:
                self.leave()
        finally:
            self.delete()

    def delete(self) -> None:
        ip = shutil.which("ip") or "ip"
        subprocess.run([ip, "netns", "delete", self.name], check=False, capture_output=True)

    def enter(self) -> None:
        """Move this thread into the namespace (threads and processes it starts follow)."""
        self._home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            self._setns(fd)
        finally:
            os.close(fd)

    def leave(self) -> None:
        if self._home is None:
            return
        try:
            self._setns(self._home)
        finally:
            os.close(self._home)
            self._home = None

    def _setns(self, fd: int) -> None:
        if self._libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns into {self.name}: {os.strerror(err)}")

    def wrapper(self, folder: Path, program: str) -> Path:
        """A script in ``folder`` that runs ``program`` (with its arguments) in the namespace."""
        path = folder / f"in-{self.name}-{Path(program).name}"
        ip = shutil.which("ip") or "ip"
        path.write_text(f'#!/bin/sh\nexec {ip} netns exec {self.name} {program} "$@"\n')
        path.chmod(0o755)
        return path
