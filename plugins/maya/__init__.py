"""The Maya adapter: the Host contract on maya.cmds and the Maya API, and its module files."""
