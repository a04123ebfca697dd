"""``python -m overshoulder.relay``: run a relay (same as ``overshoulder relay``)."""

from .server import main

raise SystemExit(main())
