"""Sketch planning for :func:`nla.lstsq`: which sketch, how large, or none.

The plan is made from the shapes and options alone, before any data is
touched, so the rules for the sketch size (and for falling back to the
full-accuracy solver when a sketch would not be smaller than ``A``) live in
one place and are testable on their own.
"""

from __future__ import annotations

import dataclasses
import math

from .._validate import check_int, check_option, check_real

__all__ = ["METHODS", "SKETCHES", "SketchPlan", "plan_sketch"]

METHODS = ("precondition", "sketch", "linf")
SKETCHES = ("sparse_sign", "countsketch", "gaussian", "srht")


@dataclasses.dataclass(frozen=True)
class SketchPlan:
    """What :func:`nla.lstsq` runs.

    Attributes
    ----------
    method : str
        The method that runs: the requested one, or ``"exact"`` when a
        sketching method would not reduce ``A`` (the sketch-preconditioned
        solver then runs with its default sketch).
    kind : str
        Sketch kind passed to :func:`nla.sketch.make_sketch`.
    size : int
        Sketch size ``m`` (rows of the sketch).
    """

    method: str
    kind: str
    size: int

    @property
    def sketch_and_solve(self) -> bool:
        """True when the result is the minimizer of the sketched problem."""
        return self.method in ("sketch", "linf")

    def default_rcond(self, unit_roundoff, d):
        """``u max(m, d)``: the rounding level of the factored ``m x d`` sketch."""
        return unit_roundoff * max(self.size, d)


def _rows(count):
    """``ceil(count)`` for a row count computed in floating point; None when it
    overflowed (an extreme `eps` or `delta`: more rows than any ``n``)."""
    return math.ceil(count) if math.isfinite(count) else None


def _linf_size(n, d, eps, delta, sketch_size):
    """Rows of the l-infinity sketch, or None when they are not finite.

    Divides by ``eps`` twice rather than by ``eps**2`` (which raises
    OverflowError for a huge ``eps``): a tiny ``eps`` gives an infinite count
    (the exact solver runs), a huge one a count that rounds to ``d``.
    """
    e = 1.0 if eps is None else eps
    if sketch_size is None:
        # the row count the l-infinity bound needs for a Gaussian sketch
        extra = _rows(2.0 * d * math.log(2.0 * d / delta) / e / e)
        return None if extra is None else d + extra
    if isinstance(sketch_size, str) and sketch_size == "theorem":
        m = _rows(d * math.log(n / delta) ** 3 / e / e)
        return None if m is None else max(m, d)
    return check_int(sketch_size, "sketch_size", low=d)


def plan_sketch(method, n, d, *, eps=None, delta=0.01, sketch=None, sketch_size=None):
    """Validate the sketch options of :func:`nla.lstsq` and plan the sketch.

    `method` must already be validated; `eps`, `delta`, `sketch` and
    `sketch_size` are checked here (ValueError/TypeError naming them).
    Returns a :class:`SketchPlan`.
    """
    delta = check_real(delta, "delta", low=0.0, high=1.0, low_open=True, high_open=True)
    if eps is not None:
        eps = check_real(eps, "eps", low=0.0, low_open=True)
    if sketch is not None:
        sketch = check_option(sketch, "sketch", SKETCHES)
        if method == "linf" and sketch != "srht":
            raise ValueError(
                f"sketch={sketch!r} is not allowed with method='linf', which needs "
                "the dense SRHT; use method='sketch' to try other sketches"
            )
    exact = SketchPlan("exact", "sparse_sign", 4 * d)
    if method == "linf":
        m = _linf_size(n, d, eps, delta, sketch_size)
        if m is None or m >= n:
            return exact
        return SketchPlan("linf", "srht", m)
    kind = sketch or "sparse_sign"
    if sketch_size is not None:
        m = check_int(sketch_size, "sketch_size", low=d)
        if method == "precondition":
            # more rows than A (or than the default) gain nothing and could
            # exhaust memory
            m = min(m, max(n, 4 * d))
    elif method == "sketch":
        extra = _rows(d / (0.5 if eps is None else eps))
        if extra is None:
            return exact
        m = d + extra + 1
    else:
        m = 4 * d
    if kind == "srht" and m > n:
        # an SRHT has at most as many rows as the dimension it sketches
        if method != "precondition":
            return exact
        m = n
    if method == "sketch" and m >= n:
        return exact
    return SketchPlan(method, kind, m)
