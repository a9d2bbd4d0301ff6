"""pytest collection at the repository root (doctests run with --doctest-modules).

``nla/matfun/torch.py`` imports PyTorch, an optional dependency: without it,
the module raises ImportError on import, so its doctests are not collected.
Kept here rather than inside the package, so nothing test-only is installed.

A family's rows of the shared tables (``nla/<family>/_capabilities.py``,
``tests/<family>/{backend,bad_input,kernel}_cases.py``) are imported by the
tables that collect them (``nla._capabilities``, ``tests/test_*.py``);
importing one of them first, as doctest collection would, runs into the
table half-built. They hold no doctests and are not collected on their own.
"""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("torch") else ["nla/matfun/torch.py"]
collect_ignore_glob = [
    "nla/*/_capabilities.py",
    "tests/*/backend_cases.py",
    "tests/*/bad_input_cases.py",
    "tests/*/kernel_cases.py",
]
