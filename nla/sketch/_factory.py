"""One factory for every kind of sketch, used by the families that sketch."""

from __future__ import annotations

from .._validate import check_option
from ._gaussian import gaussian
from ._hadamard import fjlt, srht
from ._sparse_sign import sparse_sign

__all__ = ["make_sketch", "SKETCH_KINDS"]

#: the kinds :func:`make_sketch` builds
SKETCH_KINDS = ("gaussian", "srht", "sparse_sign", "countsketch", "fjlt")


def make_sketch(kind, d, k, *, rng=None, dtype=None, name="kind"):
    """Build a ``k x d`` sketching operator of the given kind.

    Parameters
    ----------
    kind : {"gaussian", "srht", "sparse_sign", "countsketch", "fjlt"}
        ``"sparse_sign"`` has ``min(8, k)`` nonzeros per column,
        ``"countsketch"`` one; the others are the constructors of the same
        name with their defaults.
    d : int
        Dimension sketched (columns of the operator).
    k : int
        Sketch size (rows of the operator).
    rng : None, int or numpy.random.Generator, optional
        Source of randomness (SPEC 7).
    dtype : {None, float32, float64}, optional
        Dtype of the operator (default float64).
    name : str, optional
        Parameter name used in the error message for a bad `kind`
        (default ``"kind"``; a family that forwards its own option passes
        that option's name, e.g. ``"sketch"``).

    Returns
    -------
    SketchOperator

    See Also
    --------
    gaussian, srht, sparse_sign, fjlt

    Examples
    --------
    >>> import nla
    >>> S = nla.sketch.make_sketch("countsketch", 1000, 50, rng=0)
    >>> S.shape, S.nnz_per_column
    ((50, 1000), 1)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")
    check_option(kind, name, SKETCH_KINDS)
    if kind == "gaussian":
        return gaussian(d, k, rng=rng, dtype=dtype)
    if kind == "srht":
        return srht(d, k, rng=rng, dtype=dtype)
    if kind == "fjlt":
        return fjlt(d, k, rng=rng, dtype=dtype)
    s = 1 if kind == "countsketch" else min(8, k)
    return sparse_sign(d, k, nnz_per_column=s, rng=rng, dtype=dtype)
