"""Binder builds the repository with repo2docker: check the Dockerfile it would build, without
Docker."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dockerfile():
    repo2docker = Path(sys.executable).with_name("repo2docker")
    result = subprocess.run(
        [str(repo2docker), "--no-build", "--no-run", "--debug", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout + result.stderr


def test_binder_uses_python_311(dockerfile):
    assert "Building conda environment for python=3.11" in dockerfile


def test_binder_installs_the_readers_set_within_the_lock_then_course_utils_then_the_models(
    dockerfile,
):
    """repo2docker reads binder/ (not the root): the reader's requirements at the lock's
    versions, then postBuild, which installs course_utils and trains the chapters' models."""
    lines = dockerfile.splitlines()
    requirements = lines.index(
        'RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "binder/requirements.txt"'
    )
    post_build = lines.index("RUN ./binder/postBuild")
    assert requirements < post_build
    binder = ROOT / "binder"
    assert list(instructions(binder / "requirements.txt")) == [
        "-r ../requirements.txt",
        "-c ../requirements-lock.txt",
    ]
    assert list(instructions(binder / "postBuild")) == [
        "set -euo pipefail",
        "pip install --no-cache-dir .",
        "python -m course_utils model",
    ]
    assert os.access(binder / "postBuild", os.X_OK)
    assert (binder / "runtime.txt").read_text() == "python-3.11\n"


def test_binder_installs_no_build_or_test_tool(dockerfile):
    """The tools are requirements-dev.txt's, which `make setup` installs on top (tests/test_lock.py
    checks that the reader's set needs none of them)."""
    readers = [
        *instructions(ROOT / "requirements.txt"),
        *instructions(ROOT / "binder/requirements.txt"),
    ]
    for tool in ("requirements-dev.txt", "jupyter-book", "pytest", "playwright", "repo2docker"):
        assert not [line for line in readers if tool in line]
    assert "requirements-dev.txt" not in dockerfile


def instructions(path: Path):
    """A requirement file's or a script's lines, without comments and blank lines."""
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            yield line


def _requirements():
    for line in instructions(ROOT / "requirements.txt"):
        yield Requirement(line)


@pytest.mark.parametrize(
    "machine, expected",
    [("x86_64", "tensorflow-cpu"), ("aarch64", "tensorflow"), ("arm64", "tensorflow")],
)
def test_each_platform_gets_exactly_one_tensorflow(machine, expected):
    environment = {"platform_machine": machine, "sys_platform": "linux", "python_version": "3.11"}
    chosen = [
        r.name
        for r in _requirements()
        if r.name.startswith("tensorflow") and (r.marker is None or r.marker.evaluate(environment))
    ]
    assert chosen == [expected]
