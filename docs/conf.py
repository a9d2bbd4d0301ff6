"""Sphinx configuration for the nla documentation."""

import os

import nla

project = "nla"
author = "The nla developers"
version = release = nla.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
]
autosummary_generate = True
numpydoc_show_class_members = False
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "scipy": ("https://docs.scipy.org/doc/scipy", None),
}
if os.environ.get("NLA_DOCS_OFFLINE"):
    # CI builds without network access: no cross-project links
    intersphinx_mapping = {}
html_theme = "pydata_sphinx_theme"
exclude_patterns = ["_build"]
