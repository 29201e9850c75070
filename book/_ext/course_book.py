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

Explorers at any width: ``book/_static/course.css`` (added to every page) lets an explorer's controls
shrink with the column, so on a 400 px screen the slider and its readout stay visible.

3. No Thebe. The book does not offer live code on its pages (the launch buttons open Binder or
Colab instead), but Jupyter Book always loads sphinx-thebe, which declares its configuration twice
on every page (a console error) and names a CDN. Its scripts are dropped from each page.

4. Worked solutions on a switch. ``make release`` writes a worked-solutions page per exercise
(``notebooks/exercises/solutions/``, see ``lectures_lib/grading/solutions.py``). With
``course_publish_solutions: false`` under ``sphinx: config:`` in ``_config.yml``, each of those pages is
published as a short notice instead, for a course whose exercises are graded.

5. Chapters follow the library. MyST-NB's execution cache (jupyter-cache, in ``_build/.jupyter_cache``)
recognises a notebook by its code cells only, and Sphinx re-reads a page only when its source file
changed, so after an edit to ``lectures_lib`` alone a build would keep showing the old outputs. This
extension gives every notebook a fingerprint: a SHA-256 over the ``lectures_lib`` modules it imports,
followed transitively by parsing the sources with ``ast`` (an import of ``lectures_lib.a.b`` also
counts the packages ``lectures_lib`` and ``lectures_lib.a``, whose ``__init__`` runs first). A cell
that does not parse, or a dynamic import the parser cannot follow, makes the notebook depend on every
module. Before Sphinx reads any page (``env-get-outdated``):

- cache records are checked against ``lectures_lib_fingerprints.json`` inside the cache folder, which
  holds the fingerprint each notebook had when its records were made; a record whose notebook now has
  another fingerprint (or that the file does not vouch for) is deleted, then the file is rewritten
  with the current fingerprints, so any record made during this build is vouched for by it;
- the Sphinx environment remembers the fingerprint each notebook page was read with, and every page
  whose fingerprint differs is returned for re-reading; MyST-NB then finds no valid record and
  executes it again.

Notebooks that ``execute.exclude_patterns`` keeps from running (the student copies) are left alone.

The two records are kept apart on purpose: the cache one survives ``make rebuild`` and a deleted
environment, the environment one survives a build that stopped after the cache was pruned. With no
change to the library or the notebooks, nothing is re-read and nothing runs. Only ``.py`` files count;
the package ships no data files.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from pathlib import Path, PurePosixPath

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.errors import ConfigError
from sphinx.util import logging

logger = logging.getLogger(__name__)

VENDOR_STATIC = Path("_vendor") / "static"
#: The book's own static files (``course.css``: explorers that fit a 400 px column), added to every page.
BOOK_STATIC = Path(__file__).resolve().parent.parent / "_static"
BOOK_CSS = "course.css"
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
    config.html_static_path = [*config.html_static_path, str(static), str(BOOK_STATIC)]
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


LIBRARY = "lectures_lib"
CACHE_FINGERPRINTS = "lectures_lib_fingerprints.json"
ENV_FINGERPRINTS = "course_book_fingerprints"


class _Library:
    """The modules of ``lectures_lib`` under the book root, their imports, and notebook fingerprints."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: dict[str, Path] = {}
        package = root / LIBRARY
        for path in sorted(package.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            self.modules[name] = path
        self._deps: dict[str, frozenset[str]] = {}

    def _with_parents(self, name: str) -> set[str]:
        """``name`` and the packages above it, as far as they exist; a name that is an attribute of a
        module (``from lectures_lib.plotting import PALETTE``) resolves to that module."""
        while name and name not in self.modules:
            name = name.rpartition(".")[0]
        found = set()
        while name:
            if name in self.modules:
                found.add(name)
            name = name.rpartition(".")[0]
        return found

    def imports(self, tree: ast.AST, package: str = "") -> set[str] | None:
        """The library modules a parsed source imports directly; None when it imports the library in
        a way the parser cannot follow (``importlib``, ``__import__``)."""
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == LIBRARY:
                        found |= self._with_parents(alias.name)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    module = ".".join([*base, node.module] if node.module else base)
                else:
                    module = node.module or ""
                if module.split(".")[0] != LIBRARY:
                    continue
                found |= self._with_parents(module)
                for alias in node.names:
                    found |= self._with_parents(f"{module}.{alias.name}")
            elif (isinstance(node, ast.Call)
                  and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("import_module", "__import__")
                  and any(isinstance(arg, ast.Constant) and str(arg.value).startswith(LIBRARY)
                          for arg in node.args)):
                return None
        return found

    def closure(self, names: set[str] | None) -> set[str]:
        """Every library module that importing ``names`` runs (all of them for None)."""
        if names is None:
            return set(self.modules)
        seen: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if name not in self._deps:
                path = self.modules[name]
                package = name if path.name == "__init__.py" else name.rpartition(".")[0]
                try:
                    direct = self.imports(ast.parse(path.read_text(), str(path)), package)
                except SyntaxError:
                    direct = None
                self._deps[name] = frozenset(self.modules if direct is None else direct)
            todo.extend(self._deps[name] - seen)
        return seen

    def notebook_fingerprint(self, notebook: Path) -> str:
        """SHA-256 over the names and contents of the library modules the notebook's code imports."""
        cells = json.loads(notebook.read_text()).get("cells", [])
        names: set[str] | None = set()
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            source = "".join(cell.get("source", ""))
            # IPython magics and shell escapes are not Python; they never import the library.
            source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                               for line in source.splitlines())
            try:
                direct = self.imports(ast.parse(source))
            except SyntaxError:
                direct = None
            if direct is None:
                names = None
                break
            names |= direct
        digest = hashlib.sha256()
        for name in sorted(self.closure(names)):
            digest.update(name.encode() + b"\0" + self.modules[name].read_bytes() + b"\0")
        return digest.hexdigest()


def _notebooks(app: Sphinx, env: BuildEnvironment) -> dict[str, Path]:
    """Docname -> path of every notebook page MyST-NB may execute."""
    excluded = tuple(env.mystnb_config.execution_excludepatterns)
    found = {}
    for docname in sorted(env.found_docs):
        path = Path(env.doc2path(docname))
        if path.suffix == ".ipynb" and not any(PurePosixPath(path.as_posix()).match(p) for p in excluded):
            found[docname] = path
    return found


def _prune_cache(app: Sphinx, env: BuildEnvironment, fingerprints: dict[str, str]) -> None:
    """Delete the cached executions made with another version of the library (see point 4 above)."""
    if env.mystnb_config.execution_mode != "cache":
        return
    from jupyter_cache import get_cache

    cache_path = Path(env.mystnb_config.execution_cache_path)
    record_file = cache_path / CACHE_FINGERPRINTS
    try:
        vouched = json.loads(record_file.read_text())
    except (OSError, ValueError):
        vouched = {}
    cache = get_cache(str(cache_path))
    for record in cache.list_cache_records():
        uri = os.path.realpath(record.uri)
        current = fingerprints.get(uri)
        if current is None or vouched.get(uri) != current:
            name = os.path.relpath(record.uri, app.srcdir)
            logger.info(f"[course_book] lectures_lib changed since {name} was executed: dropping its cached outputs")
            try:
                cache.remove_cache(record.pk)
            except KeyError:  # the record's folder is already gone; drop the database row alone
                from jupyter_cache.cache.db import NbCacheRecord

                NbCacheRecord.remove_records([record.pk], cache.db)
    cache_path.mkdir(parents=True, exist_ok=True)
    record_file.write_text(json.dumps(fingerprints, indent=1, sort_keys=True) + "\n")


def _outdated(app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str],
              removed: set[str]) -> list[str]:
    library = _Library(Path(app.srcdir))
    notebooks = _notebooks(app, env)
    current = {docname: library.notebook_fingerprint(path) for docname, path in notebooks.items()}
    app.course_book_fingerprints = current  # read by _record_read while the pages are read
    _prune_cache(app, env, {os.path.realpath(notebooks[d]): fp for d, fp in current.items()})
    read_with = getattr(env, ENV_FINGERPRINTS, {})
    stale = sorted(d for d, fp in current.items() if d not in added and read_with.get(d) != fp)
    if stale:
        logger.info(f"[course_book] re-reading {len(stale)} notebook(s) whose lectures_lib imports changed: "
                    + ", ".join(stale))
    return stale


def _record_read(app: Sphinx, doctree: object) -> None:
    env = app.env
    fingerprint = getattr(app, "course_book_fingerprints", {}).get(env.docname)
    if fingerprint is not None:
        if not hasattr(env, ENV_FINGERPRINTS):
            setattr(env, ENV_FINGERPRINTS, {})
        getattr(env, ENV_FINGERPRINTS)[env.docname] = fingerprint


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    getattr(env, ENV_FINGERPRINTS, {}).pop(docname, None)


def _merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    if not hasattr(env, ENV_FINGERPRINTS):
        setattr(env, ENV_FINGERPRINTS, {})
    theirs = getattr(other, ENV_FINGERPRINTS, {})
    getattr(env, ENV_FINGERPRINTS).update({d: theirs[d] for d in docnames if d in theirs})


#: The worked-solution pages (written by ``make release`` from the instructor sources) and the switch that
#: publishes them: ``sphinx: config: course_publish_solutions`` in ``_config.yml``.
SOLUTIONS_PREFIX = "notebooks/exercises/solutions/"
SOLUTIONS_WITHHELD = (
    "# Worked solutions\n\n"
    "The worked solutions of this exercise are not published for this course: the exercises are graded. "
    "Ask your instructor about them once the exercise is closed.\n"
)


def _withhold_solutions(app: Sphinx, docname: str, source: list[str]) -> None:
    """With ``course_publish_solutions: false``, a solutions page is published as a short notice instead."""
    if docname.startswith(SOLUTIONS_PREFIX) and not app.config.course_publish_solutions:
        source[0] = SOLUTIONS_WITHHELD


def setup(app: Sphinx) -> dict:
    app.add_config_value("course_publish_solutions", True, "env", [bool])
    app.connect("source-read", _withhold_solutions)
    app.connect("config-inited", _configure, priority=100)
    app.connect("html-page-context", _drop_thebe)
    app.add_css_file(BOOK_CSS)
    app.connect("env-get-outdated", _outdated)
    app.connect("doctree-read", _record_read)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
