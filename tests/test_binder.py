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


def test_binder_installs_the_pinned_requirements_then_course_utils_then_fetches_mnist(dockerfile):
    lines = dockerfile.splitlines()
    requirements = lines.index(
        'RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "requirements.txt"'
    )
    package = lines.index("RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir .")
    post_build = lines.index("RUN ./postBuild")
    assert requirements < package < post_build
    assert "python -m course_utils model" in (ROOT / "postBuild").read_text()
    assert os.access(ROOT / "postBuild", os.X_OK)


def _requirements():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
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


def test_every_requirement_is_pinned():
    unpinned = [str(r) for r in _requirements() if not str(r.specifier).startswith("==")]
    assert unpinned == []
