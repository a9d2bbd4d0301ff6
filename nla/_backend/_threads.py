"""A process-wide BLAS thread limit that concurrent callers can share.

threadpoolctl's limits are process-wide: two threads that each enter
``ThreadpoolController().limit(...)`` and leave in the other order restore
each other's saved value, and the process is left at the limit. Here one
reference count guards the limit: the first caller to enter saves the
pools' thread counts and sets the limit, the last to leave restores exactly
what was saved.
"""

from __future__ import annotations

import contextlib
import threading

__all__ = ["single_blas_thread"]

_lock = threading.Lock()
_state = {"depth": 0, "limiter": None, "controller": None}


def _controller():
    if _state["controller"] is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - a dependency
            _state["controller"] = False
        else:
            _state["controller"] = ThreadpoolController()
    return _state["controller"]


@contextlib.contextmanager
def single_blas_thread():
    """Run the block with one BLAS thread, restoring the pools exactly after.

    While any thread is inside such a block, every BLAS call in the process
    runs single-threaded (the limit is process-wide, as BLAS thread pools
    are); when the last block ends the thread counts are restored to what
    they were when the first one began.
    """
    with _lock:
        if _state["depth"] == 0:
            ctl = _controller()
            _state["limiter"] = (
                ctl.limit(limits=1, user_api="blas") if ctl else None
            )
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0 and _state["limiter"] is not None:
                _state["limiter"].restore_original_limits()
                _state["limiter"] = None
