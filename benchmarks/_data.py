"""Real data the benchmarks read from installed packages (never downloaded).

MovieLens-100k ships inside the ``recbole`` wheel. Its licence forbids
copying the data into this repository, so the benchmarks read it from the
installed package; ``recbole`` itself is never imported (it needs torch):
install the wheel alone with ``pip install --no-deps recbole==1.2.1``.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np

__all__ = ["MissingData", "movielens_100k"]


class MissingData(RuntimeError):
    """A dataset's package is not installed (the message says how to get it)."""


def _package_dir(package):
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def movielens_100k():
    """The 100,000 MovieLens-100k ratings as ``(users, items, ratings, timestamps)``.

    Users and items are 0-based integer indices (943 users, 1682 items),
    ratings float64 in 1..5, in the order of the file.
    """
    root = _package_dir("recbole")
    path = None if root is None else os.path.join(
        root, "dataset_example", "ml-100k", "ml-100k.inter"
    )
    if path is None or not os.path.exists(path):
        raise MissingData(
            "MovieLens-100k is read from the recbole wheel: "
            "pip install --no-deps recbole==1.2.1"
        )
    raw = np.loadtxt(path, delimiter="\t", skiprows=1, dtype=np.int64)
    users, items = raw[:, 0] - 1, raw[:, 1] - 1
    return users, items, raw[:, 2].astype(np.float64), raw[:, 3]
