"""Shared input checks with messages that name the offending parameter.

Every public function validates through these helpers so that bad input always
gets a ``ValueError`` or ``TypeError`` that says which argument is wrong, what
it was and what is allowed.
"""

from __future__ import annotations

import numbers
import operator

import array_api_compat
import numpy as np

from ._backend import array_namespace, is_numpy_namespace, is_operator, is_sparse
from ._config import _check_engine

__all__ = [
    "check_array",
    "check_square",
    "check_int",
    "check_rank",
    "check_real",
    "check_option",
    "check_dtype",
    "check_matching_rows",
    "check_matrix",
    "check_rcond",
    "check_engine",
    "check_flag",
    "result_dtype",
]


def _dtype_kind(xp, dtype):
    if xp.isdtype(dtype, "bool"):
        return "b"
    if xp.isdtype(dtype, "integral"):
        return "i"
    if xp.isdtype(dtype, "real floating"):
        return "f"
    if xp.isdtype(dtype, "complex floating"):
        return "c"
    return "?"


_SUPPORTED = (
    "float32, float64 (complex64, complex128 where allowed; integers and "
    "booleans become float64, float16 float32)"
)


def _numpy_dtype_policy(x, name, allow_complex):
    """The dtype policy for NumPy-backed data (arrays and sparse matrices).

    float16 is promoted to float32; non-native byte order is converted to
    native; extended precision (longdouble, clongdouble) is rejected, as no
    LAPACK routine takes it. Returns `x`, converted if needed (never
    modified).
    """
    dt = np.dtype(x.dtype)
    if dt.kind in "fc" and dt.itemsize > (16 if dt.kind == "c" else 8):
        raise TypeError(
            f"{name} has extended precision dtype {dt}, which nla does not support; "
            f"use one of {_SUPPORTED}"
        )
    if not dt.isnative:
        x = x.astype(dt.newbyteorder("="))
        dt = np.dtype(x.dtype)
    if dt == np.float16:
        x = x.astype(np.float32)
    elif dt.kind == "c" and dt.itemsize < 8:  # pragma: no cover - no complex32 in NumPy
        x = x.astype(np.complex64)
    return x


def _plain_ndarray(x, name):
    """np.matrix -> ndarray; masked arrays are rejected (their mask would be ignored)."""
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(
            f"{name} is a masked array, whose mask nla would ignore; pass "
            f"{name}.filled(value) or {name}.data explicitly"
        )
    if isinstance(x, np.matrix):
        return np.asarray(x)
    return x


def check_array(
    x,
    name,
    *,
    ndim=None,
    allow_sparse=False,
    allow_complex=False,
    check_finite=True,
    allow_empty=False,
    xp=None,
):
    """Validate an array argument and return it with a floating dtype.

    Parameters
    ----------
    x : array_like or sparse
        The argument. Lists are converted to NumPy arrays.
    name : str
        Parameter name used in error messages.
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions. A tuple ``(lo, None)`` means ``>= lo``.
    allow_sparse : bool
        Accept scipy.sparse / cupyx sparse input, 1-D or 2-D. It is returned
        in its own format, except that DOK and LIL (which hold no array of
        values to check) are converted to CSR (COO when 1-D).
    allow_complex : bool
        Accept complex dtypes.
    check_finite : bool
        Reject NaN and Inf.
    allow_empty : bool
        Accept arrays with a zero-length axis.

    Returns
    -------
    array
        `x` itself when it already has an allowed dtype (never a modified
        copy), else `x` converted by the dtype policy of the conventions
        page: booleans and integers become float64, float16 becomes float32,
        non-native byte order becomes native, ``np.matrix`` becomes an
        ndarray. The caller must not write into the result.

    Raises
    ------
    TypeError
        Not an array, a masked array, an object / string / extended
        precision (longdouble) dtype, complex where not allowed, sparse
        where not allowed.
    ValueError
        Wrong number of dimensions, empty, NaN or Inf.
    """
    if x is None:
        raise TypeError(f"{name} must be an array, got None")
    if is_sparse(x):
        if not allow_sparse:
            raise TypeError(
                f"{name} must be a dense array; sparse input is not supported here "
                "(convert it with .toarray() if it is small)"
            )
        if getattr(x, "format", None) in ("dok", "lil"):
            x = x.tocsr() if x.ndim == 2 else x.tocoo()
        if np.dtype(x.dtype).kind in "fc":
            x = _numpy_dtype_policy(x, name, allow_complex)
        kind = np.dtype(x.dtype).kind
        if kind not in "biufc" or (kind == "c" and not allow_complex):
            raise TypeError(f"{name} must have a real floating dtype, got {x.dtype}")
        if kind in "biu":
            x = x.astype(np.float64)
        if not allow_empty and 0 in x.shape:
            raise ValueError(f"{name} must not be empty, got shape {x.shape}")
        if check_finite and x.nnz and not bool(np.all(np.isfinite(x.data))):
            raise ValueError(f"{name} must not contain NaN or Inf")
        return x
    x = _plain_ndarray(x, name)
    if isinstance(x, (list, tuple, numbers.Number)) or not array_api_compat.is_array_api_obj(x):
        given = type(x).__name__
        try:
            x = np.asarray(x)
        except Exception as exc:
            raise TypeError(f"{name} must be an array, got {given}") from exc
        if x.dtype == object and given not in ("list", "tuple"):
            # an object NumPy cannot read as numbers (a LinearOperator, a dict, ...)
            raise TypeError(f"{name} must be an array, got {given}")
    if xp is None:
        try:
            xp = array_namespace(x)
        except TypeError:
            raise TypeError(
                f"{name} must be an array, got {type(x).__name__}"
            ) from None
    if is_numpy_namespace(xp) and isinstance(x, np.ndarray):
        if x.dtype == object:
            raise TypeError(f"{name} must have a numeric dtype, got object")
        if x.dtype.kind in "fc":
            x = _numpy_dtype_policy(x, name, allow_complex)
    elif getattr(xp, "float16", None) is not None and x.dtype == xp.float16:
        x = xp.astype(x, xp.float32)
    kind = _dtype_kind(xp, x.dtype)
    if kind == "?" or (kind == "c" and not allow_complex):
        allowed = "real or complex floating" if allow_complex else "real floating"
        raise TypeError(f"{name} must have a {allowed} dtype, got {x.dtype}")
    if kind in "bi":
        x = xp.astype(x, xp.float64)
    if ndim is not None:
        if isinstance(ndim, tuple) and len(ndim) == 2 and ndim[1] is None:
            if x.ndim < ndim[0]:
                raise ValueError(
                    f"{name} must have at least {ndim[0]} dimensions, got ndim={x.ndim}"
                )
        else:
            allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
            if x.ndim not in allowed:
                want = " or ".join(map(str, allowed))
                raise ValueError(f"{name} must be {want}-D, got ndim={x.ndim}")
    if not allow_empty and any(s == 0 for s in x.shape):
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    if check_finite and not bool(xp.all(xp.isfinite(x))):
        raise ValueError(f"{name} must not contain NaN or Inf")
    return x


def check_finite_through(image, x, name, **check_kw):
    """Check `x` for NaN/Inf through `image`, a sketch of `x` already computed.

    Callers skip the finiteness pass over a large `x` when every sketch they
    apply carries a NaN or an Inf in `x` into the image (each entry of `x`
    reaches some entry of ``S x`` with a nonzero coefficient). Only a
    non-finite `image` leads to the check of `x`, which raises ValueError
    naming `name`; a finite `x` whose image overflowed passes. `check_kw`
    are :func:`check_array`'s options for `x`. Returns `image`.
    """
    xp = array_namespace(image)
    if not bool(xp.all(xp.isfinite(image))):
        check_array(x, name, check_finite=True, **check_kw)
    return image


def check_square(x, name):
    """Raise ValueError unless the last two axes of `x` have equal length."""
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"{name} must be square in its last two dimensions, got shape {tuple(x.shape)}"
        )
    return x


def check_int(value, name, *, low=None, high=None):
    """Return `value` as an ``int`` after checking ``low <= value <= high``."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got bool {value!r}")
    if not isinstance(value, numbers.Integral):
        try:
            value = operator.index(value)
        except TypeError:
            raise TypeError(
                f"{name} must be an integer, got {type(value).__name__} {value!r}"
            ) from None
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_rank(k, name, high, *, low=1):
    """Check a target rank: an integer with ``low <= k <= high``."""
    return check_int(k, name, low=low, high=high)


def check_real(value, name, *, low=None, high=None, low_open=False, high_open=False):
    """Return `value` as a finite ``float`` inside the stated interval."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    lo_bad = low is not None and (value <= low if low_open else value < low)
    hi_bad = high is not None and (value >= high if high_open else value > high)
    if lo_bad or hi_bad:
        lb = "(" if low_open else "["
        hb = ")" if high_open else "]"
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name} must lie in {lb}{lo}, {hi}{hb}, got {value}")
    return value


def check_option(value, name, options):
    """Raise ValueError unless `value` is one of `options`."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}, got {value!r}")
    return value


_FLOATS = (np.float32, np.float64)


def check_dtype(dtype, name="dtype"):
    """Check a ``dtype=`` argument: None (float64), float32 or float64."""
    if dtype is None:
        return np.dtype(np.float64)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be float32 or float64, got {dtype!r}") from None
    if dt.type not in _FLOATS:
        raise TypeError(f"{name} must be float32 or float64, got {dt}")
    return dt


def check_matching_rows(a, b, name_a, name_b):
    """Raise ValueError unless ``a.shape[0] == b.shape[0]``."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same number of rows, "
            f"got {name_a}.shape={tuple(a.shape)} and {name_b}.shape={tuple(b.shape)}"
        )


def result_dtype(xp, *arrays):
    """Floating result dtype: float32 only if every input is float32.

    Integers and booleans count as float64; any complex input makes the result
    complex of the matching precision. Sparse inputs (scipy.sparse with NumPy,
    cupyx.scipy.sparse with CuPy) count by their dtype, which is already a
    dtype of that namespace.
    """
    dtypes = []
    for a in arrays:
        if a is None:
            continue
        dtypes.append(a.dtype)
    if not dtypes:
        return xp.float64
    floats = [
        dt if _dtype_kind(xp, dt) in "fc" else xp.float64 for dt in dtypes
    ]
    return xp.result_type(*floats)


def check_matrix(A, name="A", *, allow_operator=False, check_finite=True, allow_complex=False):
    """Validate a 2-D dense or sparse matrix (or a LinearOperator).

    Returns ``(A, xp)``: `A` as :func:`check_array` returns it (integers
    promoted to float64) and its namespace. A
    :class:`scipy.sparse.linalg.LinearOperator` is accepted with
    ``allow_operator=True`` (its namespace is NumPy).
    """
    if is_operator(A):
        if not allow_operator:
            raise TypeError(
                f"{name} must be a dense or scipy.sparse matrix; "
                "a LinearOperator is not supported here"
            )
        if len(A.shape) != 2 or 0 in A.shape:
            raise ValueError(f"{name} must be a non-empty 2-D operator, got shape {A.shape}")
        dt = np.dtype(A.dtype) if A.dtype is not None else np.dtype(np.float64)
        if dt.kind not in ("biufc" if allow_complex else "biuf"):
            raise TypeError(f"{name} must have a real dtype, got {dt}")
        return A, array_namespace(np.empty(0))
    A = check_array(
        A, name, ndim=2, allow_sparse=True, check_finite=check_finite,
        allow_complex=allow_complex,
    )
    return A, array_namespace(A)


def check_rcond(rcond, name="rcond"):
    """A relative singular-value cut-off: None (the caller's default) or in ``[0, 1)``.

    Every function with an `rcond` drops singular values ``<= rcond *
    sigma_max`` (see :func:`nla._backend.numerical_rank`); 1 or more would
    drop everything.
    """
    if rcond is None:
        return None
    return check_real(rcond, name, low=0.0, high=1.0, high_open=True)


def check_engine(engine, name="engine"):
    """None or one of the engine names (see :func:`nla.config`)."""
    if engine is None:
        return None
    return _check_engine(engine, name)


def check_flag(value, name):
    """A bool option (Python or NumPy bool) as ``bool``; anything else is a
    TypeError naming `name` (``check_finite="no"`` must not pass as true)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)
