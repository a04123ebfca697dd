"""A FAKE of Autodesk Maya's Python packages (``maya``), for tests only.

Written from Autodesk's public command and API documentation and the ``types-maya`` stubs'
signatures, not from Autodesk's code. ``maya._fake`` holds the scene and what tests drive that
Maya has no API for; ``maya.cmds``, ``maya.api.*``, ``maya.utils`` and
``maya.app.general.mayaMixin`` are the parts the Overshoulder adapter uses.
"""
