"""Matrix completion by (robust) alternating minimization.

:func:`complete` fits a low-rank model to observed entries given as index
arrays, :func:`complete_sparse` to the stored entries of a scipy.sparse
matrix; both return a :class:`Completion`. :func:`tune_complete` chooses the
rank and the ridge parameter on held-out entries.
"""

from ._complete import complete, complete_sparse
from ._result import Completion, SweepInfo
from ._tune import Tuning, TuningScore, tune_complete

__all__ = [
    "complete",
    "complete_sparse",
    "tune_complete",
    "Completion",
    "SweepInfo",
    "Tuning",
    "TuningScore",
]
