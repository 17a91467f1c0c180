"""The quick parts of scripts/colab_check.py (the whole check is `make colab-check`, minutes long):
it installs what each chapter's first cell installs, from a copy of this tree."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("colab_check", ROOT / "scripts" / "colab_check.py")
colab_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(colab_check)


@pytest.mark.parametrize("chapter", colab_check.CHAPTERS)
def test_it_runs_the_first_cells_pip_install_with_the_url_replaced_by_the_copy(chapter, tmp_path):
    command = colab_check.first_cell_command(ROOT / chapter, tmp_path)
    assert command[1:4] == ["-m", "pip", "install"]
    assert command[-1] == tmp_path.as_uri()
    assert not any("github.com" in part for part in command)


def test_it_checks_chapters_2_and_4_on_python_312():
    assert colab_check.CHAPTERS == ["book/02_autoencoders.ipynb", "book/04_latent_space.ipynb"]
    assert all((ROOT / chapter).is_file() for chapter in colab_check.CHAPTERS)
    assert colab_check.PYTHON_VERSION == "3.12"


def test_a_first_cell_that_installs_something_else_fails_the_check(tmp_path):
    notebook = tmp_path / "chapter.ipynb"
    cell = (
        "import subprocess, sys\n"
        "subprocess.run([sys.executable, '-m', 'pip', 'install', 'course-utils'])"
    )
    notebook.write_text(json.dumps({"cells": [{"cell_type": "code", "source": cell}]}))
    with pytest.raises(colab_check.CheckFailed, match="not a pip install of git"):
        colab_check.first_cell_command(notebook, tmp_path)


def test_the_copy_holds_what_a_push_would_publish(tmp_path):
    copy = colab_check.copy_of_the_tree(tmp_path / "repository")
    assert (copy / "pyproject.toml").read_text() == (ROOT / "pyproject.toml").read_text()
    assert (copy / "course_utils" / "__init__.py").is_file()
    assert not (copy / ".venv").exists() and not (copy / "node_modules").exists()
