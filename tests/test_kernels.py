"""The kernel contract: every registered kernel, every variant, one reference.

Every module of the package is imported first, so every
:class:`nla._backend.Kernel` is in the registry. :data:`CASES` gives inputs
for each kernel by name, and a test fails when a kernel has no case (or a
case no kernel). For every variant a kernel has -- the NumPy reference,
the Numba variant (through ``build_numba()``), the generic variant on NumPy
and on array_api_strict (its default device and ``device1``), the CuPy
variant where a GPU exists -- the result agrees with ``kernel.reference`` on
the same input, normwise within ``size * eps`` of the dtype (integer
results exactly), in the input's library and dtype. A kernel without a
generic variant must refuse array_api_strict input with a TypeError that
names it, before any variant sees the array.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import pkgutil

import array_api_compat
import numpy as np
import pytest
import scipy.sparse as sp

import nla
from nla._backend import registry, to_host


def _import_everything():
    """Import every module of nla, so every kernel registers itself."""
    for info in pkgutil.walk_packages(nla.__path__, prefix="nla."):
        try:
            importlib.import_module(info.name)
        except ImportError:
            # optional dependencies (the torch adapter without torch)
            continue


_import_everything()


@dataclasses.dataclass(frozen=True)
class KernelCase:
    """`make(rng, dtype)` returns the positional arguments (NumPy)."""

    make: object
    dtypes: tuple = ("float32", "float64")


def _signs(rng, d, dtype):
    return (rng.integers(0, 2, size=d) * 2 - 1).astype(dtype)


def _csr(rng, k, d, nnz_per_row, dtype):
    """(indptr, indices, data) of a random k x d CSR matrix, int64 indices."""
    cols = np.stack([rng.choice(d, size=nnz_per_row, replace=False) for _ in range(k)])
    cols.sort(axis=1)
    indptr = np.arange(0, k * nnz_per_row + 1, nnz_per_row, dtype=np.int64)
    data = rng.standard_normal(k * nnz_per_row).astype(dtype)
    return indptr, cols.ravel().astype(np.int64), data


def _fwht_args(rng, dtype):
    return rng.standard_normal((5, 32)).astype(dtype), _signs(rng, 32, dtype)


def _hadamard_rows_args(rng, dtype):
    x = rng.standard_normal((5, 20)).astype(dtype)
    return (x, _signs(rng, 32, dtype), 32, *_csr(rng, 6, 32, 3, dtype))


def _hadamard_cols_args(rng, dtype):
    x = rng.standard_normal((20, 9)).astype(dtype)
    return (x, _signs(rng, 32, dtype), 32, *_csr(rng, 6, 32, 3, dtype))


def _sparse_sign_parts(rng, d, k, s, dtype):
    rows = np.stack([rng.choice(k, size=s, replace=False) for _ in range(d)]).astype(np.int64)
    vals = (_signs(rng, d * s, np.float64) / np.sqrt(s)).reshape(d, s)
    return rows, vals, k


def _sparse_sign_cols_args(rng, dtype):
    return (*_sparse_sign_parts(rng, 40, 8, 3, dtype), rng.standard_normal((40, 5)).astype(dtype))


def _sparse_sign_rows_args(rng, dtype):
    return (*_sparse_sign_parts(rng, 40, 8, 3, dtype), rng.standard_normal((5, 40)).astype(dtype))


def _deim_args(rng, dtype):
    q, _ = np.linalg.qr(rng.standard_normal((30, 6)))
    return (q.astype(dtype),)


#: inputs for every registered kernel, by registry name
CASES = {
    "sketch.fwht": KernelCase(_fwht_args),
    "sketch.hadamard_sketch_rows": KernelCase(_hadamard_rows_args),
    "sketch.hadamard_sketch_cols": KernelCase(_hadamard_cols_args),
    "sketch.sparse_sign_cols": KernelCase(_sparse_sign_cols_args),
    "sketch.sparse_sign_rows": KernelCase(_sparse_sign_rows_args),
    "lowrank.deim": KernelCase(_deim_args),
}

# Families may keep their kernel inputs beside their tests, in
# ``tests/<family>/kernel_cases.py`` (a dict ``CASES`` of KernelCase).
for _family in nla._FAMILIES:
    if importlib.util.find_spec(f"tests.{_family}") and importlib.util.find_spec(
        f"tests.{_family}.kernel_cases"
    ):
        CASES.update(importlib.import_module(f"tests.{_family}.kernel_cases").CASES)


def _kernels():
    """Kernels of the package (test-made kernels are removed by their tests)."""
    return {name: k for name, k in registry.items() if not name.startswith("test.")}


def test_every_kernel_has_a_case():
    kernels = set(_kernels())
    assert kernels == set(CASES), (
        f"kernels without a case: {sorted(kernels - set(CASES))}; "
        f"cases without a kernel: {sorted(set(CASES) - kernels)}"
    )


# ------------------------------------------------------------- the variants


def _gpu():
    return "cupy" in nla.available_engines()


def _strict(device):
    import array_api_strict as xps

    dev = None if device is None else xps.Device(device)
    return xps, dev


def _move(args, to):
    return tuple(to(a) if isinstance(a, np.ndarray) else a for a in args)


def _variants(kernel):
    """Ids of the variants `kernel` has."""
    out = []
    if kernel.numpy is not None:
        out.append("numpy")
    if "numba" in kernel.engines:
        out.append("numba")
    if kernel.generic is not None:
        out += ["generic-numpy", "generic-strict", "generic-strict-device1"]
    if kernel.cupy is not None:
        out.append("cupy")
    return out


def _run_variant(kernel, variant, args):
    """Run `variant` of `kernel` on `args`; returns (result, like) for placement checks."""
    if variant == "numpy":
        return kernel.numpy(*args), np.empty(0)
    if variant == "numba":
        if "numba" not in nla.available_engines():
            pytest.skip("numba is not installed")
        return kernel.build_numba()(*args), np.empty(0)
    if variant == "generic-numpy":
        return kernel.generic(*args), np.empty(0)
    if variant.startswith("generic-strict"):
        xps, dev = _strict("device1" if variant.endswith("device1") else None)
        moved = _move(args, lambda a: xps.asarray(a, device=dev))
        return kernel.generic(*moved), xps.asarray([0.0], device=dev)
    if not _gpu():
        pytest.skip("no usable GPU / CuPy")
    import cupy  # pragma: no cover - needs a GPU

    return kernel.cupy(*_move(args, cupy.asarray)), cupy.empty(0)  # pragma: no cover


def _params():
    out = []
    for name in sorted(_kernels()):
        case = CASES.get(name)
        if case is None:
            continue  # test_every_kernel_has_a_case reports it
        for variant in _variants(registry[name]):
            for dtype in case.dtypes:
                out.append(pytest.param(name, variant, dtype, id=f"{name}-{variant}-{dtype}"))
    return out


def _assert_agrees(got, ref, dtype, what):
    got = np.asarray(to_host(got))
    ref = np.asarray(ref.toarray() if sp.issparse(ref) else ref)
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != {ref.shape}"
    assert got.dtype == ref.dtype, f"{what}: dtype {got.dtype} != {ref.dtype}"
    if ref.dtype.kind in "biu":
        np.testing.assert_array_equal(got, ref, err_msg=what)
        return
    # normwise rounding bound: the variants add the same terms in other orders
    bound = max(ref.shape) * np.finfo(dtype).eps * np.linalg.norm(ref)
    err = np.linalg.norm(got.astype(np.float64) - ref.astype(np.float64))
    assert err <= bound, f"{what}: error {err:.3g} > {bound:.3g}"


@pytest.mark.parametrize("name, variant, dtype", _params())
def test_variant_agrees_with_reference(name, variant, dtype):
    kernel = registry[name]
    args = CASES[name].make(np.random.default_rng(0), np.dtype(dtype))
    keep = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    ref = kernel.reference(*args)
    got, like = _run_variant(kernel, variant, args)
    if not isinstance(like, np.ndarray):
        want = array_api_compat.array_namespace(like)
        assert array_api_compat.array_namespace(got) is want, f"{variant}: left {want.__name__}"
        assert array_api_compat.device(got) == array_api_compat.device(like)
    _assert_agrees(got, ref, dtype, f"{name} {variant} {dtype}")
    for a, b in zip(args, keep, strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=f"{name} {variant} modified its input")


# ------------------------------------------------------------------ select


@pytest.mark.parametrize("name", sorted(CASES))
def test_select_honours_the_contract(name):
    import array_api_strict as xps

    kernel = registry[name]
    npx = array_api_compat.array_namespace(np.empty(0))
    assert kernel.select(npx, "numpy") is kernel.reference
    if "numba" in kernel.engines and "numba" in nla.available_engines():
        assert kernel.select(npx, "numba") is kernel.build_numba()
    if kernel.generic is not None:
        assert kernel.serves(xps)
        assert kernel.select(xps) is kernel.generic
        return
    assert not kernel.serves(xps)
    args = CASES[name].make(np.random.default_rng(0), np.dtype("float64"))
    moved = _move(args, xps.asarray)
    with pytest.raises(TypeError, match=rf"{name}.*array_api_strict"):
        kernel(xps, *moved)
    with pytest.raises(TypeError, match=rf"{name}.*array_api_strict"):
        kernel.select(xps, "numba")
