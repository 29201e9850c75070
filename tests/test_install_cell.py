"""The hidden install cell that opens every notebook: written from _config.yml, inert where the library is."""

import importlib.util
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement

from lectures_lib.grading.release import install_cell_source, refresh_install_cells, repository_url

ROOT = Path(__file__).resolve().parents[1]
URL = repository_url(ROOT / "_config.yml")
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))


def test_the_url_is_the_configured_one():
    assert URL.startswith("https://") and URL in (ROOT / "_config.yml").read_text()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_notebook_opens_with_the_install_cell(path):
    first_code = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert first_code.source == install_cell_source(URL), "run `make release` to rewrite the install cells"
    assert first_code.metadata.get("tags") == ["remove-cell"]  # hidden on the website


def _run_cell(monkeypatch, library_present: bool) -> list:
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda args, **kwargs: calls.append((args, kwargs)))
    if not library_present:
        real = importlib.util.find_spec
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a: None if name == "lectures_lib" else real(name, *a))
    exec(install_cell_source(URL), {})
    return calls


def test_the_cell_does_nothing_where_the_library_is_installed(monkeypatch):
    assert _run_cell(monkeypatch, library_present=True) == []


def test_the_cell_installs_the_library_from_the_repository_when_it_is_missing(monkeypatch):
    [(args, kwargs)] = _run_cell(monkeypatch, library_present=False)
    assert args[1:4] == ["-m", "pip", "install"] and kwargs == {"check": True}
    requirement = Requirement(args[-1])
    assert requirement.name == "lectures_lib" and requirement.url == f"git+{URL}"
    assert "course" in requirement.extras  # the explorers' widgets and the progress bars come with it


def test_a_new_url_makes_every_install_cell_stale(tmp_path):
    copies = []
    for path in NOTEBOOKS[:2]:
        copies.append(tmp_path / path.name)
        shutil.copy(path, copies[-1])
    assert refresh_install_cells(copies, URL, write=False) == []
    fork = "https://github.com/someone/fork"
    assert refresh_install_cells(copies, fork, write=False) == copies
    refresh_install_cells(copies, fork)
    assert all(f"git+{fork}" in path.read_text() for path in copies)
    assert refresh_install_cells(copies, fork, write=False) == []


def test_repository_url_needs_the_key(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("title: x\nrepository:\n  branch: main\n")
    with pytest.raises(ValueError, match="repository.url"):
        repository_url(config)
    config.write_text("repository:\n  url: http://insecure.example\n")
    with pytest.raises(ValueError, match="https"):
        install_cell_source(repository_url(config))
