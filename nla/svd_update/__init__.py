"""Incremental truncated SVD: add rows, add columns, low-rank updates."""

from ._incremental import IncrementalSVD

__all__: list[str] = ["IncrementalSVD"]
