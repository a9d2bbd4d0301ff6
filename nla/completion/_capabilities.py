"""Capability records of the completion family (see nla._capabilities)."""

from .._capabilities import Capabilities

_WHY = (
    "the fit gathers rows of the factors at the observed indices and runs NumPy "
    "and Numba kernels on the host"
)
_HOST = {"array_api_strict": _WHY, "cupy": _WHY, "torch": _WHY}


def _rec(name, **kw):
    return Capabilities(name, "completion", unsupported=_HOST, **kw)


RECORDS = [
    _rec("complete", sparse=None, cupy_sparse=None, linear_operator=None,
         notes="Observed entries as index arrays and NumPy values; float32 values give "
         "float32 factors."),
    _rec("complete_sparse", sparse=True,
         notes="The stored entries of a scipy.sparse matrix are the observed set "
         "(explicit zeros included, duplicates summed); a dense array counts every "
         "entry as observed."),
    _rec("tune_complete", sparse=None, cupy_sparse=None, linear_operator=None,
         notes="Fits every (rank, reg) candidate on one held-out split, then refits "
         "the best on all entries."),
    _rec("Completion.predict", sparse=None, cupy_sparse=None, linear_operator=None,
         notes="Entries at index arrays, in the dtype of the factors."),
    _rec("Completion.to_dense", sparse=None, cupy_sparse=None, linear_operator=None,
         notes="Refuses above ``max_bytes`` (1 GiB by default): use ``predict``."),
]
