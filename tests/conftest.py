"""Shared fixtures and Hypothesis profiles.

``NLA_HYPOTHESIS_PROFILE`` selects the profile: ``ci`` (the default:
derandomized, no deadline, modest example counts, so a run is repeatable) or
``thorough`` (many more random examples, for local runs).
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import nla

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=25,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=400,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("NLA_HYPOTHESIS_PROFILE", "ci"))

CPU_ENGINES = tuple(e for e in nla.available_engines() if e != "cupy")


@pytest.fixture(params=CPU_ENGINES, scope="session")
def engine(request):
    """Every installed CPU engine ("numpy", and "numba" when importable)."""
    return request.param


def _namespaces():
    out = [pytest.param("numpy", id="numpy")]
    try:
        import array_api_strict  # noqa: F401

        out.append(pytest.param("array_api_strict", id="array_api_strict"))
    except ImportError:  # pragma: no cover
        out.append(
            pytest.param(
                "array_api_strict",
                id="array_api_strict",
                marks=pytest.mark.skip(reason="array_api_strict not installed"),
            )
        )
    gpu = "cupy" in nla.available_engines()
    out.append(
        pytest.param(
            "cupy",
            id="cupy",
            marks=pytest.mark.skipif(not gpu, reason="no usable GPU / CuPy"),
        )
    )
    return out


@pytest.fixture(params=_namespaces(), scope="session")
def xp(request):
    """Array namespaces: numpy, array_api_strict, and cupy where a GPU exists."""
    name = request.param
    if name == "numpy":
        return np
    if name == "array_api_strict":
        import array_api_strict

        return array_api_strict
    import cupy  # pragma: no cover

    return cupy  # pragma: no cover
