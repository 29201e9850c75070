"""Sphinx tweaks of the course book: every page works offline and loads without console errors.

1. Offline assets. Serve MathJax, RequireJS and the Jupyter widget manager from the book itself.

By default Sphinx and MyST-NB load these from CDNs, so a reader without network access sees raw
TeX and empty widget areas. ``make vendor`` unpacks pinned npm packages into ``_vendor/static``;
this extension adds that folder to ``html_static_path`` (it is copied to ``_build/html/_static``),
points ``mathjax_path`` and ``nb_ipywidgets_js`` at the copies, and stops the build with a clear
message when the folder is missing, instead of quietly falling back to a CDN.

The folder is not ``_static/`` at the book root on purpose: Jupyter Book injects every ``.js``
file found there into every page.

2. Explorers that work without a kernel. The build sets ``LECTURES_LIB_EXPLORERS=static`` in its own
environment, which the kernels that execute the chapters inherit; ``lectures_lib.explorers`` then
renders one frame per slider position and links sliders to frames in the browser (see
``lectures_lib/explorers/core.py``). Jupyter and nbval do not set it, so there the explorers compute
live.

3. No Thebe. The book does not offer live code on its pages (the launch buttons open Binder or
Colab instead), but Jupyter Book always loads sphinx-thebe, which declares its configuration twice
on every page (a console error) and names a CDN. Its scripts are dropped from each page.
"""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError

VENDOR_STATIC = Path("_vendor") / "static"
REQUIRED = (
    "vendor/mathjax/es5/tex-mml-chtml.js",
    "vendor/require.js",
    "vendor/html-manager/dist/embed-amd.js",
    "vendor/widgets-offline.js",
)


def _configure(app: Sphinx, config: Config) -> None:
    os.environ["LECTURES_LIB_EXPLORERS"] = "static"
    static = Path(app.confdir) / VENDOR_STATIC
    missing = [name for name in REQUIRED if not (static / name).is_file()]
    if missing:
        raise ConfigError(
            "offline assets are missing from _vendor/static: " + ", ".join(missing)
            + ". Run `make vendor` (or `make book`, which runs it) to fetch the pinned copies from npm."
        )
    config.html_static_path = [*config.html_static_path, str(static)]
    config.mathjax_path = "vendor/mathjax/es5/tex-mml-chtml.js"
    # Order matters: the shim sets the asset path and the local module base before the manager loads.
    config.nb_ipywidgets_js = {
        "vendor/widgets-offline.js": {},
        "vendor/require.js": {},
        "vendor/html-manager/dist/embed-amd.js": {},
    }


def _drop_thebe(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: object) -> None:
    scripts = context.get("script_files")
    if scripts is None:
        return
    context["script_files"] = [
        script for script in scripts
        if "sphinx-thebe" not in str(script)
        and "THEBE_JS_URL" not in str(getattr(script, "attributes", {}).get("body", ""))
    ]


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _configure, priority=100)
    app.connect("html-page-context", _drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
