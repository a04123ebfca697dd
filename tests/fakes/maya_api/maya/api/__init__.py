"""A FAKE of ``maya.api`` (Maya's Python API 2.0), for tests only."""
