"""pytest collection at the repository root (doctests run with --doctest-modules).

``nla/matfun/torch.py`` imports PyTorch, an optional dependency: without it,
the module raises ImportError on import, so its doctests are not collected.
Kept here rather than inside the package, so nothing test-only is installed.
"""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("torch") else ["nla/matfun/torch.py"]
