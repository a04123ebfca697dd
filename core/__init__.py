"""Overshoulder's core: everything that is neither an app nor the server."""
