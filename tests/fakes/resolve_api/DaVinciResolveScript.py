"""A stand-in for Blackmagic's ``DaVinciResolveScript.py``, for Overshoulder's tests only.

It behaves as the loader Resolve ships in ``Developer/Scripting/Modules`` (read in public
copies, e.g. Goldcrest-London/LTtranscodeResolve at 4082539f56b9edcb1cc83ee11b85eeeb68789824,
DaVinciResolveScript.py; its text is not reproduced here):

- it imports ``imp`` first, at module level, so on Python 3.12 and later, where ``imp`` is
  gone, importing it fails with ``ModuleNotFoundError: No module named 'imp'``;
- it tries ``import fusionscript``, then ``imp.load_dynamic("fusionscript", ...)`` on
  ``RESOLVE_SCRIPT_LIB``, then on the default install path of the platform, swallowing each
  ``ImportError`` (this stand-in stops after ``RESOLVE_SCRIPT_LIB``: a test machine has no
  default install);
- when one worked it replaces itself in ``sys.modules`` with the library (so
  ``DaVinciResolveScript.scriptapp`` is ``fusionscript.scriptapp``), else it raises
  ``ImportError("Could not locate module dependencies")``, saying nothing of why.

Later Resolve releases ship a loader that uses ``importlib`` on Python 3.5+ (public copy:
calzkmal/resolve-gateway at 027a7f235e9836450c823f4ac7ee98aaf53ad02c,
DaVinciResolveScript.py); either way the adapter copes
(``overshoulder.plugins.resolve.connection``). Here ``fusionscript`` is the fake library next
to this file.
"""

# At module level, as Blackmagic's loader has it: on Python 3.12+ this line fails.
import imp
import os
import sys

_library = None
try:
    import fusionscript as _library
except ImportError:
    _path = os.getenv("RESOLVE_SCRIPT_LIB")
    if _path:
        try:
            _library = imp.load_dynamic("fusionscript", _path)
        except ImportError:
            pass

if _library is not None:
    sys.modules[__name__] = _library
else:
    raise ImportError("Could not locate module dependencies")
