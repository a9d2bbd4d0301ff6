"""Kernel cases of the matmul family: it registers no kernel."""

CASES: dict = {}
