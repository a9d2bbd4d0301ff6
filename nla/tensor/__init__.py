"""Tucker decomposition and core-shape selection under a parameter budget."""

__all__: list[str] = []
