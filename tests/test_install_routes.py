"""The three ways course_utils gets installed, and the one TensorFlow each must end up with.

- here and in Binder: requirements.txt (tensorflow-cpu on x86-64) within the lock, then the
  package (`make setup` adds the tools of requirements-dev.txt);
- on Colab: the chapter's first cell, `pip install git+<repository>`, beside Colab's own packages
  (scripts/colab_check.py runs that for real; here its bounds are checked against Colab's pins);
- anywhere else: the `tensorflow` extra.
"""

import importlib.metadata
import importlib.util
import json
import platform
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
DEPENDENCIES = [Requirement(text) for text in PROJECT["dependencies"]]
_spec = importlib.util.spec_from_file_location("colab_check", ROOT / "scripts" / "colab_check.py")
colab_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(colab_check)


def pins(lines) -> dict[str, str]:
    environment = {"platform_machine": "x86_64", "sys_platform": "linux", "python_version": "3.11"}
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(environment):
                found[requirement.name] = str(requirement.specifier).removeprefix("==")
    return found


def test_tensorflow_is_an_extra_not_a_dependency():
    assert not [r for r in DEPENDENCIES if r.name.startswith("tensorflow")]
    assert PROJECT["optional-dependencies"]["tensorflow"] == ["tensorflow>=2.16"]


def test_the_pinned_requirements_satisfy_every_dependency():
    pinned = pins((ROOT / "requirements.txt").read_text().splitlines())
    for requirement in DEPENDENCIES:
        assert requirement.specifier.contains(pinned[requirement.name]), requirement


def test_colabs_preinstalled_packages_satisfy_the_dependencies_so_pip_keeps_them():
    colab = pins(colab_check.COLAB_PACKAGES)
    assert {"tensorflow", "keras", "numpy", "ipywidgets"} <= set(colab)
    for requirement in DEPENDENCIES:
        if requirement.name in colab:
            assert requirement.specifier.contains(colab[requirement.name]), requirement
    [extra] = map(Requirement, PROJECT["optional-dependencies"]["tensorflow"])
    assert extra.specifier.contains(colab["tensorflow"])


def distributions() -> set[str]:
    return {canonicalize_name(d.metadata["Name"]) for d in importlib.metadata.distributions()}


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64's TensorFlow")
def test_this_environment_has_exactly_one_tensorflow():
    installed = distributions()
    assert "tensorflow-cpu" in installed and "tensorflow" not in installed


def test_installing_the_package_over_the_requirements_needs_nothing_else():
    """Binder's `pip install -r binder/requirements.txt` (the reader's set within the lock), then
    its postBuild's `pip install .`, where they are installed, as in .venv and in Binder's image:
    only course-utils, from what is installed (a TensorFlow other than the pinned one would need
    the index, so this fails)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--quiet",
            "--report",
            "-",
            "--no-index",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-r",
            "binder/requirements.txt",
            ".",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert [item["metadata"]["name"] for item in report["install"]] == ["course-utils"]
