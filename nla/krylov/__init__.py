"""Krylov subspace recycling for sequences of linear systems."""

__all__: list[str] = []
