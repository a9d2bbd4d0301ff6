"""The table of :mod:`tests.test_bad_input`: every public function, its array
arguments and its options.

One :class:`Fn` per public function or method and variant (a method, a
sketch kind, an engine). It names the array arguments (:class:`Arg`: which
numbers of dimensions, whether scipy.sparse and complex input are taken, how
the compared parts of the result scale with the argument) and every other
parameter with the invalid values to try (:class:`Opt`). The good inputs and
the tolerances are those of :mod:`tests.test_backend_matrix`.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from types import MappingProxyType

import numpy as np

import nla
from tests.helpers import with_singular_values
from tests.test_backend_matrix import (
    _D,
    _K,
    _LOWRANK_COND,
    _LSTSQ_KAPPA,
    _PINV_KAPPA,
    _SPD_KAPPA,
    SEED,
    _cotangent,
    _cur_compare,
    _cur_condition,
    _family_module,
    _lowrank,
    _lstsq_inputs,
    _pade_condition,
    _projector,
    _psd,
    _spd_batch,
    _svd_compare,
    _widen,
)

NAN = float("nan")
INF = float("inf")


# ------------------------------------------------------------------ records


@dataclasses.dataclass(frozen=True)
class Arg:
    """An array argument.

    `ndim` are the allowed numbers of dimensions (``(lo, None)``: at least
    `lo`). `degree` maps each compared part of the result to its degree of
    homogeneity in this argument (``f(c x) = c**degree f(x)``), or is one
    number for every part; None: no extreme-magnitude cells (the argument
    must agree with another one).
    `bool_values` makes the boolean input of the bool cell from the base
    input (default ``x > 0``), `int_values` the integer one (default
    ``rint(8 x)``; also the values of the float16 cell when given, so that a
    PSD input stays PSD after rounding). `extra` maps labels to ``(transform,
    expectation)``: further bad inputs of this argument.
    """

    name: str
    ndim: tuple
    degree: object = None
    sparse: bool = False
    complex: bool = False
    bool_values: object = None
    int_values: object = None
    extra: MappingProxyType = dataclasses.field(default_factory=lambda: MappingProxyType({}))

    def allows_ndim(self, n):
        if len(self.ndim) == 2 and self.ndim[1] is None:
            return n >= self.ndim[0]
        return n in self.ndim

    def degree_of(self, part):
        if isinstance(self.degree, (int, float)):
            return float(self.degree)
        return float(self.degree[part])


@dataclasses.dataclass(frozen=True)
class Opt:
    """A scalar parameter with the invalid values to try, ``(label, value)``."""

    name: str
    bad: tuple


@dataclasses.dataclass(frozen=True)
class Fn:
    """One public function or method in one variant.

    `target()` returns the callable (built once: a sketch's bound method, a
    result's ``to_dense``); it is called with the arrays and the options as
    keywords, ``defaults`` updated by the option under test. `inputs(rng)`
    gives the good float64 arrays, `sweep` the arguments whose input classes
    are tried (default: all). `compare(result)` gives the compared parts
    (NumPy arrays); tolerances are ``cond * (size * eps + solver_tol)`` as
    in the backend matrix. `sparse_reference`: sparse input runs another
    algorithm by design, so it is compared with the call on a CSR array of
    the same values.
    """

    name: str
    target: object
    variant: str = ""
    inputs: object = None
    arrays: tuple = ()
    options: tuple = ()
    defaults: MappingProxyType = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    compare: object = None
    cond: object = 1.0
    solver_tol: float = 0.0
    sparse_reference: bool = False
    sweep: tuple | None = None
    requires: str | None = None
    torch: bool = False
    public: object = None  # () -> the public callable, when `target` wraps it

    @property
    def id(self):
        return f"{self.name}[{self.variant}]" if self.variant else self.name

    def base_inputs(self):
        if self.inputs is None:
            return {}
        return self.inputs(np.random.default_rng(SEED))

    def swept(self):
        return [a for a in self.arrays if self.sweep is None or a.name in self.sweep]

    def signature(self):
        return inspect.signature((self.public or self.target)())

    def call(self, arrays, opts):
        return self.target()(**arrays, **opts)


def _fixed(**kw):
    return MappingProxyType(kw)


# ------------------------------------------------------ invalid option values

_COMMON_TYPES = (("str", "bogus"), ("bool", True), ("list", [1]))


def int_opt(name, low=None, high=None, *, none=False, strings=()):
    """An integer parameter in ``[low, high]`` (None allowed if `none`)."""
    bad = [("float", 2.5), ("nan", NAN), ("bool", True), ("np.bool_", np.True_), ("list", [1])]
    if "str" not in strings:
        bad.append(("str", "bogus"))
    if low is not None:
        bad.append(("below", low - 1))
    if high is not None:
        bad.append(("above", high + 1))
    if not none:
        bad.append(("None", None))
    return Opt(name, tuple(bad))


def real_opt(name, low=None, high=None, *, low_open=False, high_open=False, none=True,
             extra=()):
    """A real parameter in an interval (None allowed if `none`)."""
    bad = [("str", "bogus"), ("nan", NAN), ("np.nan", np.float64("nan")), ("bool", True),
           ("complex", 1j), ("list", [0.5])]
    if low is not None:
        bad.append(("below", low if low_open else low - 1.0))
    if high is not None:
        bad.append(("above", high if high_open else high + 1.0))
    else:
        bad.append(("inf", INF))
    if not none:
        bad.append(("None", None))
    return Opt(name, tuple(bad) + tuple(extra))


def str_opt(name, *, none=False):
    bad = [("unknown", "bogus"), ("int", 1), ("bool", True), ("list", ["a"])]
    if not none:
        bad.append(("None", None))
    return Opt(name, tuple(bad))


def bool_opt(name):
    return Opt(name, (("str", "yes"), ("int", 1), ("np.int", np.int64(1)), ("None", None),
                      ("nan", NAN)))


def engine_opt():
    bad = [("unknown", "bogus"), ("int", 1), ("bool", True), ("case", "NUMPY")]
    if "cupy" not in nla.available_engines():
        bad.append(("cupy", "cupy"))
    return Opt("engine", tuple(bad))


def rng_opt():
    return Opt(
        "rng",
        (
            ("str", "42"),
            ("float", 1.5),
            ("negative", -1),
            ("bool", True),
            ("nan", NAN),
            ("RandomState", np.random.RandomState(0)),
        ),
    )


def dtype_opt():
    return Opt(
        "dtype",
        (
            ("str", "bogus"),
            ("int32", np.int32),
            ("float16", np.float16),
            ("complex", np.complex128),
            ("longdouble", np.longdouble),
            ("number", 1),
        ),
    )


def degree_opt():
    return Opt(
        "degree",
        (
            ("zero", (0, 0)),
            ("negative", (-1, 2)),
            ("above", (17, 17)),
            ("str", "bogus"),
            ("float", 2.5),
            ("bool", True),
            ("pair-float", (1.5, 2)),
            ("triple", (1, 2, 3)),
            ("nan", NAN),
        ),
    )


CHECK_FINITE, ENGINE, RNG = bool_opt("check_finite"), engine_opt(), rng_opt()


# -------------------------------------------------------------- compare parts


def _dict_parts(result):
    return {key: _widen(x) for key, x in result.items()}


def _one(result):
    return {"result": _widen(result)}


def _no_parts(result):
    return {}


# ------------------------------------------------------------------- sketch


@functools.cache
def _sketch(kind):
    return nla.sketch.make_sketch(kind, _D, _K, rng=SEED)


def _inputs(**shapes):
    def make(rng):
        return {name: rng.standard_normal(shape) for name, shape in shapes.items()}

    return make


def _drop_row(x):
    return x[:-1]


def _drop_col(x):
    return x[..., :-1]


_ROWS = MappingProxyType({"rows": (_drop_row, "raise")})
_COLS = MappingProxyType({"cols": (_drop_col, "raise")})

_SKETCH_METHODS = (
    # method, argument, base shape, allowed ndim, engine variants, extra
    ("apply", "X", (_D, 3), (1, 2), True, _ROWS),
    ("apply", "X", (_D,), (1, 2), False, _ROWS),
    ("apply_rows", "X", (3, _D), (1, 2), True, _COLS),
    ("adjoint", "Y", (_K, 3), (1, 2), True, _ROWS),
    ("matvec", "x", (_D,), (1, 2), False, _ROWS),
    ("rmatvec", "y", (_K,), (1, 2), False, _ROWS),
    ("matmat", "X", (_D, 3), (2,), False, _ROWS),
    ("rmatmat", "Y", (_K, 3), (2,), False, _ROWS),
)
_CHECKS_FINITE = ("apply", "apply_rows")


def _sketch_method_fns():
    out = []
    for meth, arg, shape, ndim, engines, extra in _SKETCH_METHODS:
        for kind in nla.sketch.SKETCH_KINDS:
            for engine in ("numba", "numpy") if engines else (None,):
                if engine == "numba" and "numba" not in nla.available_engines():
                    continue
                variant = kind + ("-1d" if len(shape) == 1 and meth == "apply" else "")
                variant += f"-{engine}" if engine else ""
                options = (ENGINE, CHECK_FINITE) if meth in _CHECKS_FINITE else (ENGINE,)
                out.append(
                    Fn(
                        "sketch.SketchOperator." + meth,
                        lambda kind=kind, meth=meth: getattr(_sketch(kind), meth),
                        variant,
                        _inputs(**{arg: shape}),
                        (Arg(arg, ndim, 1, sparse=True, extra=extra),),
                        options,
                        _fixed(engine=engine) if engine else _fixed(),
                        compare=_one,
                    )
                )
    return out


def _sketch_result_fns():
    out = []
    X = np.random.default_rng(SEED).standard_normal((_D, 3))
    for kind in nla.sketch.SKETCH_KINDS:
        out.append(
            Fn("sketch.SketchOperator.to_dense", lambda kind=kind: _sketch(kind).to_dense,
               kind, options=(ENGINE,), compare=_one)
        )
        out.append(
            Fn(
                "sketch.SketchOperator.as_linear_operator",
                lambda kind=kind: lambda **o: _sketch(kind).as_linear_operator(**o) @ X,
                kind,
                public=lambda kind=kind: _sketch(kind).as_linear_operator,
                options=(ENGINE,),
                compare=_one,
            )
        )
    for kind in ("sparse_sign", "countsketch"):
        out.append(
            Fn("sketch.SparseSignSketch.to_sparse", lambda kind=kind: _sketch(kind).to_sparse,
               kind, compare=_one)
        )
    return out


def _dense_of(make):
    return lambda: lambda **kw: make(**kw).to_dense()


_D_OPT, _K_OPT = int_opt("d", 1), int_opt("k", 1, _D)


def _constructor_fns():
    sk = nla.sketch
    common = (_D_OPT, _K_OPT, RNG, dtype_opt())
    any_k = (_D_OPT, int_opt("k", 1), RNG, dtype_opt())  # k > d allowed
    return [
        Fn("sketch.gaussian", _dense_of(sk.gaussian), public=lambda: sk.gaussian, options=any_k,
           defaults=_fixed(d=_D, k=_K, rng=SEED), compare=_one),
        Fn("sketch.srht", _dense_of(sk.srht), public=lambda: sk.srht, options=common,
           defaults=_fixed(d=_D, k=_K, rng=SEED), compare=_one),
        Fn("sketch.sparse_sign", _dense_of(sk.sparse_sign), public=lambda: sk.sparse_sign,
           options=(*any_k, int_opt("nnz_per_column", 1)),  # min(nnz_per_column, k) used
           defaults=_fixed(d=_D, k=_K, rng=SEED), compare=_one),
        Fn("sketch.fjlt", _dense_of(sk.fjlt), public=lambda: sk.fjlt,
           options=(*common, real_opt("q", 0.0, 1.0, low_open=True),
                    int_opt("n_points", 1, none=True)),
           defaults=_fixed(d=_D, k=_K, rng=SEED), compare=_one),
        Fn("sketch.make_sketch", _dense_of(sk.make_sketch), public=lambda: sk.make_sketch,
           options=(str_opt("kind"), *common,
                    Opt("name", (("int", 1), ("None", None), ("list", ["A"])))),
           defaults=_fixed(kind="srht", d=_D, k=_K, rng=SEED), compare=_one),
        Fn("sketch.jl_dim", lambda: sk.jl_dim,
           options=(int_opt("n_points", 1),
                    real_opt("eps", 0.0, 1.0, low_open=True, high_open=True, none=False,
                             extra=(("tiny", 1e-300),))),
           defaults=_fixed(n_points=100, eps=0.5), compare=lambda r: {"result": np.asarray(r)}),
        Fn("fwht", lambda: nla.fwht, "numba", _inputs(x=(3, 16)),
           (Arg("x", (1, None), 1, complex=True, extra=_COLS),),
           (int_opt("axis", -2, 1), ENGINE, CHECK_FINITE), _fixed(engine="numba"),
           compare=_one),
        Fn("fwht", lambda: nla.fwht, "numpy", _inputs(x=(3, 16)),
           (Arg("x", (1, None), 1, complex=True, extra=_COLS),),
           (int_opt("axis", -2, 1), ENGINE, CHECK_FINITE), _fixed(engine="numpy"),
           compare=_one),
    ]


def _config(**kw):
    with nla.config(**kw):
        return nla.get_config()


def _configuration_fns():
    return [
        Fn("config", lambda: _config, options=(ENGINE,), compare=_no_parts,
           public=lambda: nla.config),
        Fn("get_config", lambda: nla.get_config, compare=_no_parts),
        Fn("available_engines", lambda: nla.available_engines, compare=_no_parts),
    ]


# ------------------------------------------------------------ least squares


def _lstsq_x(result):
    x = result[0] if isinstance(result, tuple) else result
    return {"x": _widen(x)}


_LSTSQ_OPTIONS = (
    str_opt("method"),
    RNG,
    real_opt("tol", 0.0, 1.0, low_open=True),
    real_opt("eps", 0.0, low_open=True),
    real_opt("delta", 0.0, 1.0, low_open=True, high_open=True),
    str_opt("sketch", none=True),
    int_opt("sketch_size", 8, none=True),
    int_opt("maxiter", 1, none=True),
    real_opt("rcond", 0.0, 1.0, high_open=True),
    ENGINE,
    CHECK_FINITE,
    bool_opt("return_info"),
)


def _lstsq_fns():
    A = Arg("A", (2,), {"x": -1}, sparse=True, extra=_ROWS)
    b = Arg("b", (1, 2), {"x": 1}, extra=_ROWS)
    out = []
    for variant, ncols, kw, tol in (
        ("precondition", 0, {}, 1e-10),
        ("precondition-2d", 2, {}, 1e-10),
        ("precondition-numpy", 0, {"engine": "numpy"}, 1e-10),
        ("sketch", 2, {"method": "sketch"}, 0.0),
        ("linf", 0, {"method": "linf"}, 0.0),
        ("info", 2, {"return_info": True}, 1e-10),
    ):
        out.append(
            Fn("lstsq", lambda: nla.lstsq, variant, _lstsq_inputs(ncols), (A, b),
               _LSTSQ_OPTIONS, _fixed(rng=SEED, **kw), _lstsq_x, _LSTSQ_KAPPA, tol)
        )
    for method, tol in (("precondition", 1e-10), ("sketch", 0.0)):
        for sketch in ("countsketch", "gaussian", "srht"):
            out.append(
                Fn("lstsq", lambda: nla.lstsq, f"{method}-{sketch}", _lstsq_inputs(0), (A, b),
                   _LSTSQ_OPTIONS, _fixed(rng=SEED, method=method, sketch=sketch), _lstsq_x,
                   _LSTSQ_KAPPA, tol, sweep=("A",))
            )
    return out


# ------------------------------------------------------------------ lowrank

_M, _N, _R = 40, 30, 5


def _block_ones(x):
    """A boolean PSD matrix of x's shape: diagonal blocks of ones."""
    n = x.shape[-1]
    idx = np.arange(n) // _R
    return idx[:, None] == idx[None, :]


def _integer_psd(x):
    """An integer PSD matrix of x's shape and rank: ``B B^T``, B rounded factors of x."""
    w, V = np.linalg.eigh(x)
    B = np.rint(2 * V[:, -_R:] * np.sqrt(np.maximum(w[-_R:], 0)))
    return (B @ B.T).astype(np.int64)


def _nonsymmetric(x):
    return x + 0.1 * np.triu(np.ones_like(x), 1)


def _indefinite(x):
    return x - 2.0 * np.eye(x.shape[-1])


def _negative(x):
    y = x.copy()
    y[0] = -1.0
    return y


def _lowrank_fns():
    A_rect = {
        "svd": Arg("A", (2,), {"U": 0, "s": 1, "Vt": 0, "dense": 1}, sparse=True),
        "range": Arg("A", (2,), {"QQt": 0}, sparse=True),
        "dense": Arg("A", (2,), {"dense": 1}, sparse=True),
        "cur": Arg("A", (2,), {"col_idx": 0, "row_idx": 0, "C": 1, "R": 1, "dense": 1},
                   sparse=True),
    }
    common = (RNG, CHECK_FINITE, ENGINE)
    k_opt = int_opt("k", 1, _N)
    out = [
        *(
            Fn("rsvd", lambda: nla.rsvd, variant,
               lambda rng, m=m, n=n: {"A": _lowrank(rng, m, n)}, (A_rect["svd"],),
               (k_opt, int_opt("oversample", 0), int_opt("n_iter", 0, strings=("str",)),
                *common),
               _fixed(k=_R, rng=SEED), lambda r: _svd_compare(r, _widen), _LOWRANK_COND)
            for variant, m, n in (("tall", _M, _N), ("wide", _N, _M))
        ),
        Fn("range_finder", lambda: nla.range_finder, "",
           lambda rng: {"A": _lowrank(rng, _M, _N)}, (A_rect["range"],),
           (int_opt("size", 1, _N), int_opt("n_iter", 0), *common),
           _fixed(size=_R, rng=SEED), lambda Q: {"QQt": _projector(Q, _widen)}, _LOWRANK_COND),
        *(
            Fn("nystrom", lambda: nla.nystrom, sketch,
               lambda rng: {"A": _lowrank(rng, _M, _N)}, (A_rect["dense"],),
               (k_opt, int_opt("oversample", 0, none=True), real_opt("rcond", 0.0, 1.0,
                high_open=True), str_opt("sketch"), *common),
               _fixed(k=_R, rng=SEED, sketch=sketch), lambda f: {"dense": _widen(f.to_dense())},
               _LOWRANK_COND, sparse_reference=sketch == "auto")
            for sketch in ("auto", "srht", "sparse_sign", "gaussian")
        ),
        Fn("nystrom_psd", lambda: nla.nystrom_psd, "",
           lambda rng: {"A": _psd(rng, _N)},
           (Arg("A", (2,), {"eigenvalues": 1, "dense": 1}, sparse=True,
                bool_values=_block_ones, int_values=_integer_psd,
                extra=MappingProxyType({"nonsymmetric": (_nonsymmetric, "raise"),
                                        "indefinite": (_indefinite, "raise")})),),
           (k_opt, int_opt("oversample", 0), *common),
           _fixed(k=_R, rng=SEED),
           lambda f: {"eigenvalues": _widen(f.eigenvalues), "dense": _widen(f.to_dense())},
           _LOWRANK_COND),
    ]
    cur_options = (k_opt, str_opt("method"), str_opt("core"), int_opt("oversample", 0),
                   int_opt("n_iter", 0, strings=("str",)), *common)
    weights = Arg("weights", (1,), 0, extra=MappingProxyType(
        {"negative": (_negative, "raise"), "length": (_drop_row, "raise")}))
    for method in ("deim", "qdeim", "qr", "leverage", "uniform", "deim-cross"):
        kw = {"method": "deim", "core": "cross"} if method == "deim-cross" else {"method": method}
        out.append(
            Fn("cur", lambda: nla.cur, method, lambda rng: {"A": _lowrank(rng, _M, _N)},
               (A_rect["cur"],), cur_options, _fixed(k=_R, rng=SEED, **kw),
               lambda f: _cur_compare(f, _widen), _cur_condition,
               sparse_reference=method == "qr")
        )
    for method in ("deim", "uniform"):
        out.append(
            Fn("cur", lambda: nla.cur, method + "+weights",
               lambda rng: {"A": _lowrank(rng, _M, _N),
                            "weights": rng.uniform(0.5, 1.5, _N)},
               (A_rect["cur"], weights), (), _fixed(k=_R, method=method, rng=SEED),
               lambda f: _cur_compare(f, _widen), _cur_condition, sweep=("weights",))
        )
    pinv_args = (Arg("C", (2,), -1, extra=_COLS), Arg("R", (2,), -1, extra=_ROWS))
    for method in ("exact", "randomized"):
        out.append(
            Fn("pinv_cr", lambda: nla.pinv_cr, method,
               lambda rng: {
                   "C": with_singular_values(rng, 20, _R, np.logspace(0, -1, _R)),
                   "R": with_singular_values(rng, _R, 15, np.logspace(0, -1, _R)),
               },
               pinv_args,
               (str_opt("method"), RNG, real_opt("rcond", 0.0, 1.0, high_open=True),
                CHECK_FINITE, ENGINE),
               _fixed(method=method, rng=SEED), _one, _PINV_KAPPA**2)
        )
    return out


@functools.cache
def _factorizations():
    rng = np.random.default_rng(SEED)
    A, P = _lowrank(rng, _M, _N), _psd(rng, _N)
    return {
        "SVDResult": nla.rsvd(A, _R, rng=SEED),
        "LowRank": nla.nystrom(A, _R, rng=SEED),
        "NystromPSD": nla.nystrom_psd(P, _R, rng=SEED),
        "CUR": nla.cur(A, _R, rng=SEED),
    }


def _result_fns():
    return [
        Fn(f"{cls}.to_dense", lambda cls=cls: _factorizations()[cls].to_dense, compare=_one)
        for cls in ("SVDResult", "LowRank", "NystromPSD", "CUR")
    ]


# ------------------------------------------------------------------- matfun


def _singular(x):
    """PSD matrices of x's shape with one zero eigenvalue."""
    w, V = np.linalg.eigh(x)
    w[..., 0] = 0.0
    out = (V * w[..., None, :]) @ np.swapaxes(V, -1, -2)
    return (out + np.swapaxes(out, -1, -2)) / 2


def _eye_batch(x):
    return np.broadcast_to(np.eye(x.shape[-1], dtype=bool), x.shape).copy()


def _square_shape(x):
    return x[..., :-1, :-1]


_SPD_EXTRA = {"nonsymmetric": (_nonsymmetric, "raise"), "indefinite": (_indefinite, "raise")}

_MATFUN_OPTIONS = (
    str_opt("method"),
    degree_opt(),
    real_opt("tol", 0.0),
    int_opt("maxiter", 1),
    CHECK_FINITE,
    real_opt("sym_rtol", 0.0),
    ENGINE,
)
_VJP_OPTIONS = (
    str_opt("method"),
    real_opt("tol", 0.0),
    int_opt("maxiter", 1),
    CHECK_FINITE,
    real_opt("sym_rtol", 0.0),
    ENGINE,
)
_WITH_VJP_OPTIONS = (
    *_MATFUN_OPTIONS,
    str_opt("vjp_method", none=True),
    real_opt("vjp_tol", 0.0),
    int_opt("vjp_maxiter", 1),
)


def _spd_arg(inverse, degree):
    extra = dict(_SPD_EXTRA)
    if inverse:
        extra["singular"] = (_singular, "raise")
    return Arg("A", (2, None), degree, bool_values=_eye_batch,
               extra=MappingProxyType(extra))


def _with_vjp_target(name):
    def call(A, G, **kw):
        X, vjp = getattr(nla, f"{name}_with_vjp")(A, **kw)
        return {"X": X, "dA": vjp(G)}

    return lambda: call


def _root(name, inputs):
    A = inputs["A"]
    return {**inputs, ("X" if name == "sqrtm" else "Y"): getattr(nla, name)(A)}


def _matfun_fns():
    out = []
    G = Arg("G", (2, None), 1, extra=MappingProxyType({"shape": (_square_shape, "raise")}))
    for name, half in (("sqrtm", 0.5), ("inv_sqrtm", -0.5)):
        inverse = name == "inv_sqrtm"
        for m in ("eigh", "newton-schulz", "mpa", "mtp"):
            cond = _pade_condition(inverse) if m == "mpa" else _SPD_KAPPA
            out.append(
                Fn(name, lambda name=name: getattr(nla, name), m,
                   lambda rng: {"A": _spd_batch(rng)}, (_spd_arg(inverse, half),),
                   _MATFUN_OPTIONS, _fixed(method=m), _one, cond)
            )
        dA = half - 1.0  # the derivative of A**half has degree half - 1
        vjp = f"{name}_vjp"
        root = "Y" if inverse else "X"
        for m in ("eigh", "lyapunov"):
            out.append(
                Fn(vjp, lambda vjp=vjp: getattr(nla, vjp), m,
                   lambda rng: {"A": _spd_batch(rng), "G": _cotangent(rng)},
                   (_spd_arg(inverse, dA), G), _VJP_OPTIONS, _fixed(method=m), _one,
                   _SPD_KAPPA)
            )
            extra = {"indefinite": (_indefinite, "raise")} if m == "lyapunov" else {}
            out.append(
                Fn(vjp, lambda vjp=vjp: getattr(nla, vjp), f"{m}+{root}",
                   lambda rng, name=name: _root(
                       name, {"A": _spd_batch(rng), "G": _cotangent(rng)}),
                   (Arg("A", (2, None)), G,
                    Arg(root, (2, None), bool_values=_eye_batch,
                        extra=MappingProxyType(extra))),
                   (), _fixed(method=m), _one, _SPD_KAPPA, sweep=(root,))
            )
        for m, b in (("eigh", "eigh"), ("newton-schulz", "lyapunov"), ("mpa", "eigh"),
                     ("mtp", "lyapunov")):
            cond = _pade_condition(inverse) if m == "mpa" else _SPD_KAPPA
            out.append(
                Fn(f"{name}_with_vjp", _with_vjp_target(name), f"{m}/{b}",
                   lambda rng: {"A": _spd_batch(rng), "G": _cotangent(rng)},
                   (_spd_arg(inverse, {"X": half, "dA": dA}),
                    Arg("G", (2, None), {"X": 0, "dA": 1}, extra=G.extra)),
                   _WITH_VJP_OPTIONS, _fixed(method=m, vjp_method=b), _dict_parts, cond,
                   public=lambda name=name: getattr(nla, f"{name}_with_vjp"))
            )
    return out


def _torch_target(name):
    def make():
        from nla.matfun import torch as nla_torch

        return getattr(nla_torch, name)

    return make


def _torch_fns():
    forwarded = (degree_opt(), real_opt("tol", 0.0), int_opt("maxiter", 1), CHECK_FINITE,
                 real_opt("sym_rtol", 0.0), ENGINE, str_opt("vjp_method", none=True))
    return [
        Fn(f"matfun.torch.{name}", _torch_target(name), "",
           lambda rng: {"A": _spd_batch(rng)},
           (Arg("A", (2, None), half, bool_values=_eye_batch,
                extra=MappingProxyType(_SPD_EXTRA)),),
           (str_opt("method"), *forwarded), _fixed(), _one, _SPD_KAPPA,
           requires="nla.matfun.torch", torch=True)
        for name, half in (("sqrtm", 0.5), ("inv_sqrtm", -0.5))
    ]


#: every public function and method, by variant
FNS = [
    *_constructor_fns(),
    *_sketch_method_fns(),
    *_sketch_result_fns(),
    *_configuration_fns(),
    *_lstsq_fns(),
    *_lowrank_fns(),
    *_result_fns(),
    *_matfun_fns(),
    *_torch_fns(),
]

# Families may keep their rows beside their tests, in
# ``tests/<family>/bad_input_cases.py`` (a list ``FNS``).
for _mod in _family_module("bad_input_cases"):
    FNS += _mod.FNS

#: public names that take no argument to get wrong (beyond their OK cell)
NOT_CALLABLE = {
    "ConvergenceWarning": "a warning class",
    "__version__": "a string",
    **{
        name: "a record a function returns (the function's rows try its inputs)"
        for name in ("LstsqInfo", "KrylovInfo", "MLMCInfo", "SweepInfo", "Tuning", "TuningScore")
    },
    **{family: "a family's subpackage" for family in ("sketch", *nla._FAMILIES)},
}
