"""Sphinx configuration: MyST pages, myst-nb notebooks (jupytext percent sources), numpydoc API pages."""

from __future__ import annotations

import tomllib
from pathlib import Path

import bayesgeo

ROOT = Path(__file__).resolve().parents[1]

project = "bayesgeo"
author = "bayesgeo developers"
release = version = bayesgeo.__version__
extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.mathjax", "numpydoc"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
nb_custom_formats = {".py": ["jupytext.reads", {"fmt": "py:percent"}]}
nb_execution_mode = "cache"
nb_execution_timeout = 900
nb_execution_raise_on_error = True
nb_execution_cache_path = str(ROOT / "docs" / "_build" / ".jupyter_cache")
exclude_patterns = ["_build", "conf.py", "zoo_pictures.py", "notebooks/solutions", "**/__pycache__"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()
autodoc_typehints = "none"
html_theme = "furo"
html_title = f"bayesgeo {release}"
suppress_warnings = ["mystnb.unknown_mime_type"]


def write_zoo(_app=None) -> None:
    """Generate the model-zoo page from ``models/*.toml`` (header comment, picture when present, spec)."""
    lines = ["# Model zoo", "", "Ready-to-run specs in `models/`: `bayesgeo fit models/NAME.toml`.", ""]
    for path in sorted((ROOT / "models").glob("*.toml")):
        text = path.read_text()
        spec = tomllib.loads(text)
        about = " ".join(ln.lstrip("# ").strip() for ln in text.splitlines() if ln.startswith("#"))
        model = spec.get("model", {})
        head = f"`{model.get('case')}` / `{model.get('variant', '')}`"
        lines += [f"## {path.stem}", "", f"{head} — {about}", ""]
        picture = ROOT / "docs" / "images" / "zoo" / f"{path.stem}.png"
        if picture.is_file():
            lines += [f"![{path.stem}](images/zoo/{path.stem}.png)", ""]
        lines += ["```toml", text.strip(), "```", ""]
    target = ROOT / "docs" / "zoo.md"
    new = "\n".join(lines)
    if not target.is_file() or target.read_text() != new:
        target.write_text(new)


def setup(app):
    app.connect("builder-inited", write_zoo)
