"""The Nuke adapter: the Host contract on Nuke's Python API, and its startup files."""
