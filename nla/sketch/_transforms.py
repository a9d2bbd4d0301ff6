"""Public fast Walsh-Hadamard transform."""

from __future__ import annotations

from .._backend import array_namespace
from .._validate import check_array, check_engine, check_flag, check_int
from ._fwht import fwht_kernel

__all__ = ["fwht", "next_power_of_two"]


def next_power_of_two(n: int) -> int:
    """Smallest power of two ``>= n`` (1 for ``n <= 1``)."""
    n = int(n)
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


def fwht(x, *, axis=-1, engine=None, check_finite=True):
    """Orthonormal fast Walsh-Hadamard transform along one axis.

    Computes ``H_d @ x / sqrt(d)`` along `axis`, where ``H_d`` is the
    Sylvester-ordered Hadamard matrix of order ``d = x.shape[axis]`` (the
    ordering of :func:`scipy.linalg.hadamard`). The transform is orthogonal
    and symmetric, so applying it twice gives back `x`.

    Parameters
    ----------
    x : array_like
        Real or complex input; integer input is promoted to float64, float16
        to float32 (longdouble is refused). It is never modified. Any number
        of dimensions.
    axis : int, optional
        Axis to transform. Its length must be a power of two.
    engine : {"auto", "numpy", "numba"}, optional
        CPU engine for the kernel (see :func:`nla.config`). CuPy input always
        runs on the GPU.
    check_finite : bool, optional
        Reject NaN and Inf (default True).

    Returns
    -------
    y : array
        Same shape, dtype (float32 stays float32) and array library as `x`.

    Raises
    ------
    ValueError
        If ``x.shape[axis]`` is not a power of two, `x` is empty or not
        finite, `axis` is out of range, or `engine` is not an engine name.
    TypeError
        If `x` has an unsupported dtype, or `axis` is not an integer, or
        `check_finite` not a bool.

    See Also
    --------
    scipy.linalg.hadamard : the dense Hadamard matrix.
    nla.sketch.srht, nla.sketch.fjlt : sketches built on this transform.

    Notes
    -----
    The cost is ``O(d log d)`` per vector. The Numba kernel transforms each
    row inside the cache, rows in parallel: first blocks of 64 numbers (8
    when ``d < 64``), whose six butterfly stages run on 8-lane SIMD vectors
    in registers, then radix-8 passes (three stages per sweep over the row;
    radix-4 or radix-2 where the stage count is not a multiple of three),
    with the ``1/sqrt(d)`` scaling fused into the last pass. A transform
    along a leading axis works on panels of columns, with no transposed copy.
    Every stage computes the same sums and differences as the plain
    butterfly, so the engines agree to rounding. To transform a length that
    is not a power of two, pad with zeros first (the sketches in
    :mod:`nla.sketch` do this for you).

    References
    ----------
    .. [1] B. J. Fino and V. R. Algazi, "Unified matrix treatment of the
       fast Walsh-Hadamard transform", IEEE Trans. Comput. C-25 (1976),
       1142-1146.
    .. [2] A. Andoni, P. Indyk, T. Laarhoven, I. Razenshteyn and L. Schmidt,
       "Practical and optimal LSH for angular distance", NeurIPS 2015 (the
       FFHT library: cache-blocked, vectorized Hadamard transforms).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.linalg import hadamard
    >>> import nla
    >>> x = np.arange(8.0)
    >>> y = nla.fwht(x)
    >>> np.allclose(y, hadamard(8) @ x / np.sqrt(8))
    True
    >>> np.allclose(nla.fwht(y), x)
    True
    """
    x_in = x
    check_engine(engine)
    check_flag(check_finite, "check_finite")
    x = check_array(x, "x", ndim=(1, None), allow_complex=True, check_finite=False)
    xp = array_namespace(x)
    nd = x.ndim
    axis = check_int(axis, "axis", low=-nd, high=nd - 1)
    axis = axis % nd
    d = x.shape[axis]
    if d & (d - 1):
        raise ValueError(
            f"x.shape[{axis}] = {d} is not a power of two; pad x with zeros to "
            f"length {next_power_of_two(d)} along that axis first"
        )
    moved = xp.moveaxis(x, axis, -1) if axis != nd - 1 else x
    shape = moved.shape
    rows = xp.reshape(moved, (-1, d))
    impl = fwht_kernel.select(xp, engine)
    if check_finite and getattr(impl, "checks_finite", False):
        # the kernel checks its output in cache; only if that finds a
        # non-finite value do we look at the input (which then raises,
        # unless the cause was an overflow of finite input)
        out, finite = impl(rows, check_finite=True)
        if not finite:
            check_array(x_in, "x", allow_complex=True, check_finite=True)
    else:
        if check_finite:
            check_array(x, "x", allow_complex=True, check_finite=True)
        out = impl(rows)
    out = xp.reshape(out, shape)
    if axis != nd - 1:
        out = xp.moveaxis(out, -1, axis)
    return out
