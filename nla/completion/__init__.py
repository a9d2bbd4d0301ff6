"""Matrix completion by (robust) alternating minimization."""

__all__: list[str] = []
