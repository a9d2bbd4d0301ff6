"""Sketched least squares (see docs/families/least_squares.rst).

.. autosummary::

   lstsq
   LstsqInfo
   ConvergenceWarning
"""

from ._lstsq import ConvergenceWarning, LstsqInfo, lstsq

__all__ = ["lstsq", "LstsqInfo", "ConvergenceWarning"]
