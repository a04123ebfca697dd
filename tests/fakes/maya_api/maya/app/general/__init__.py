"""A FAKE of ``maya.app.general``, for tests only."""
