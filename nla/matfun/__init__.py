"""matfun family (see docs/families/matfun.rst)."""

__all__ = []
