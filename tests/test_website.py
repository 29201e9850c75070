"""Build the website from the current sources (-W -n: warnings are errors), then check every page:
sizes, no solutions, no CDN, and in a real browser (Debian's Chromium driven by Playwright): math
typeset, figures loaded, explorers rendered, no console errors, no request leaving 127.0.0.1.
"""

import functools
import html
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from lectures_lib.grading.release import SOLUTION_TAG, strip_solutions

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
MAX_PAGE_BYTES = 2_000_000


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The website, built into a fresh folder (fresh execution cache) with warnings as errors."""
    out = tmp_path_factory.mktemp("book")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    return out / "_build" / "html"


def _pages(site: Path) -> list[Path]:
    skip = {"genindex.html", "search.html"}
    return sorted(p for p in site.rglob("*.html") if p.name not in skip and "_static" not in p.parts
                  and p.name != "index.html")


def _solution_lines() -> list[str]:
    lines = []
    for source in (ROOT / "notebooks" / "exercises" / "source").glob("*.ipynb"):
        for cell in nbformat.read(source, as_version=4).cells:
            tags = cell.metadata.get("tags", [])
            if SOLUTION_TAG in tags:
                lines += strip_solutions(cell.source)[1]
            elif "hidden-test" in tags:
                lines += cell.source.splitlines()
    return [line.strip() for line in lines if len(line.strip()) >= 8]


def _visible_text(page: Path) -> str:
    text = re.sub(r"<[^>]+>", "", page.read_text())
    return html.unescape(text)


def test_every_toc_page_is_built(site):
    for name in ("book/intro", "book/bibliography", "notebooks/00_power_laws", "notebooks/01_kaplan",
                 "notebooks/exercises/00_power_laws", "notebooks/exercises/01_kaplan", "book/instructors",
                 "notebooks/02_chinchilla", "notebooks/exercises/02_chinchilla",
                 "notebooks/03_chinchilla_trap", "notebooks/exercises/03_chinchilla_trap"):
        assert (site / f"{name}.html").is_file(), name
    assert not (site / "notebooks" / "exercises" / "source").exists(), "instructor sources were published"


def test_no_solution_on_the_website(site):
    lines = _solution_lines()
    assert lines
    for page in site.rglob("*.html"):
        text = _visible_text(page)
        if "notebooks" in page.parts:  # the instructors' page documents the markers themselves
            assert "BEGIN SOLUTION" not in text, page
        for line in lines:
            assert line not in text, f"{page.relative_to(site)} shows a solution line: {line!r}"
    for notebook in (site / "_sources").rglob("*.ipynb"):
        raw = notebook.read_text()
        assert "BEGIN SOLUTION" not in raw and "hidden-test" not in raw, notebook


def test_no_cdn_in_any_page(site):
    pattern = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*?(?:src|href)=["'](https?:)?//""", re.I)
    for page in site.rglob("*.html"):
        match = pattern.search(page.read_text())
        assert match is None, f"{page.relative_to(site)} loads {match.group(0)!r}"


def test_page_weight(site):
    for page in _pages(site):
        text = page.read_text()
        images = re.findall(r'<img[^>]+src="([^"]+)"', text)
        size = page.stat().st_size + sum((page.parent / src).stat().st_size for src in images
                                         if not src.startswith("data:"))
        assert size < MAX_PAGE_BYTES, f"{page.relative_to(site)}: {size / 1e6:.2f} MB"


# -- in a real browser ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.is_file(), (
        f"{CHROMIUM} not found: install Debian's chromium (`apt-get install chromium`, as .ci/run does)"
    )
    assert shutil.which("chromium") or CHROMIUM.is_file()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield chromium
        chromium.close()


def test_every_page_in_the_browser(site, server, browser):
    pages = _pages(site)
    assert len(pages) >= 7
    problems = []
    for page_path in pages:
        url = f"{server}/{page_path.relative_to(site).as_posix()}"
        page = browser.new_page()
        events: list[str] = []
        page.on("console", lambda m, e=events: e.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda err, e=events: e.append(f"page error: {err}"))
        page.on("requestfailed", lambda r, e=events: e.append(f"failed request: {r.url}"))
        page.on("response", lambda r, e=events: e.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)

        def outside(request, e=events):
            if not (request.url.startswith(server) or request.url.startswith(("data:", f"blob:{server}"))):
                e.append(f"request left 127.0.0.1: {request.url}")

        page.on("request", outside)
        page.goto(url)
        page.wait_for_load_state("networkidle")
        source = page_path.read_text()
        if 'class="math' in source:
            page.wait_for_function("document.querySelectorAll('mjx-container').length > 0", timeout=15000)
            raw = page.evaluate("document.querySelectorAll('span.math:not(:has(mjx-container)),"
                                " div.math:not(:has(mjx-container))').length")
            if raw:
                events.append(f"{raw} formulas left as raw TeX")
        broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
                               ".map(i => i.src)")
        events += [f"image not loaded: {src}" for src in broken]
        if "application/vnd.jupyter.widget-state+json" in source:
            page.wait_for_selector(".widget-slider", timeout=15000)
            shown = page.evaluate("[...document.querySelectorAll('.jupyter-widgets img')]"
                                  ".filter(i => i.naturalWidth > 0).length")
            if not shown:
                events.append("explorer rendered without its figure")
        page.wait_for_timeout(300)
        problems += [f"{page_path.relative_to(site)}: {event}" for event in events]
        page.close()
    assert not problems, "\n".join(problems)
