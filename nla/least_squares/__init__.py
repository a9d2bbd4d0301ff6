"""Sketched least squares (see docs/families/least_squares.rst).

:func:`lstsq` is the public function (also ``nla.lstsq``); the package is
split by concept: the sketch plan (``_plan``), the power-of-two scaling of
the data (``_scale``), the sketch's factor and sketch-and-solve
(``_sketch_solve``), sketch-and-precondition (``_precondition``) and the
public API (``_api``).

.. autosummary::

   lstsq
   LstsqInfo
   ConvergenceWarning
"""

from .._backend import ConvergenceWarning
from ._api import LstsqInfo, lstsq

__all__ = ["lstsq", "LstsqInfo", "ConvergenceWarning"]
