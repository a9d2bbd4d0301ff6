"""Sketched least squares (see docs/families/lstsq.rst).

.. autosummary::

   lstsq
   LstsqInfo
"""

from ._lstsq import LstsqInfo, lstsq

__all__ = ["lstsq", "LstsqInfo"]
