"""The shared conventions as the low-rank family applies them.

``engine`` on every function, ``oversample`` an int >= 0, ``rcond`` in
[0, 1) through one check, ``SVDResult`` from rsvd, and cupyx.scipy.sparse
input refused with a TypeError naming A.
"""

import sys
import types

import numpy as np
import pytest

import nla

A = np.random.default_rng(0).standard_normal((12, 9))
P = A @ A.T


def _call(name, **kw):
    if name == "rsvd":
        return nla.rsvd(A, 3, rng=0, **kw)
    if name == "range_finder":
        return nla.lowrank.range_finder(A, 3, rng=0, **kw)
    if name == "nystrom":
        return nla.nystrom(A, 3, rng=0, **kw)
    if name == "nystrom_psd":
        return nla.nystrom_psd(P, 3, rng=0, **kw)
    if name == "cur":
        return nla.cur(A, 3, rng=0, **kw)
    return nla.pinv_cr(A[:, :4], A[:4, :], rng=0, **kw)


ALL = ["rsvd", "range_finder", "nystrom", "nystrom_psd", "cur", "pinv_cr"]


@pytest.mark.parametrize("name", ALL)
def test_engine_is_validated_everywhere(name):
    with pytest.raises(ValueError, match="engine"):
        _call(name, engine="fortran")
    with pytest.raises(ValueError, match="engine"):
        _call(name, engine="NumPy")


@pytest.mark.parametrize("name", ALL)
def test_engine_choice_does_not_change_a_result_without_kernels(name):
    # for functions that reach no kernel the engine cannot matter; with
    # kernels the engines agree to rounding (tested per function), here only
    # that every accepted value runs
    for engine in (None, "auto", "numpy"):
        _call(name, engine=engine)


@pytest.mark.parametrize("name", ["rsvd", "nystrom", "nystrom_psd", "cur"])
def test_oversample_is_an_int_at_least_zero(name):
    _call(name, oversample=0)
    _call(name, oversample=np.int64(2))
    with pytest.raises(ValueError, match="oversample must be >= 0"):
        _call(name, oversample=-1)
    for bad in (1.5, "10", True):
        with pytest.raises(TypeError, match="oversample"):
            _call(name, oversample=bad)


def test_nystrom_default_oversample_rule():
    # None means max(10, ceil(k / 2)): the same draws as passing it
    B = np.random.default_rng(1).standard_normal((200, 150))
    for k in (4, 25, 31):
        p = max(10, -(-k // 2))
        a = nla.nystrom(B, k, rng=5)
        b = nla.nystrom(B, k, oversample=p, rng=5)
        np.testing.assert_array_equal(a.left, b.left)
        np.testing.assert_array_equal(a.right, b.right)
        c = nla.nystrom(B, k, oversample=p + 1, rng=5)
        assert not np.array_equal(a.left, c.left)


@pytest.mark.parametrize("name", ["nystrom", "pinv_cr"])
def test_rcond_one_check(name):
    _call(name, rcond=None)
    _call(name, rcond=0.0)
    _call(name, rcond=0.5)
    for bad in (1.0, 2.0, -1e-3, float("nan")):
        with pytest.raises(ValueError, match="rcond"):
            _call(name, rcond=bad)
    with pytest.raises(TypeError, match="rcond"):
        _call(name, rcond="1e-8")


def test_nystrom_rcond_cuts_the_core():
    # B has singular values 1 and 2^-10 (rank 2). rcond = 0 keeps both core
    # directions: exact recovery within the tolerance of test_nystrom (1e3
    # kappa eps max(m, n) ||B||, kappa = 2^10). The core Y^T B X has the two
    # directions at a ratio of about 2^-10 (distorted by a factor far below
    # 2^9 for Gaussian sketches of these sizes), so rcond = 0.5 keeps one and
    # the result is padded with a zero column.
    rng = np.random.default_rng(3)
    U = np.linalg.qr(rng.standard_normal((20, 2)))[0]
    V = np.linalg.qr(rng.standard_normal((16, 2)))[0]
    B = (U * [1.0, 2.0**-10]) @ V.T
    kept = nla.nystrom(B, 2, sketch="gaussian", rcond=0.0, rng=0)
    eps = np.finfo(np.float64).eps
    assert np.linalg.norm(kept.to_dense() - B, 2) <= 1e3 * 2**10 * eps * 20
    cut = nla.nystrom(B, 2, sketch="gaussian", rcond=0.5, rng=0)
    assert np.all(cut.left[:, 1] == 0) and np.all(cut.right[1] == 0)
    assert np.all(cut.left[:, 0] != 0)


def test_svd_result():
    r = nla.rsvd(A, 3, rng=0)
    assert isinstance(r, nla.SVDResult) and isinstance(r, tuple)
    assert r._fields == ("U", "s", "Vt")
    U, s, Vt = r
    assert U is r.U and s is r.s and Vt is r.Vt
    np.testing.assert_array_equal(r.to_dense(), (U * s) @ Vt)
    assert nla.lowrank.SVDResult is nla.SVDResult


class _FakeCupySparse:
    """Stands in for a cupyx.scipy.sparse matrix (no GPU here)."""

    shape = (12, 9)
    ndim = 2
    dtype = np.dtype(np.float64)


@pytest.fixture
def fake_cupyx(monkeypatch):
    mod = types.ModuleType("cupyx.scipy.sparse")
    mod.issparse = lambda x: isinstance(x, _FakeCupySparse)
    monkeypatch.setitem(sys.modules, "cupyx.scipy.sparse", mod)
    return _FakeCupySparse()


@pytest.mark.parametrize(
    "fn", [nla.rsvd, nla.lowrank.range_finder, nla.nystrom, nla.nystrom_psd, nla.cur]
)
def test_cupyx_sparse_is_refused_naming_a(fake_cupyx, fn):
    with pytest.raises(TypeError, match=r"A must be a dense array.*cupyx\.scipy\.sparse"):
        fn(fake_cupyx, 3, rng=0)
