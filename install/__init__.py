"""Putting the plugins into each app, and taking them out again (``overshoulder install``)."""
