"""The shared backend layer: what every family needs, in one place.

* :mod:`._namespace`: namespace inference, devices, host conversion, dtype
  mapping;
* :mod:`._kernel`: the kernel registry with its per-namespace contract;
* :mod:`._linalg`: delegation to ``scipy.linalg`` / ``cupyx.scipy.linalg``
  with generic fallbacks (triangular solves, thin QR, singular values,
  numerical rank, products with sparse matrices and LinearOperators);
* :mod:`._warnings`: warnings shared by the families;
* :mod:`._threads`: a BLAS thread limit concurrent callers can share.

Input checks live in :mod:`nla._validate`, randomness in :mod:`nla._random`,
the engine configuration in :mod:`nla._config`, and the sketch factory is
:func:`nla.sketch.make_sketch`. A family imports from these and from other
families' public names only, never from another family's private modules.
"""

from ._kernel import Kernel, registry
from ._linalg import (
    cholesky_qr2,
    is_operator,
    linalg_module,
    matmul,
    numerical_rank,
    orth,
    qr_thin,
    rmatmul,
    sign_fix,
    solve_triangular,
    svdvals,
)
from ._namespace import (
    array_namespace,
    device_of,
    is_cupy_namespace,
    is_cupy_sparse,
    is_numpy_namespace,
    is_sparse,
    namespace_dtype,
    numpy_dtype,
    to_host,
    work_dtype,
)
from ._threads import single_blas_thread
from ._warnings import ConvergenceWarning

__all__ = [
    "Kernel",
    "registry",
    "cholesky_qr2",
    "is_operator",
    "linalg_module",
    "matmul",
    "numerical_rank",
    "orth",
    "qr_thin",
    "rmatmul",
    "sign_fix",
    "solve_triangular",
    "svdvals",
    "array_namespace",
    "device_of",
    "is_cupy_namespace",
    "is_cupy_sparse",
    "is_numpy_namespace",
    "is_sparse",
    "namespace_dtype",
    "numpy_dtype",
    "to_host",
    "work_dtype",
    "ConvergenceWarning",
    "single_blas_thread",
]
