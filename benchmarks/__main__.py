"""``python -m benchmarks [family ...] [--quick] [--json FILE] [--plot DIR]``."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import platform
import sys
import time

import benchmarks
from benchmarks._harness import format_result, run_case


def _families():
    out = {}
    for info in pkgutil.iter_modules(benchmarks.__path__):
        if info.name.startswith("bench_"):
            mod = importlib.import_module(f"benchmarks.{info.name}")
            out[mod.FAMILY] = mod
    return dict(sorted(out.items()))


def main(argv=None):
    fams = _families()
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("family", nargs="*", help=f"families to run (default: all of {list(fams)})")
    p.add_argument("--quick", action="store_true", help="smaller workloads, fewer rounds")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--plot", metavar="DIR", help="write plots (families that have them)")
    args = p.parse_args(argv)
    unknown = [f for f in args.family if f not in fams]
    if unknown:
        p.error(f"unknown family {unknown}; choose from {list(fams)}")
    chosen = args.family or list(fams)
    import nla

    print(
        f"nla {nla.__version__} | python {platform.python_version()} | "
        f"engines {nla.available_engines()} | {'quick' if args.quick else 'full'} run"
    )
    try:
        from threadpoolctl import threadpool_info

        blas = {(i.get("internal_api"), i.get("num_threads")) for i in threadpool_info()}
        print(f"thread pools: {sorted(blas, key=str)}")
    except ImportError:  # pragma: no cover
        pass
    all_results = []
    t0 = time.perf_counter()
    for fam in chosen:
        mod = fams[fam]
        for case in mod.cases(args.quick):
            res = run_case(case, quick=args.quick)
            print(format_result(res), flush=True)
            all_results.append(res)
        if args.plot and hasattr(mod, "plot"):
            mod.plot(args.plot, args.quick)
    print(f"total benchmark time {time.perf_counter() - t0:.1f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(all_results, fh, indent=2, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
