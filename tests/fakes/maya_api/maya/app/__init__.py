"""A FAKE of ``maya.app``, for tests only."""
