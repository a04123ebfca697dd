"""The relay: one asyncio process serving the JSON API, the live socket and the web page."""
