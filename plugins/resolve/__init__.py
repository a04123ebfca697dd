"""The DaVinci Resolve adapter: the Host contract on Resolve's scripting API, and its menu script."""
