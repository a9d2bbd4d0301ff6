"""Timing harness: interleaved rounds after warm-up, medians, ratios, accuracy."""

from __future__ import annotations

import dataclasses
import gc
import statistics
import time
from typing import Callable


@dataclasses.dataclass
class Runner:
    """One competitor in a case.

    Parameters
    ----------
    name : str
        Label in the table (``"nla.fwht (numba)"``, ``"scipy.fft.fft"``).
    fn : callable
        Zero-argument callable doing the timed work and returning its result.
    ours : bool
        True for nla's own runners; ratios are ``ours / reference peer``.
    accuracy : callable, optional
        Maps the result to a dict of accuracy figures (``{"rel_err": ...}``);
        overrides the case's accuracy function.
    """

    name: str
    fn: Callable
    ours: bool = False
    accuracy: Callable | None = None


@dataclasses.dataclass
class Case:
    """A workload with competitors.

    ``reference`` names the peer that ratios are computed against (default:
    the first non-ours runner). ``accuracy`` maps a runner's result to a dict
    of figures printed beside the time.
    """

    family: str
    name: str
    runners: list
    accuracy: Callable | None = None
    reference: str | None = None
    rounds: int = 7
    notes: str = ""


def _timed(fn):
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run_case(case: Case, *, quick: bool = False) -> dict:
    """Warm up every runner, then time all of them interleaved round by round."""
    rounds = max(3, case.rounds // 2) if quick else case.rounds
    results = {}
    acc = {}
    for r in case.runners:  # warm-up (JIT compilation, caches, imports)
        _, out = _timed(r.fn)
        f = r.accuracy or case.accuracy
        acc[r.name] = f(out) if f is not None else {}
        results[r.name] = []
    for _ in range(rounds):
        for r in case.runners:
            t, out = _timed(r.fn)
            results[r.name].append(t)
            del out
    med = {name: statistics.median(ts) for name, ts in results.items()}
    ref = case.reference
    if ref is None:
        peers = [r.name for r in case.runners if not r.ours]
        ref = peers[0] if peers else None
    rows = []
    for r in case.runners:
        rows.append(
            {
                "runner": r.name,
                "ours": r.ours,
                "median_s": med[r.name],
                "min_s": min(results[r.name]),
                "ratio_vs_ref": (med[r.name] / med[ref]) if ref else None,
                "speedup_vs_ref": (med[ref] / med[r.name]) if ref else None,
                "accuracy": acc[r.name],
            }
        )
    return {
        "family": case.family,
        "case": case.name,
        "reference": ref,
        "rounds": rounds,
        "notes": case.notes,
        "rows": rows,
    }


def _fmt_acc(acc: dict) -> str:
    parts = []
    for k, v in acc.items():
        if isinstance(v, float):
            parts.append(f"{k}={v:.3g}")
        else:
            parts.append(f"{k}={v}")
    return " ".join(parts)


def format_result(res: dict) -> str:
    """A plain-text table for one case."""
    lines = [f"== {res['family']}: {res['case']}  (median of {res['rounds']} rounds)"]
    if res["notes"]:
        lines.append(f"   {res['notes']}")
    width = max(len(r["runner"]) for r in res["rows"]) + 2
    lines.append(
        f"   {'runner'.ljust(width)}{'median':>11}{'vs ' + str(res['reference']):>{14}}   accuracy"
    )
    for r in res["rows"]:
        ratio = r["speedup_vs_ref"]
        rs = f"{ratio:8.2f}x" if ratio is not None else "      -"
        mark = "*" if r["ours"] else " "
        lines.append(
            f" {mark} {r['runner'].ljust(width)}{r['median_s'] * 1e3:9.2f}ms{rs:>14}"
            f"   {_fmt_acc(r['accuracy'])}"
        )
    lines.append("   (* = nla; 'vs' column: reference time / runner time, >1 means faster)")
    return "\n".join(lines)
