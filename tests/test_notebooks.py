"""The chapters as files: in the table of contents, committed clean, installable on Colab, well
formed.

nbval (`pytest --nbval-lax book`) executes them; the strict book build is in test_book_build.py.
"""

import re
import unittest.mock
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def read(path):
    return nbformat.read(path, as_version=4)


def test_every_chapter_is_in_the_toc_and_every_toc_entry_exists():
    entries = [TOC["root"]] + [chapter["file"] for chapter in TOC["chapters"]]
    for entry in entries:
        assert list(ROOT.glob(entry + ".*")), f"_toc.yml lists {entry}, which does not exist"
    listed = {ROOT / (entry + ".ipynb") for entry in entries}
    assert set(CHAPTERS) <= listed, f"chapters missing from _toc.yml: {set(CHAPTERS) - listed}"
    assert len(CHAPTERS) == 7


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    for cell in read(path).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has outputs"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_first_cell_installs_course_utils_from_the_configured_repository_only_when_missing(path):
    cell = read(path).cells[0]
    assert "remove-cell" in cell.metadata.get("tags", [])
    with unittest.mock.patch("subprocess.run") as run:
        exec(cell.source, {})  # course_utils is importable here: nothing to do
        run.assert_not_called()
        with unittest.mock.patch("importlib.util.find_spec", return_value=None):
            exec(cell.source, {})
    command = run.call_args.args[0]
    assert command[1:4] == ["-m", "pip", "install"]
    assert command[-1] == "git+" + CONFIG["repository"]["url"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_glued_number_in_the_prose_is_computed_in_the_chapter(path):
    notebook = read(path)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    prose = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    glued = set(re.findall(r"""glue\(\s*["'](\w+)["']""", code))
    quoted = set(re.findall(r"\{glue:text\}`(\w+)", prose))
    assert quoted, f"{path.name} quotes no computed number"
    assert quoted <= glued, f"{path.name} quotes numbers it never computes: {quoted - glued}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_figures_have_alt_text_and_captions(path):
    for cell in read(path).cells:
        options = cell.metadata.get("mystnb", {})
        if "figure" in options:
            assert options["figure"].get("caption"), f"{path.name}: figure without caption"
            assert len(options.get("image", {}).get("alt", "")) > 20, (
                f"{path.name}: figure without alt text"
            )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_ends_with_two_to_four_exercises_with_hidden_solutions(path):
    prose = "\n".join(cell.source for cell in read(path).cells if cell.cell_type == "markdown")
    exercises = prose[prose.index("## Exercises") :]
    questions = re.findall(r"^\*\*\d\.\*\*", exercises, flags=re.MULTILINE)
    solutions = re.findall(r"^:::\{dropdown\} Solution", exercises, flags=re.MULTILINE)
    assert 2 <= len(questions) <= 4 and len(solutions) == len(questions)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_solution_code_block_is_run_by_the_chapter(path):
    """A solution's code, shown in its dropdown, is also a cell of the chapter, so the build runs
    it."""
    notebook = read(path)
    prose = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    blocks = re.findall(r"```python\n(.*?)```", prose[prose.index("## Exercises") :], flags=re.S)
    cells = {cell.source.strip() for cell in notebook.cells if cell.cell_type == "code"}
    for block in blocks:
        assert block.strip() in cells, f"{path.name}: this solution never runs:\n{block}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_code_shown_on_the_page_fits_79_characters(path):
    long = [
        line
        for cell in read(path).cells
        if cell.cell_type == "code" and "remove-cell" not in cell.metadata.get("tags", [])
        for line in cell.source.splitlines()
        if len(line) > 79
    ]
    assert not long, f"{path.name}: code lines clipped on the page: {long}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_line_of_prose_starts_with_a_percent_sign(path):
    """MyST reads a line that starts with % as a comment and drops it from the page: a sentence
    wrapped just before "% of the digits" loses its end."""
    dropped = [
        line
        for cell in read(path).cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("%")
    ]
    assert not dropped, f"{path.name}: lines the page would drop: {dropped}"
