"""pytest collection for the matfun package (its doctests run with --doctest-modules).

``torch.py`` imports PyTorch, an optional dependency: without it, the module
raises ImportError on import, so its doctests are not collected.
"""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("torch") else ["torch.py"]
