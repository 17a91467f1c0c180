"""`python -m course_utils data|model`: preparing a machine (Makefile, Binder's postBuild)."""

import re
import subprocess
import sys

import pytest

from course_utils import MnistUnavailableError
from course_utils import __main__ as command_line


def test_data_prints_each_verified_file(capsys):
    command_line.main(["data"])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and all(line.startswith("verified ") for line in lines)
    assert "train-images-idx3-ubyte (47,040,016 bytes)" in lines[0]


def test_data_unavailable_is_a_plain_error_not_a_traceback(monkeypatch):
    def unavailable():
        raise MnistUnavailableError(
            "MNIST is not available offline: run `python -m course_utils data` online"
        )

    monkeypatch.setattr(command_line, "fetch_mnist", unavailable)
    with pytest.raises(SystemExit) as exit_:
        command_line.main(["data"])
    assert str(exit_.value).startswith("error: MNIST is not available offline")


def test_an_unknown_command_shows_the_usage(capsys):
    with pytest.raises(SystemExit) as exit_:
        command_line.main(["train-everything"])
    assert exit_.value.code == 2
    assert "{data,model}" in capsys.readouterr().err


@pytest.mark.notebooks
@pytest.mark.book_models
def test_model_finds_every_model_the_book_trained_and_reports_them(built_book):
    """What Binder's image runs, on the cache the book's build filled: the command and the chapters
    ask for the same cache entries (the autoencoder, chapter 5's VAE and classifier, chapter 7's
    21 autoencoders), so it trains and writes nothing, and reports the models' test figures."""
    from course_utils.code_size import chapter_7_models
    from course_utils.model_store import model_cache_dir

    def entries():
        return {path.name: path.stat().st_mtime_ns for path in model_cache_dir().glob("*.json")}

    before = entries()
    result = subprocess.run(
        [sys.executable, "-m", "course_utils", "model"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "RuntimeWarning" not in result.stderr and "CacheWarning" not in result.stderr
    assert "Epoch 1/" not in result.stdout  # nothing trained
    assert entries() == before  # nothing written
    mse = float(re.search(r"default recipe: test MSE (0\.\d+)", result.stdout).group(1))
    assert 0.02 < mse < 0.03
    accuracy = float(re.search(r"test accuracy (0\.\d+)", result.stdout).group(1))
    assert accuracy >= 0.99
    assert f"{len(chapter_7_models())} autoencoders of chapter 7" in result.stdout
