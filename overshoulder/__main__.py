"""``python -m overshoulder``: the same as the ``overshoulder`` command."""

from overshoulder.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
