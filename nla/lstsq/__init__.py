"""lstsq family (see docs/families/lstsq.rst)."""

__all__ = []
