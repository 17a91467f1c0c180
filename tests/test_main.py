"""`python -m course_utils data|model`: preparing a machine (Makefile, Binder's postBuild)."""

import os
import re
import subprocess
import sys

import pytest

from course_utils import MnistUnavailableError
from course_utils import __main__ as command_line
from course_utils.data import fetch_mnist


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


@pytest.mark.training
def test_model_fills_the_model_cache_and_reports_the_test_mse(tmp_path):
    """What Binder's image runs, into an empty cache of its own: every model the chapters load."""
    for name, path in fetch_mnist().items():  # the verified files, in a fresh cache
        (tmp_path / name).symlink_to(path)
    env = dict(os.environ, COURSE_UTILS_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "course_utils", "model"],
        capture_output=True,
        text=True,
        timeout=1800,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "RuntimeWarning" not in result.stderr and "CacheWarning" not in result.stderr
    mse = float(re.search(r"default recipe: test MSE (0\.\d+)", result.stdout).group(1))
    assert 0.02 < mse < 0.03
    accuracy = float(re.search(r"test accuracy (0\.\d+)", result.stdout).group(1))
    assert accuracy >= 0.99
    records = sorted(path.name.split("-")[0] for path in (tmp_path / "models").glob("*.json"))
    assert records == ["autoencoder", "classifier"] + ["vae"] * 5  # chapter 5's and 4 exercises'
