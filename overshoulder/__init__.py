"""Overshoulder: over-the-shoulder review at a distance.

Import names: ``overshoulder.core`` (protocol, model, client), ``overshoulder.relay``
(the server), ``overshoulder.plugins.*`` (the app adapters).
"""

__version__ = "0.1.0"
