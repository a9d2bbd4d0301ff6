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


def _capability_directive():
    """``.. nla-capabilities:: [family]``: the backend capability table.

    Rendered from :mod:`nla._capabilities` at build time (see docs/backends.rst).
    """
    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective

    from nla import _capabilities

    class CapabilityTable(SphinxDirective):
        optional_arguments = 1

        def run(self):
            self.env.note_dependency(_capabilities.__file__)
            family = self.arguments[0] if self.arguments else None
            text = _capabilities.capability_table(family)
            container = nodes.container()
            lines = StringList(text.splitlines(), source="nla/_capabilities.py")
            self.state.nested_parse(lines, self.content_offset, container)
            return container.children

    return CapabilityTable


def setup(app):
    app.add_directive("nla-capabilities", _capability_directive())
