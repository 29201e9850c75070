"""Static checks of the book's sources: table of contents, notebooks, citations."""

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml
from support import toc_chapters, toc_files

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = toc_chapters()


def test_every_toc_entry_exists():
    for entry in toc_files():
        matches = [p for p in (ROOT / f"{entry}.md", ROOT / f"{entry}.ipynb") if p.is_file()]
        assert matches, f"_toc.yml lists {entry}, which does not exist"


def test_every_notebook_is_in_the_toc_except_exercise_sources():
    listed = set(toc_files())
    for path in (ROOT / "notebooks").rglob("*.ipynb"):
        rel = path.relative_to(ROOT).with_suffix("").as_posix()
        if "exercises/source" in rel or ".ipynb_checkpoints" in rel:
            assert rel not in listed, f"{rel} is an instructor source with solutions: never publish it"
        else:
            assert rel in listed, f"{rel} is not in _toc.yml"


def test_only_toc_files_are_built():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["only_build_toc_files"] is True


def test_every_chapter_has_an_exercise_notebook():
    assert CHAPTERS, "_toc.yml lists no chapter under notebooks/"
    listed = set(toc_files())
    for chapter in CHAPTERS:
        assert chapter.is_file(), f"{chapter.relative_to(ROOT)}: a chapter is a notebook"
        assert f"notebooks/exercises/{chapter.stem}" in listed, f"{chapter.name} has no exercise notebook in _toc.yml"


def test_every_explorer_is_shown_in_its_chapter():
    from lectures_lib.explorers import EXPLORERS

    chapters = {chapter.stem: chapter for chapter in CHAPTERS}
    for name, explorer in EXPLORERS.items():
        assert explorer.chapter in chapters, f"{name} belongs to {explorer.chapter}, which is not a chapter in _toc.yml"
        sources = [c.source for c in nbformat.read(chapters[explorer.chapter], as_version=4).cells
                   if c.cell_type == "code"]
        for function in (explorer.explore, explorer.plot):
            assert any(f"{function.__name__}(" in source for source in sources), \
                f"{explorer.chapter} never calls {function.__name__}"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").rglob("*.ipynb")),
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_committed_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: cell {cell.id} has outputs"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_pattern(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    visible = [c for c in code if "remove-cell" not in c.metadata.get("tags", [])]
    assert "lectures_lib" in visible[0].source, "the setup cell imports lectures_lib"
    checks = [c for c in code if "assert" in c.source and "remove-cell" in c.metadata.get("tags", [])]
    assert checks, "a chapter pins the numbers its prose states in a check cell tagged remove-cell"
    for cell in code:
        if "plt.show()" in cell.source:
            figure = cell.metadata.get("mystnb", {}).get("figure", {})
            assert figure.get("caption"), f"figure cell {cell.id} needs a caption"
            assert cell.metadata.get("mystnb", {}).get("image", {}).get("alt"), f"figure cell {cell.id} needs alt text"
    assert "Takeaways" in nb.cells[-1].source


def _citation_keys(text: str) -> set[str]:
    keys = set()
    for group in re.findall(r"\{cite:[pt]\}`([^`]+)`", text):
        keys.update(k.strip() for k in group.split(","))
    return keys


def test_every_citation_is_in_the_bibliography():
    bib = set(re.findall(r"@\w+\{(\w+),", (ROOT / "book" / "references.bib").read_text()))
    used = set()
    for path in list((ROOT / "book").glob("*.md")) + list((ROOT / "notebooks").rglob("*.ipynb")):
        text = path.read_text()
        if path.suffix == ".ipynb":
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
        used |= _citation_keys(text)
    assert used, "no citations found"
    assert used <= bib, f"cited but not in references.bib: {used - bib}"


def test_library_names_on_the_prose_pages_exist():
    # the prose pages are not executed: a constant renamed in lectures_lib must not leave a stale name there
    import importlib
    import pkgutil

    import lectures_lib

    modules = [importlib.import_module(f"lectures_lib.{m.name}") for m in pkgutil.iter_modules(lectures_lib.__path__)]
    # names the exercise notebooks define themselves (STUDENT_ID), not the library
    sources = (ROOT / "notebooks" / "exercises" / "source").glob("*.ipynb")
    notebook_names = {name for path in sources for name in re.findall(r"^([A-Z][A-Z0-9_]{3,}) = ", "\n".join(
        "".join(c["source"]) for c in json.loads(path.read_text())["cells"]), re.MULTILINE)}
    assert "STUDENT_ID" in notebook_names
    for page in sorted((ROOT / "book").glob("*.md")):
        text = page.read_text()
        for dotted in re.findall(r"`(lectures_lib(?:\.\w+)+)`", text):
            parts = dotted.split(".")
            target = importlib.import_module(".".join(parts[:2]))
            for part in parts[2:]:
                assert hasattr(target, part), f"{page.name} names {dotted}, which lectures_lib does not have"
                target = getattr(target, part)
        for name in set(re.findall(r"`([A-Z][A-Z0-9_]{3,})`", text)) - notebook_names:
            assert any(hasattr(m, name) for m in modules), f"{page.name} names {name}, which lectures_lib does not have"


def test_every_exercise_has_a_worked_solutions_page_in_the_toc():
    from lectures_lib.grading.solutions import SOLUTIONS_FOLDER, solution_pages, stale_pages

    sources = ROOT / "notebooks" / "exercises" / "source"
    pages = solution_pages(sources, ROOT / SOLUTIONS_FOLDER)
    assert len(pages) == len(list(sources.glob("*.ipynb"))) > 0
    assert stale_pages(pages) == [], "run `make release` to rewrite the worked-solution pages"
    listed = set(toc_files())
    for path in pages:
        assert path.relative_to(ROOT).with_suffix("").as_posix() in listed, f"{path.name} is not in _toc.yml"


def test_solutions_can_be_withheld(tmp_path):
    """With course_publish_solutions false, a solutions page is published as a notice with no solution line."""
    import importlib.util
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location("course_book", ROOT / "book" / "_ext" / "course_book.py")
    extension = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extension)
    page = (ROOT / "notebooks" / "exercises" / "solutions" / "00_power_laws.md").read_text()
    for publish, kept in ((True, True), (False, False)):
        source = [page]
        app = SimpleNamespace(config=SimpleNamespace(course_publish_solutions=publish))
        extension._withhold_solutions(app, "notebooks/exercises/solutions/00_power_laws", source)
        assert (source[0] == page) is kept and (":class: dropdown" in source[0]) is kept
    other = ["# a chapter"]
    extension._withhold_solutions(SimpleNamespace(config=SimpleNamespace(course_publish_solutions=False)),
                                  "notebooks/00_power_laws", other)
    assert other == ["# a chapter"]


def test_visible_code_fits_the_page():
    # the code column of the website holds about 77 characters at 1280 px: a longer line is cut off
    hidden = {"remove-cell", "hide-input", "remove-input"}
    too_long = []
    for path in toc_chapters():
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code" or hidden & set(cell["metadata"].get("tags", [])):
                continue
            too_long += [f"{path.name} {cell.get('id')}: {line}" for line in "".join(cell["source"]).splitlines()
                         if len(line) > 77]
    assert not too_long, "\n".join(too_long)


# -- the map of the lecture -------------------------------------------------------------------------
#: The slide titles of the lecture, in order (CI also checks each against the lecture text itself).
LECTURE_SLIDES = (
    "Scaling Laws and Model Efficiency", "What Are Scaling Laws?", "Observations from Scaling Laws",
    "Key Question", "Model efficiency", "Kaplan Scaling Laws (2020)", "Chinchilla Scaling Laws (DeepMind, 2022)",
    "The Chinchilla Trap", "Scaling Test-Time Compute (2024–2025)", "New Types of Scaling Laws",
    "Modern Efficiency Techniques", "Real World Example: LLaMA-3 Scaling", "Challenges in Modern Scaling",
    "Future of LLM Scaling Beyond 2025", "Take-away points",
)
_PLACE = re.compile(r"\{doc\}`[^`<]*<([^`>]+)>`,\s*\*([^*]+)\*")


def _headings(page: str) -> set[str]:
    path = (ROOT / "book" / page).resolve()
    if path.with_suffix(".ipynb").is_file():
        cells = nbformat.read(path.with_suffix(".ipynb"), as_version=4).cells
        text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    else:
        text = path.with_suffix(".md").read_text()
    return {line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")}


def test_the_lecture_map_covers_every_slide_with_sections_that_exist():
    text = (ROOT / "book" / "lecture_map.md").read_text()
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| ") and not line.startswith("| Slide")]
    slides = tuple(row[0].removeprefix("| ").strip() for row in rows)
    assert slides == LECTURE_SLIDES
    assert "@" not in text, "a placeholder is left in the lecture map"
    places = _PLACE.findall(text)
    for row in rows:
        assert _PLACE.search(row[-1]), f"slide {row[0]!r} names no chapter section"
    for page, section in places:
        assert section in _headings(page), f"{page} has no section {section!r}"
    assert {page for page, _ in places} >= {f"../{c.relative_to(ROOT).with_suffix('').as_posix()}" for c in CHAPTERS}, \
        "every chapter appears in the lecture map"
