"""Fakes of the apps' Python APIs, for tests only (each module says what it fakes)."""
