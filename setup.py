"""One distribution, ``overshoulder``; the folders map to ``overshoulder.*`` import names."""

from setuptools import setup

PACKAGES = {
    "overshoulder": "overshoulder",
    "overshoulder.core": "core",
    "overshoulder.core.protocol": "core/protocol",
    "overshoulder.core.client": "core/client",
    "overshoulder.core.codec": "core/codec",
    "overshoulder.core.ui": "core/ui",
    "overshoulder.core.voice": "core/voice",
    "overshoulder.relay": "relay",
    "overshoulder.relay.store": "relay/store",
    "overshoulder.plugins": "plugins",
    "overshoulder.plugins.player": "plugins/player",
    "overshoulder.plugins.nuke": "plugins/nuke",
    "overshoulder.plugins.maya": "plugins/maya",
    "overshoulder.plugins.resolve": "plugins/resolve",
    "overshoulder.install": "install",
}

setup(
    name="overshoulder",
    version="0.1.0",
    description="Over-the-shoulder review at a distance for Nuke, Maya and Resolve",
    python_requires=">=3.9",
    packages=list(PACKAGES),
    package_dir=PACKAGES,
    package_data={"overshoulder.relay": ["web/*", "web/**/*", "openapi.json"]},
    include_package_data=False,
    # What an app's own interpreter needs: the client side only.
    install_requires=[
        "websocket-client>=1.6",
        "requests>=2.28",
        # The frame pipeline (core/codec): light, wheels for every platform, and
        # their hot loops release the GIL so encoding never stalls the app.
        "numpy>=1.23",
        "simplejpeg>=1.7",
        "xxhash>=3.0",
        # A late joiner's snapshot (10,000 notes, ~8 MB of JSON) parsed and checked in one
        # pass (docs/decisions/snapshot-decoding.md); wheels for CPython 3.9-3.13 on Linux,
        # macOS and Windows (3.9 gets 0.20, the last release for it). Without it the client
        # still works, on a slower path.
        "msgspec>=0.18.6",
        # The panel and the viewer overlay (core/ui) reach Qt only through Qt.py, so one
        # code base runs on the PySide2 (Nuke 13-15, Maya 2022-2024) and PySide6 (Nuke 16+,
        # Maya 2025+) that the app brings; Qt itself is never installed into an app.
        "Qt.py>=1.3",
    ],
    extras_require={
        # The relay server (not needed inside Nuke, Maya or Resolve).
        "relay": ["aiohttp>=3.9"],
        # OCIO (through OpenImageIO) for scene-linear captures; display-referred
        # captures and app-encoded JPEG/PNG need none of it.
        "color": ["OpenImageIO>=2.5"],
        # The player host (overshoulder share): image sequences and OTIO timelines from disk.
        "player": ["OpenImageIO>=2.5", "opentimelineio>=0.15"],
        # Voice from Python (core/voice): WebRTC audio links. 1.13 is the newest with wheels
        # for Python 3.9 (Maya 2022-2024, Nuke 13-14), 1.15 for 3.10; later Pythons get 1.16+.
        "voice": ["aiortc>=1.13"],
        "dev": [
            "aiohttp>=3.9",
            "websockets>=12",
            "pytest>=7.4",
            "pytest-timeout>=2.2",
            # Property-based fuzzing of the relay (tests/relay/test_fuzz.py).
            "hypothesis>=6.100",
            "ruff>=0.6",
            "mypy>=1.10",
            "numpy>=1.23",
            "OpenImageIO>=2.5",
            "opentimelineio>=0.15",
            "psutil>=5.9",
            # The voice tests' Python participants (core/voice).
            "aiortc>=1.13",
            # The voice tests read and write Opus recordings themselves (tests/voice_clips.py).
            "av>=10",
            # Only bench/late_join.py's comparison of snapshot decoders.
            "orjson>=3.9",
            # Both Qt bindings, so core/ui is tested on each (offscreen).
            # 6.12.0 drops a reference to None on every void call under Python 3.11,
            # which aborts the interpreter within a test run ("deallocating None").
            "PySide6-Essentials>=6.5,<6.12",
            # QtWebEngine and QtMultimedia, so the panel's in-app voice (a web view) and its
            # voice-note playback are tested for real; the apps bring their own Qt.
            "PySide6-Addons>=6.5,<6.12",
            # 5.13.2 is the newest PySide2 with wheels this Python accepts (abi3).
            "PySide2>=5.13.2",
            # Browser tests drive the system Chromium (never a downloaded browser).
            "playwright>=1.40",
            # The apps' published API stubs: `make typecheck` checks the Maya and Resolve
            # adapters against them, so a call the app does not have fails the build.
            "types-maya>=0.6",
            "fusionscript-stubs>=19.0",
            "setuptools>=68",
            "wheel>=0.40",
        ],
    },
    entry_points={"console_scripts": ["overshoulder=overshoulder.cli:main"]},
)
