"""``python -m overshoulder.relay``: run a relay (same as ``overshoulder relay``)."""

from .start import main

raise SystemExit(main())
