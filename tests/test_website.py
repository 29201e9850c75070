"""Build the website from the current sources (-W -n: warnings are errors), then check every page:
sizes, no solutions, no CDN, and in a real browser (Debian's Chromium driven by Playwright): math
typeset, figures loaded, explorers rendered, no console errors, no request leaving 127.0.0.1.
"""

import functools
import html
import http.server
import os
import re
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from support import toc_files

from lectures_lib.explorers import EXPLORERS
from lectures_lib.grading.release import solution_lines

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
MAX_PAGE_BYTES = 2_000_000
MAX_EXPLORER_FRAME_BYTES = 500_000
MAX_PAGE_FRAME_BYTES = 1_000_000


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
    """The page of every entry of _toc.yml."""
    return [site / f"{entry}.html" for entry in toc_files()]


def _solution_lines() -> list[str]:
    lines = []
    for source in (ROOT / "notebooks" / "exercises" / "source").glob("*.ipynb"):
        lines += solution_lines(nbformat.read(source, as_version=4))
    return [line for line in lines if len(line) >= 8]


def _visible_text(page: Path) -> str:
    text = re.sub(r"<[^>]+>", "", page.read_text())
    return html.unescape(text)


def test_every_toc_page_is_built_and_no_other(site):
    for page in _pages(site):
        assert page.is_file(), f"{page.relative_to(site)} is in _toc.yml but was not built"
    skip = {"genindex.html", "search.html", "index.html"}
    built = {p for p in site.rglob("*.html") if p.name not in skip and "_static" not in p.parts}
    extra = sorted(p.relative_to(site).as_posix() for p in built - set(_pages(site)))
    assert not extra, f"pages built that _toc.yml does not list: {extra}"
    assert not (site / "notebooks" / "exercises" / "source").exists(), "instructor sources were published"


def test_no_solution_on_the_website(site):
    lines = _solution_lines()
    assert lines
    for page in site.rglob("*.html"):
        if "solutions" in page.relative_to(site).parts:  # the worked solutions, folded: see the browser test
            continue
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


def test_explorer_frame_weight(site):
    import base64

    for page in _pages(site):
        text = page.read_text()
        state = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', text, re.S)
        if not state:
            continue
        frames = re.findall(r'data:image/png;base64,([A-Za-z0-9+/=]+)', state.group(1))
        sizes = [len(base64.b64decode(f)) for f in frames]
        assert sum(sizes) <= MAX_PAGE_FRAME_BYTES, f"{page.name}: {sum(sizes) / 1e3:.0f} kB of frames"
        name = page.relative_to(site).as_posix()
        explorers = sum(f"notebooks/{e.chapter}.html" == name for e in EXPLORERS.values())
        assert explorers, f"{name} has widgets but no explorer registered in lectures_lib.explorers.EXPLORERS"
        assert sum(sizes) <= MAX_EXPLORER_FRAME_BYTES * explorers, f"{name}: {sum(sizes) / 1e3:.0f} kB of frames"


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
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield chromium
        chromium.close()


_VISIBLE_FRAMES = ("el => [...el.querySelectorAll('img[data-frame]')].filter(i => i.offsetParent !== null)"
                   ".map(i => [i.dataset.frame, i.alt, i.naturalWidth])")
_CONTROL_STATE = ("el => [...el.querySelectorAll('.noUi-handle, select')].map(c => c.tagName === 'SELECT' ? "
                  "c.selectedIndex : Math.round(Number(c.getAttribute('aria-valuenow'))))")


def _frame_matches(explorer) -> str | None:
    """None if exactly one frame is visible, it is loaded, has alt text, and is the one for the controls."""
    visible = explorer.evaluate(_VISIBLE_FRAMES)
    if len(visible) != 1:
        return f"{len(visible)} frames visible"
    key, alt, width = visible[0]
    expected = ",".join(str(i) for i in explorer.evaluate(_CONTROL_STATE))
    if key != expected:
        return f"frame {key} shown for controls at {expected}"
    if not alt or not width:
        return f"frame {key} has no alt text or did not load"
    return None


def _exercise_explorer(page, explorer) -> list[str]:
    """Move every control of a static explorer by keyboard and by pointer; check the frame follows."""
    problems = []
    first = _frame_matches(explorer)
    if first:
        return [f"on load: {first}"]
    handles = explorer.locator(".noUi-handle")
    for h in range(handles.count()):
        handle = handles.nth(h)
        before = explorer.evaluate(_CONTROL_STATE)
        handle.focus()
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
        page.wait_for_timeout(150)
        if explorer.evaluate(_CONTROL_STATE) == before:
            problems.append(f"slider {h}: the keyboard did not move it")
        problem = _frame_matches(explorer)
        if problem:
            problems.append(f"slider {h}, keyboard: {problem}")
        track = explorer.locator(".noUi-target").nth(h).bounding_box()
        grip = handle.bounding_box()
        page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
        page.mouse.down()
        page.mouse.move(track["x"] + 2, grip["y"] + grip["height"] / 2, steps=6)
        page.mouse.up()
        page.wait_for_timeout(150)
        if handle.get_attribute("aria-valuenow") not in ("0", "0.0"):
            problems.append(f"slider {h}: dragging to the left end left it at {handle.get_attribute('aria-valuenow')}")
        problem = _frame_matches(explorer)
        if problem:
            problems.append(f"slider {h}, pointer: {problem}")
    selects = explorer.locator("select")
    for s in range(selects.count()):
        options = selects.nth(s).locator("option").count()
        selects.nth(s).select_option(index=options - 1)
        page.wait_for_timeout(150)
        problem = _frame_matches(explorer)
        if problem:
            problems.append(f"menu {s}: {problem}")
    return problems


def _solutions_folded(page, page_path: Path) -> list[str]:
    """On a worked-solutions page, every solution is folded until the reader opens it."""
    folds = page.locator(".admonition.dropdown")
    if folds.count() == 0:
        return ["a solutions page without folded solutions"]
    problems = []
    body = folds.first.locator("pre").first
    if body.is_visible():
        problems.append("a worked solution is visible before the reader opens it")
    folds.first.locator(".toggle-button, button").first.click()
    page.wait_for_timeout(400)
    if not body.is_visible():
        problems.append("a worked solution does not open when clicked")
    return problems


def test_every_page_in_the_browser(site, server, browser):
    pages = _pages(site)
    problems = []
    explorers_seen: Counter[str] = Counter()
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
        if "solutions" in page_path.relative_to(site).parts:
            events += _solutions_folded(page, page_path)
        if "application/vnd.jupyter.widget-state+json" in source:
            page.wait_for_selector(".lectures-explorer img[data-frame]", timeout=15000)
            explorers = page.locator(".lectures-explorer")
            for k in range(explorers.count()):
                events += [f"explorer {k}: {problem}" for problem in _exercise_explorer(page, explorers.nth(k))]
                explorers_seen[page_path.relative_to(site).as_posix()] += 1
        page.wait_for_timeout(300)
        problems += [f"{page_path.relative_to(site)}: {event}" for event in events]
        page.close()
    assert not problems, "\n".join(problems)
    for name, explorer in EXPLORERS.items():  # every registered explorer was found, and moved, on its page
        page = f"notebooks/{explorer.chapter}.html"
        expected = sum(e.chapter == explorer.chapter for e in EXPLORERS.values())
        assert explorers_seen[page] >= expected, f"{name}: {explorers_seen[page]} explorers found on {page}"
