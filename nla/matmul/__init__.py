"""Sampled and multilevel Monte Carlo matrix multiplication."""

__all__: list[str] = []
