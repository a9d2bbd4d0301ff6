"""Thread safety: concurrent calls give the single-threaded bits and leave
the process's BLAS thread pools as they found them."""

import threading

import numpy as np
import pytest

import nla

threadpoolctl = pytest.importorskip("threadpoolctl")


def _blas_threads():
    return sorted(
        (i["internal_api"], i["filepath"], i["num_threads"])
        for i in threadpoolctl.threadpool_info()
        if i["user_api"] == "blas"
    )


def _jobs():
    rng = np.random.default_rng(0)
    C = rng.standard_normal((16, 24, 40))
    batch = C @ np.swapaxes(C, -1, -2) / 40 + 0.1 * np.eye(24)
    A = rng.standard_normal((300, 80))
    b = rng.standard_normal(300)
    X = rng.standard_normal((64, 256))
    return {
        "sqrtm": lambda: nla.sqrtm(batch),
        "inv_sqrtm_vjp": lambda: nla.inv_sqrtm_vjp(batch, batch),
        "rsvd": lambda: np.concatenate([a.ravel() for a in nla.rsvd(A, 10, rng=1)]),
        "lstsq": lambda: nla.lstsq(A, b, rng=2),
        "fwht_numpy": lambda: nla.fwht(X, engine="numpy"),
        "fwht_auto": lambda: nla.fwht(X),
        "sparse_sign": lambda: nla.sketch.sparse_sign(256, 32, rng=3) @ X.T,
    }


def test_concurrent_calls_match_serial_and_restore_blas_threads():
    jobs = _jobs()
    before = _blas_threads()
    serial = {name: np.asarray(f()) for name, f in jobs.items()}
    assert _blas_threads() == before
    names = list(jobs) * 4
    results, errors = {}, []
    barrier = threading.Barrier(4)

    def worker(t):
        try:
            barrier.wait()
            for i, name in enumerate(names[t::4] + names[: t + 1]):
                results[(t, i, name)] = np.asarray(jobs[name]())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    # the pools are back to what they were, not left at one thread
    assert _blas_threads() == before
    # bitwise: nla's kernels and OpenBLAS's products split work by output
    # blocks, so the sums are formed in the same order whatever runs beside
    for (_, _, name), got in results.items():
        np.testing.assert_array_equal(got, serial[name], err_msg=name)
    # and a later call gives the serial bits again
    for name, f in jobs.items():
        np.testing.assert_array_equal(np.asarray(f()), serial[name], err_msg=name)
