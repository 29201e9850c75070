"""Static checks of the book's sources: table of contents, notebooks, citations, originality."""

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SHARED = ROOT.parent / "shared"


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", []))
    return files


def test_every_toc_entry_exists():
    for entry in _toc_files():
        matches = [p for p in (ROOT / f"{entry}.md", ROOT / f"{entry}.ipynb") if p.is_file()]
        assert matches, f"_toc.yml lists {entry}, which does not exist"


def test_every_notebook_is_in_the_toc_except_exercise_sources():
    listed = set(_toc_files())
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
    for chapter in CHAPTERS:
        assert (ROOT / "notebooks" / "exercises" / chapter.name).is_file(), chapter.name


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").rglob("*.ipynb")), ids=lambda p: p.name)
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
    checks = [c for c in code if "assert" in c.source]
    assert checks, "a chapter pins its headline numbers in a check cell"
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


def test_no_sentence_copied_from_the_lecture():
    tool = SHARED / "tools" / "originality.py"
    assert tool.is_file(), f"{tool} is missing: the shared folder must sit beside the repository"
    result = subprocess.run([sys.executable, str(tool), str(ROOT), str(SHARED / "lecture"), "--n", "10"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").rglob("*.ipynb")), ids=lambda p: p.name)
def test_colab_cell_installs_this_repository(path):
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    nb = nbformat.read(path, as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "google.colab" in first_code.source and f"git+{url}" in first_code.source
    assert "remove-cell" in first_code.metadata.get("tags", [])
