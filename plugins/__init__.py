"""App adapters: one package per app, each implementing core.host's contract."""
