"""Incremental truncated SVD: add rows, add columns, low-rank updates."""

__all__: list[str] = []
