"""Krylov subspace recycling for sequences of linear systems.

:func:`gcrodr` (GCRO-DR with recycled harmonic Ritz vectors),
:func:`cg_recycled` (deflated CG for symmetric positive definite systems)
and :func:`solve_sequence` (a whole sequence, sorted so that neighbours are
alike, each solve seeded by the previous ones). They run on NumPy arrays,
scipy.sparse matrices and LinearOperators.
"""

from ._common import KrylovInfo
from ._sequence import solve_sequence
from ._solvers import cg_recycled, gcrodr

__all__ = ["gcrodr", "cg_recycled", "solve_sequence", "KrylovInfo"]
