"""Dispatch layer, configuration, validation and rng handling."""

import threading

import array_api_strict
import numpy as np
import pytest
import scipy.sparse as sp

import nla
from nla import _config
from nla._backend import (
    Kernel,
    array_namespace,
    is_numpy_namespace,
    matmul,
    registry,
    solve_triangular,
)
from nla._random import check_rng
from nla._validate import (
    check_array,
    check_dtype,
    check_int,
    check_option,
    check_rank,
    check_real,
    check_square,
    result_dtype,
)


# ----------------------------------------------------------------- namespaces
def test_namespace_numpy_and_sparse():
    xp = array_namespace(np.ones(3), sp.csr_array(np.eye(3)), None, 2.0)
    assert is_numpy_namespace(xp)
    assert is_numpy_namespace(array_namespace(sp.csr_matrix(np.eye(2))))
    assert is_numpy_namespace(array_namespace())


def test_namespace_strict():
    a = array_api_strict.asarray([1.0, 2.0])
    assert array_namespace(a) is array_api_strict


def test_mixed_libraries_raise():
    with pytest.raises(TypeError, match="different array libraries"):
        array_namespace(np.ones(2), array_api_strict.asarray([1.0]))
    with pytest.raises(TypeError, match="scipy.sparse"):
        array_namespace(sp.csr_array(np.eye(2)), array_api_strict.asarray([1.0]))


def test_mixed_devices_raise():
    a = array_api_strict.asarray([1.0])
    b = array_api_strict.asarray([1.0], device=array_api_strict.Device("device1"))
    with pytest.raises(ValueError, match="different devices"):
        array_namespace(a, b)


def test_matmul_sparse_either_side():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 5))
    B = sp.random(5, 3, density=0.5, random_state=1, format="csr")
    C = matmul(A, B)
    assert isinstance(C, np.ndarray)
    np.testing.assert_allclose(C, A @ B.toarray(), rtol=1e-13, atol=1e-14)
    D = matmul(B.T, A.T)
    np.testing.assert_allclose(D, B.toarray().T @ A.T, rtol=1e-13, atol=1e-14)


def test_solve_triangular_delegation(xp):
    rng = np.random.default_rng(0)
    R = np.triu(rng.standard_normal((5, 5))) + 5 * np.eye(5)
    b = rng.standard_normal((5, 2))
    x = solve_triangular(xp.asarray(R), xp.asarray(b), lower=False)
    np.testing.assert_allclose(np.asarray(x), np.linalg.solve(R, b), rtol=1e-12)
    xt = solve_triangular(xp.asarray(R), xp.asarray(b), trans=True)
    np.testing.assert_allclose(np.asarray(xt), np.linalg.solve(R.T, b), rtol=1e-12)


# ---------------------------------------------------------------- config
def test_config_context_restores_and_nests():
    assert nla.get_config()["engine"] == "auto"
    with nla.config(engine="numpy") as cfg:
        assert cfg["engine"] == "numpy"
        assert nla.get_config()["engine"] == "numpy"
        assert _config.resolve_engine() == "numpy"
        with nla.config(engine="auto"):
            assert nla.get_config()["engine"] == "auto"
        assert nla.get_config()["engine"] == "numpy"
    assert nla.get_config()["engine"] == "auto"


def test_config_restored_on_error():
    with pytest.raises(RuntimeError):
        with nla.config(engine="numpy"):
            raise RuntimeError
    assert nla.get_config()["engine"] == "auto"


def test_get_config_is_a_copy():
    c = nla.get_config()
    c["engine"] = "numba"
    assert nla.get_config()["engine"] == "auto"


def test_config_is_thread_local():
    seen = {}
    entered = threading.Event()
    release = threading.Event()

    def other():
        entered.wait()
        seen["other"] = nla.get_config()["engine"]
        release.set()

    t = threading.Thread(target=other)
    t.start()
    with nla.config(engine="numpy"):
        entered.set()
        release.wait(10)
        seen["main"] = nla.get_config()["engine"]
    t.join()
    assert seen == {"main": "numpy", "other": "auto"}


def test_bad_engine_names():
    with pytest.raises(ValueError, match="engine must be one of"):
        with nla.config(engine="fortran"):
            pass
    with pytest.raises(ValueError, match="engine must be one of"):
        _config.resolve_engine("gpu")
    with pytest.raises(ValueError, match="engine must be one of"):
        nla.fwht(np.ones(4), engine="cuda")
    # checked for every namespace, not only where the engine is used
    with pytest.raises(ValueError, match="engine must be one of.*'cuda'"):
        nla.fwht(array_api_strict.asarray(np.ones(4)), engine="cuda")
    with pytest.raises(ValueError, match="engine must be one of"):
        nla.sketch.srht(8, 2, rng=0).apply(array_api_strict.asarray(np.ones(8)), engine="gpu")
    with pytest.raises(ValueError, match="engine must be one of"):
        registry["sketch.fwht"].select(array_api_strict, "Numba")


def test_priority_order(monkeypatch):
    monkeypatch.setenv("NLA_ENGINE", "numpy")
    assert _config.resolve_engine() == "numpy"
    if "numba" in nla.available_engines():
        with nla.config(engine="numba"):
            assert _config.resolve_engine() == "numba"
            assert _config.resolve_engine("numpy") == "numpy"
    monkeypatch.setenv("NLA_ENGINE", "bogus")
    with pytest.raises(ValueError, match="NLA_ENGINE"):
        _config.resolve_engine()


def test_auto_prefers_numba_when_importable(monkeypatch):
    monkeypatch.delenv("NLA_ENGINE", raising=False)
    expected = "numba" if "numba" in nla.available_engines() else "numpy"
    assert _config.resolve_engine() == expected


def test_missing_engine_raises_import_error_with_hint(monkeypatch):
    monkeypatch.setitem(_config._IMPORTABLE, "numba", False)
    with pytest.raises(ImportError, match="pip install"):
        with nla.config(engine="numba"):
            pass
    with pytest.raises(ImportError, match="numba is not installed"):
        nla.fwht(np.ones(4), engine="numba")
    assert nla.available_engines()[0] == "numpy"
    assert "numba" not in nla.available_engines()


def test_env_engine_numba_missing_raises_with_hint(monkeypatch):
    # simulate an environment without Numba through the importability check
    monkeypatch.setitem(_config._IMPORTABLE, "numba", False)
    monkeypatch.setenv("NLA_ENGINE", "numba")
    with pytest.raises(ImportError, match=r"numba is not installed.*pip install numba"):
        _config.resolve_engine()
    with pytest.raises(ImportError, match=r"pip install numba"):
        nla.fwht(np.ones(4))
    # an explicit per-call engine still wins over the environment
    np.testing.assert_array_equal(nla.fwht(np.ones(4), engine="numpy"), [2.0, 0.0, 0.0, 0.0])


def test_auto_falls_back_to_numpy_without_numba(monkeypatch):
    monkeypatch.setitem(_config._IMPORTABLE, "numba", False)
    monkeypatch.delenv("NLA_ENGINE", raising=False)
    assert _config.resolve_engine() == "numpy"
    monkeypatch.setenv("NLA_ENGINE", "auto")
    assert _config.resolve_engine() == "numpy"
    with nla.config(engine="auto"):
        assert _config.resolve_engine() == "numpy"
    kernel = registry["sketch.fwht"]
    assert kernel.select(array_namespace(np.ones(1))) is kernel.reference
    np.testing.assert_array_equal(nla.fwht(np.ones(4)), [2.0, 0.0, 0.0, 0.0])


def test_kernel_numba_variant_needs_numba(monkeypatch):
    built = []
    k = Kernel("test.needs_numba", numpy=lambda x: x, numba=lambda: built.append(1))
    try:
        monkeypatch.setitem(_config._IMPORTABLE, "numba", False)
        with pytest.raises(ImportError, match="pip install numba"):
            k.build_numba()
        assert built == []
    finally:
        registry.pop("test.needs_numba")


# ---------------------------------------------------------------- kernels
def _recording_kernel(name, calls, *, generic=True):
    def ref(x):
        calls.append("numpy")
        return x

    def gen(x):
        calls.append("generic")
        return x

    def build():
        def fast(x):
            calls.append("numba")
            return x

        return fast

    return Kernel(name, numpy=ref, generic=gen if generic else None, numba=build)


def test_kernel_registry_selection():
    calls = []
    k = _recording_kernel("test.identity_kernel", calls)
    try:
        assert registry["test.identity_kernel"] is k
        xp = array_namespace(np.ones(1))
        k(xp, 1, engine="numpy")
        assert calls == ["numpy"]
        if "numba" in nla.available_engines():
            k(xp, 1, engine="numba")
            assert calls[-1] == "numba"
        # any other namespace gets the generic variant, whatever the engine
        k(array_api_strict, 1, engine="numba")
        assert calls[-1] == "generic"
        with pytest.raises(ValueError, match="already registered"):
            Kernel("test.identity_kernel", numpy=lambda x: x)
        with pytest.raises(ValueError, match="generic or a NumPy"):
            Kernel("test.no_variant")
    finally:
        registry.pop("test.identity_kernel")


def test_numpy_only_kernel_refuses_other_namespaces():
    calls = []
    k = _recording_kernel("test.numpy_only", calls, generic=False)
    try:
        assert not k.serves(array_api_strict)
        assert k.serves(array_namespace(np.ones(1)))
        with pytest.raises(TypeError, match="test.numpy_only.*array_api_strict"):
            k(array_api_strict, 1)
        assert calls == []  # never handed a non-NumPy array
    finally:
        registry.pop("test.numpy_only")


# ---------------------------------------------------------------- validation
def test_check_array_promotes_and_keeps_float32():
    assert check_array(np.arange(3), "x").dtype == np.float64
    assert check_array(np.ones(3, np.float32), "x").dtype == np.float32
    assert check_array([1, 2], "x").dtype == np.float64
    x = np.ones(3)
    assert check_array(x, "x") is x


@pytest.mark.parametrize(
    "value, kwargs, exc, match",
    [
        (np.array([1.0, np.nan]), {}, ValueError, "x must not contain NaN"),
        (np.array([np.inf]), {}, ValueError, "NaN or Inf"),
        (np.ones((2, 2, 2)), {"ndim": 2}, ValueError, "x must be 2-D"),
        (np.ones(3), {"ndim": (2, None)}, ValueError, "at least 2"),
        (np.ones((0, 3)), {}, ValueError, "x must not be empty"),
        (np.ones(2, dtype=complex), {}, TypeError, "real floating"),
        (np.array(["a"]), {}, TypeError, "x must have"),
        (np.array([object()]), {}, TypeError, "numeric dtype"),
        (None, {}, TypeError, "x must be an array"),
        (sp.eye(3, format="csr"), {}, TypeError, "sparse input is not supported"),
    ],
)
def test_check_array_errors(value, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        check_array(value, "x", **kwargs)


def test_check_array_sparse():
    A = sp.csr_array(np.array([[1, 0], [0, 2]]))
    out = check_array(A, "A", allow_sparse=True)
    assert out.dtype == np.float64
    bad = sp.csr_array(np.array([[np.nan, 0], [0, 1.0]]))
    with pytest.raises(ValueError, match="A must not contain NaN"):
        check_array(bad, "A", allow_sparse=True)


@pytest.mark.parametrize("fmt", ["dok", "lil"])
def test_check_array_sparse_without_data_array(fmt):
    # DOK and LIL hold no array of values; they are checked through CSR
    A = sp.random(6, 5, density=0.4, random_state=0, format="csr").asformat(fmt)
    out = check_array(A, "A", allow_sparse=True)
    assert sp.issparse(out) and out.format == "csr"
    np.testing.assert_array_equal(out.toarray(), A.toarray())
    bad = A.tolil()
    bad[1, 2] = np.inf
    with pytest.raises(ValueError, match="A must not contain NaN or Inf"):
        check_array(bad.asformat(fmt), "A", allow_sparse=True)
    v = sp.dok_array(np.array([0.0, 2.0, 0.0]))  # 1-D
    assert check_array(v, "v", allow_sparse=True).format == "coo"


def test_check_scalars():
    assert check_int(np.int64(3), "k", low=1) == 3
    with pytest.raises(TypeError, match="k must be an integer"):
        check_int(2.5, "k")
    with pytest.raises(TypeError, match="k must be an integer"):
        check_int(True, "k")
    with pytest.raises(ValueError, match="k must be >= 1, got 0"):
        check_rank(0, "k", 5)
    with pytest.raises(ValueError, match="k must be <= 5, got 6"):
        check_rank(6, "k", 5)
    assert check_real(0.5, "eps", low=0, high=1, low_open=True) == 0.5
    with pytest.raises(ValueError, match=r"eps must lie in \(0"):
        check_real(0.0, "eps", low=0, high=1, low_open=True)
    with pytest.raises(ValueError, match="eps must be finite"):
        check_real(float("nan"), "eps")
    with pytest.raises(ValueError, match="method must be one of"):
        check_option("x", "method", ("a", "b"))
    with pytest.raises(ValueError, match="A must be square"):
        check_square(np.ones((2, 3)), "A")
    assert check_dtype(None) == np.float64
    assert check_dtype("float32") == np.float32
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        check_dtype(np.int32)


def test_result_dtype():
    xp = array_namespace(np.ones(1))
    f32 = np.ones(1, np.float32)
    assert result_dtype(xp, f32, f32) == np.float32
    assert result_dtype(xp, f32, np.ones(1)) == np.float64
    assert result_dtype(xp, f32, np.ones(1, np.int32)) == np.float64
    assert result_dtype(xp, np.ones(1, np.complex64)) == np.complex64
    # sparse inputs count by their dtype
    S32 = sp.csr_array(np.eye(2, dtype=np.float32))
    assert result_dtype(xp, S32, f32) == np.float32
    assert result_dtype(xp, S32, np.ones(1)) == np.float64
    assert result_dtype(xp, sp.csr_array(np.eye(2, dtype=np.int64)), f32) == np.float64


# ---------------------------------------------------------------- rng
def test_check_rng():
    g = np.random.default_rng(0)
    assert check_rng(g) is g
    a = check_rng(5).standard_normal(3)
    b = check_rng(5).standard_normal(3)
    np.testing.assert_array_equal(a, b)
    assert isinstance(check_rng(None), np.random.Generator)
    assert isinstance(check_rng(np.random.SeedSequence(1)), np.random.Generator)
    with pytest.raises(TypeError, match="RandomState"):
        check_rng(np.random.RandomState(0))
    with pytest.raises(TypeError, match="rng must be"):
        check_rng(1.5)
    with pytest.raises(TypeError, match="rng must be"):
        check_rng("seed")
    with pytest.raises(ValueError, match="non-negative"):
        check_rng(-1)


def test_version():
    assert isinstance(nla.__version__, str)


# ---------------------------------------------------------------- dtype policy
def test_dtype_policy_float16_promoted_and_byte_order_native():
    x16 = np.arange(4, dtype=np.float16)
    out = check_array(x16, "x")
    assert out.dtype == np.float32 and x16.dtype == np.float16
    big = np.arange(4, dtype=">f8")
    out = check_array(big, "x")
    assert out.dtype.isnative and out.dtype == np.float64
    np.testing.assert_array_equal(out, np.arange(4.0))


@pytest.mark.skipif(np.dtype(np.longdouble).itemsize <= 8, reason="longdouble is float64 here")
def test_dtype_policy_rejects_extended_precision():
    with pytest.raises(TypeError, match="x has extended precision dtype"):
        check_array(np.ones(3, dtype=np.longdouble), "x")
    with pytest.raises(TypeError, match="A has extended precision"):
        check_array(sp.csr_array(np.eye(2, dtype=np.longdouble)), "A", allow_sparse=True)
    with pytest.raises(TypeError, match="z has extended precision"):
        check_array(np.ones(3, dtype=np.clongdouble), "z", allow_complex=True)


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_matrix_becomes_ndarray_and_masked_is_rejected():
    m = np.matrix(np.eye(3))
    out = check_array(m, "A")
    assert type(out) is np.ndarray
    masked = np.ma.array([1.0, np.nan], mask=[False, True])
    with pytest.raises(TypeError, match="b is a masked array"):
        check_array(masked, "b")
    # results of public functions are ndarrays, not matrices
    assert type(nla.fwht(np.matrix(np.ones((2, 4))))) is np.ndarray


def test_non_array_objects_are_named_as_such():
    from scipy.sparse.linalg import aslinearoperator

    with pytest.raises(TypeError, match="A must be an array, got MatrixLinearOperator"):
        check_array(aslinearoperator(np.eye(3)), "A")
    with pytest.raises(TypeError, match="x must be an array, got dict"):
        check_array({"a": 1}, "x")
    with pytest.raises(TypeError, match="x must have a numeric dtype, got object"):
        check_array([[1.0], [None]], "x")
