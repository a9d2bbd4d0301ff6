"""Low-rank approximation: randomized SVD, generalized Nystrom, CUR, CR pseudoinverses.

.. autosummary::

   rsvd
   nystrom
   nystrom_psd
   cur
   pinv_cr
   range_finder
"""

from ._cur import CUR, cur
from ._nystrom import LowRank, NystromPSD, nystrom, nystrom_psd
from ._pinv import pinv_cr
from ._rsvd import SVDResult, range_finder, rsvd

__all__ = [
    "rsvd",
    "range_finder",
    "nystrom",
    "nystrom_psd",
    "cur",
    "pinv_cr",
    "SVDResult",
    "CUR",
    "LowRank",
    "NystromPSD",
]
