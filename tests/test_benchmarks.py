"""Smoke tests of the benchmark harness (no timing assertions)."""

import json

import pytest

from benchmarks import __main__ as bench_main
from benchmarks._harness import Case, Runner, format_result, run_case


def test_run_case_and_table():
    calls = {"a": 0, "b": 0}

    def a():
        calls["a"] += 1
        return 1.0

    def b():
        calls["b"] += 1
        return 2.0

    case = Case(
        "demo",
        "tiny",
        [Runner("peer", a), Runner("ours", b, ours=True)],
        accuracy=lambda out: {"value": out},
        rounds=3,
    )
    res = run_case(case)
    # one warm-up call plus one call per round, interleaved
    assert calls == {"a": 4, "b": 4}
    assert res["reference"] == "peer"
    rows = {r["runner"]: r for r in res["rows"]}
    assert rows["ours"]["accuracy"] == {"value": 2.0}
    assert rows["peer"]["ratio_vs_ref"] == 1.0
    text = format_result(res)
    assert "demo: tiny" in text and "* ours" in text
    json.dumps(res)


def test_every_family_module_is_well_formed():
    fams = bench_main._families()
    assert "sketch" in fams
    for name, mod in fams.items():
        assert mod.FAMILY == name
        assert callable(mod.cases)


def test_cli_rejects_unknown_family(capsys):
    with pytest.raises(SystemExit):
        bench_main.main(["no-such-family"])
    assert "unknown family" in capsys.readouterr().err
