"""The README's tour runs as written."""

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.skipif(not README.exists(), reason="README.md not beside the tests")
def test_readme_tour_runs():
    text = README.read_text(encoding="utf-8")
    m = re.search(r"## A short tour\n\n```python\n(.*?)```", text, re.S)
    assert m is not None, "the README lost its tour"
    ns = {}
    exec(compile(m.group(1), "README.md", "exec"), ns)
    assert ns["x"].shape == (200,)
    assert ns["Y"].shape == ns["dA"].shape == (64, 48, 48)
