"""Tests of the PyTorch adapter nla.matfun.torch (skipped without PyTorch)."""

import importlib
import subprocess
import sys

import numpy as np
import pytest

import nla
from tests.helpers import spd_with_condition

torch = pytest.importorskip("torch")
nt = importlib.import_module("nla.matfun.torch")

METHODS = ("eigh", "mpa", "mtp", "newton-schulz")
PAIRS = (  # (adapter, nla forward, nla with_vjp, nla vjp)
    (nt.sqrtm, nla.sqrtm, nla.sqrtm_with_vjp, nla.sqrtm_vjp),
    (nt.inv_sqrtm, nla.inv_sqrtm, nla.inv_sqrtm_with_vjp, nla.inv_sqrtm_vjp),
)
IDS = ("sqrtm", "inv_sqrtm")


def spd(seed, batch, n=5, kappa=10.0, dtype=np.float64):
    A = spd_with_condition(np.random.default_rng(seed), n, kappa, batch=batch)
    return A.astype(dtype)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("fn", "ref", "_wv", "_vjp"), PAIRS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_equals_nla(fn, ref, _wv, _vjp, method, dtype):
    # Same NumPy values into the same nla code: the results agree exactly.
    A = spd(0, (2, 3), dtype=dtype)
    X = fn(torch.from_numpy(A.copy()), method=method)
    assert X.dtype == torch.from_numpy(A).dtype
    assert X.device == torch.device("cpu")
    np.testing.assert_array_equal(X.numpy(), ref(A, method=method))


def test_options_are_passed_on():
    A = spd(1, (3,), kappa=100.0)
    X = nt.sqrtm(torch.from_numpy(A), method="mpa", degree=(3, 5))
    np.testing.assert_array_equal(X.numpy(), nla.sqrtm(A, method="mpa", degree=(3, 5)))
    assert not np.array_equal(X.numpy(), nla.sqrtm(A, method="mpa"))
    with pytest.raises(TypeError, match="unexpected keyword argument 'degre'"):
        nt.sqrtm(torch.from_numpy(A), degre=3)
    with pytest.raises(ValueError, match="vjp_method"):
        nt.sqrtm(torch.from_numpy(A), vjp_method="qr")
    with pytest.raises(ValueError, match="engine"):
        nt.sqrtm(torch.from_numpy(A), engine="fortran")


# Finite differences against the adapter's backward, kappa = 10 (eigenvalues
# in [0.1, 1]), h = 1e-6 (gradcheck's default). The central difference errs
# by at most h^2/6 max|f'''| plus (forward noise)/h. f''' is 3/8 lam^(-5/2)
# <= 119 for the root and 15/8 lam^(-7/2) <= 5.9e3 for the inverse root:
# <= 1e-9. The forward noise is rounding for "eigh" (~ n eps |X| ~ 1e-15) and
# the stopping tolerance 10 sqrt(n) eps |X| ~ 1.4e-14 for Newton-Schulz
# (|Y| <= sqrt(10)): <= 1.4e-8 after dividing by h. The analytic gradients
# are accurate to rounding (Daleckii-Krein) or to the sign iteration's
# tolerance ~ 1e-14. atol = rtol = 1e-7 leaves a factor of 5 over the sum.
@pytest.mark.parametrize(
    ("method", "vjp_method"),
    [("eigh", "eigh"), ("eigh", "lyapunov"), ("newton-schulz", "lyapunov")],
)
@pytest.mark.parametrize(("fn", "_ref", "_wv", "_vjp"), PAIRS, ids=IDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_gradcheck(fn, _ref, _wv, _vjp, method, vjp_method, seed):
    B = torch.from_numpy(spd(seed, (2,), n=4)).requires_grad_()

    def f(B):
        # gradcheck perturbs one entry at a time; the function is defined
        # on symmetric matrices.
        return fn((B + B.mT) / 2, method=method, vjp_method=vjp_method)

    assert torch.autograd.gradcheck(f, (B,), eps=1e-6, atol=1e-7, rtol=1e-7)


@pytest.mark.parametrize(
    ("method", "vjp_method"), [("eigh", "eigh"), ("newton-schulz", "lyapunov")]
)
@pytest.mark.parametrize(("fn", "_ref", "with_vjp", "vjp"), PAIRS, ids=IDS)
def test_gradient_equals_nla_vjp(fn, _ref, with_vjp, vjp, method, vjp_method):
    # Batch of shape (2, 3, 5, 5), a non-symmetric cotangent G.
    A_np = spd(2, (2, 3))
    G_np = np.random.default_rng(3).standard_normal(A_np.shape)
    A = torch.from_numpy(A_np.copy()).requires_grad_()
    X = fn(A, method=method, vjp_method=vjp_method)
    assert X.shape == (2, 3, 5, 5) and X.requires_grad
    X.backward(torch.from_numpy(G_np))
    assert A.grad.shape == A.shape and A.grad.dtype == torch.float64
    # The same closure on the same NumPy values: exactly equal.
    X_np, closure = with_vjp(A_np, method=method, vjp_method=vjp_method)
    np.testing.assert_array_equal(A.grad.numpy(), closure(G_np))
    # The standalone VJP from A alone (a new eigendecomposition, or the
    # sign iteration from the same X) agrees to rounding: Daleckii-Krein is
    # backward stable, ~ n eps ||G|| / min(mu_i + mu_j)^k, and the sign
    # iteration stops at 10 sqrt(n) eps relative; 1e-12 relative is a wide
    # margin over both (kappa = 10).
    given = {"Y": X_np} if fn is nt.inv_sqrtm else {"X": X_np}
    ref = vjp(A_np, G_np, method=vjp_method, **given)
    scale = np.abs(ref).max()
    np.testing.assert_allclose(A.grad.numpy(), ref, rtol=0, atol=1e-12 * scale)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("fn", "ref", "with_vjp", "_vjp"), PAIRS, ids=IDS)
def test_device_route_runs_generic_code_on_tensors(fn, ref, with_vjp, _vjp, method,
                                                   monkeypatch):
    # Tensors off the CPU are handed to nla as tensors (the generic array-API
    # code on their device). Forced here for CPU tensors: the result and
    # the gradient are tensors computed by torch, equal to the NumPy route
    # up to the rounding of different BLAS calls (100 n eps relative).
    A_np = spd(9, (2,))
    G_np = np.random.default_rng(10).standard_normal(A_np.shape)
    calls = []
    monkeypatch.setattr(nt, "_on_host", lambda T: calls.append(1) and False)
    A = torch.from_numpy(A_np.copy()).requires_grad_()
    X = fn(A, method=method)
    X.backward(torch.from_numpy(G_np))
    assert len(calls) == 2  # the forward's A and the backward's G
    X_np, closure = with_vjp(A_np, method=method)
    tol = 100 * 5 * np.finfo(np.float64).eps
    np.testing.assert_allclose(X.detach().numpy(), X_np, rtol=0,
                               atol=tol * np.abs(X_np).max())
    d_np = closure(G_np)
    np.testing.assert_allclose(A.grad.numpy(), d_np, rtol=0, atol=tol * np.abs(d_np).max())


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_tensors_through_array_api_compat_reject_bad_input(method, dtype):
    # nla.sqrtm on a tensor (no adapter): an indefinite matrix with a
    # positive diagonal gets nla's ValueError on every route, including the
    # Cholesky check of the series methods, where torch raises its own
    # LinAlgError (a RuntimeError) rather than NumPy's.
    q = np.linalg.qr(np.random.default_rng(11).standard_normal((4, 4)))[0]
    hidden = (q * np.array([1.0, 2.0, -0.5, 3.0])) @ q.T
    hidden = (hidden + hidden.T) / 2
    assert np.all(np.diag(hidden) > 0)  # passes the diagonal test
    hidden = torch.asarray(hidden, dtype=dtype)
    for f in (nla.sqrtm, nla.inv_sqrtm):
        with pytest.raises(ValueError, match="positive semidefinite|not positive|diverged"):
            f(hidden, method=method)


def test_chain_through_a_parameterization():
    # A = B B^T + I: the adapter composes with torch's own operations.
    rng = np.random.default_rng(4)
    B = torch.from_numpy(rng.standard_normal((2, 3, 5, 5))).requires_grad_()
    A = B @ B.mT + torch.eye(5, dtype=torch.float64)
    loss = (nt.inv_sqrtm(A) ** 2).sum()
    loss.backward()
    # d loss / dA = vjp(2 Y); then dB = (dA + dA^T) B.
    A_np = A.detach().numpy()
    Y, vjp = nla.inv_sqrtm_with_vjp(A_np)
    dA = vjp(2 * Y)
    want = (dA + np.swapaxes(dA, -1, -2)) @ B.detach().numpy()
    # Both sides apply torch's / NumPy's matmul to identical dA: rounding only.
    np.testing.assert_allclose(B.grad.numpy(), want, rtol=1e-13, atol=0)


@pytest.mark.parametrize(("fn", "ref", "_wv", "_vjp"), PAIRS, ids=IDS)
def test_float32_stays_float32(fn, ref, _wv, _vjp):
    A_np = spd(5, (4,), dtype=np.float32)
    A = torch.from_numpy(A_np.copy()).requires_grad_()
    X = fn(A)
    assert X.dtype == torch.float32
    np.testing.assert_array_equal(X.detach().numpy(), ref(A_np))
    X.sum().backward()  # an expanded (stride 0) gradient reaches the closure
    assert A.grad.dtype == torch.float32
    assert bool(torch.isfinite(A.grad).all())


@pytest.mark.parametrize(("fn", "ref", "_wv", "_vjp"), PAIRS, ids=IDS)
@pytest.mark.parametrize(
    "bad",
    [
        np.array([[2.0, 1.0], [0.0, 2.0]]),          # not symmetric
        np.ones((2, 3)),                              # not square
        np.ones(3),                                   # ndim < 2
        np.array([[1.0, np.nan], [np.nan, 1.0]]),    # NaN
        np.array([[-1.0, 0.0], [0.0, 1.0]]),         # not positive semidefinite
    ],
    ids=["nonsymmetric", "nonsquare", "ndim1", "nan", "indefinite"],
)
def test_bad_input_same_error_as_nla(fn, ref, _wv, _vjp, bad):
    with pytest.raises(ValueError) as want:
        ref(bad)
    with pytest.raises(ValueError) as got:
        fn(torch.from_numpy(bad).requires_grad_())
    assert str(got.value) == str(want.value)
    assert "A" in str(got.value)


def test_bad_type_and_dtype():
    with pytest.raises(TypeError, match="A must be a torch.Tensor, got ndarray"):
        nt.sqrtm(np.eye(3))
    for dtype in (torch.int64, torch.float16, torch.complex128):
        with pytest.raises(TypeError, match=f"A must have dtype .*got {dtype}"):
            nt.inv_sqrtm(torch.eye(3, dtype=dtype))


def test_input_not_modified_and_output_not_aliased():
    A_np = spd(6, (2,))
    A = torch.from_numpy(A_np.copy()).mT.requires_grad_()   # non-contiguous view
    before = A.detach().clone()
    X = nt.sqrtm(A)
    X.backward(torch.ones_like(X))
    assert torch.equal(A.detach(), before)
    assert X.untyped_storage().data_ptr() != A.untyped_storage().data_ptr()
    np.testing.assert_array_equal(X.detach().numpy(), nla.sqrtm(np.swapaxes(A_np, -1, -2)))


def test_no_gradient_needed():
    A = torch.from_numpy(spd(7, (2,)))
    with torch.no_grad():
        X = nt.sqrtm(A)
    assert not X.requires_grad
    assert not nt.inv_sqrtm(A).requires_grad


@pytest.mark.parametrize(("fn", "name"), [(nt.sqrtm, "sqrtm"), (nt.inv_sqrtm, "inv_sqrtm")])
@pytest.mark.parametrize("loss", ["linear", "quadratic"])
def test_double_backward_is_unsupported(fn, name, loss):
    # "linear": the cotangent G is a constant (it does not require grad), yet
    # the gradient depends on A; "quadratic": G = 2 X requires grad.
    A = torch.from_numpy(spd(8, (2,))).requires_grad_()
    X = fn(A)
    L = X.sum() if loss == "linear" else (X**2).sum()
    (g,) = torch.autograd.grad(L, A, create_graph=True)
    (g_plain,) = torch.autograd.grad(L, A, retain_graph=True)
    assert torch.equal(g.detach(), g_plain)  # the first derivative is unchanged
    assert g.requires_grad
    with pytest.raises(RuntimeError, match=f"nla.matfun.torch.{name} is differentiable once"):
        g.sum().backward()


def test_import_nla_does_not_import_torch():
    code = "import sys, nla, nla.matfun; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_without_torch_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails
    monkeypatch.delitem(sys.modules, "nla.matfun.torch")
    with pytest.raises(ImportError, match="pip install torch"):
        importlib.import_module("nla.matfun.torch")
