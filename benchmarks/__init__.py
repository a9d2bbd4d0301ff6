"""Side-by-side benchmarks of nla against its peers: ``python -m benchmarks``.

Every family has a module ``benchmarks/bench_<family>.py`` that defines
``FAMILY`` (its name on the command line) and ``cases(quick)`` returning a
list of :class:`benchmarks._harness.Case`. A case holds the competitors
(ours and the peers) as callables plus an accuracy function; the harness warms
every competitor up (Numba compiles outside the timed region), then times them
interleaved, round after round, and prints medians, ratios against the
reference peer and the accuracy each run reached.
"""
