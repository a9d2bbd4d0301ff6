"""lowrank family (see docs/families/lowrank.rst)."""

__all__ = []
