"""The Colab route, checked on a Colab-like machine (`make colab-check`, and a CI job of its own).

Colab opens a chapter alone, in its own Python with its own TensorFlow, Keras, NumPy and
ipywidgets, and the chapter's first cell pip-installs this repository there. This script:

1. creates a fresh Python 3.12 environment and installs what Colab preinstalls (COLAB_PACKAGES:
   a TensorFlow and Keras older than requirements.txt's pins, ipywidgets 7) plus Jupyter's kernel
   packages;
2. runs the first cell's own pip command there, with the repository URL replaced by a copy of this
   tree (the repository itself is not reachable from here), and checks that it kept Colab's
   packages and added no second TensorFlow;
3. runs chapters 2 and 4, each copied alone into an empty folder, from a fresh kernel, with MNIST
   from the shared cache and an empty model cache (so chapter 4 trains its model with Colab's
   Keras), then moves a slider of chapter 4's latent explorer and checks that the image changes.

It prints the versions it ran with and the time each step took. Run it with .venv's Python:
`.venv/bin/python scripts/colab_check.py [--python PATH_TO_PYTHON3.12] [--keep DIR]`.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest.mock
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["book/02_autoencoders.ipynb", "book/04_latent_space.ipynb"]
PYTHON_VERSION = "3.12"
# What Colab's runtime preinstalls (its announcements and published package lists, 2025-26):
# TensorFlow 2.19 with Keras 3.10 and NumPy 2.0, and ipywidgets 7.7.1, whose standard widgets
# Colab's page renders itself.
COLAB_PACKAGES = [
    "tensorflow==2.19.0",
    "keras==3.10.0",
    "numpy==2.0.2",
    "matplotlib==3.10.0",
    "scikit-learn==1.6.1",
    "ipywidgets==7.7.1",
]
KERNEL_PACKAGES = ["ipykernel", "nbclient"]
WHEELS = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "colab-check-wheels"
TIMEOUT = 900  # seconds per cell; chapter 4 trains its model once

# Runs in the environment's Python: execute one notebook from a fresh kernel, then a probe.
EXECUTE = """
import os, sys, nbclient, nbformat
path, probe, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
notebook = nbformat.read(path, as_version=4)
notebook.cells.append(nbformat.v4.new_code_cell(probe))
nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                        resources={"metadata": {"path": os.path.dirname(path)}}).execute()
nbformat.write(notebook, path)
printed = [o["text"] for o in notebook.cells[-1].outputs if o.get("name") == "stdout"]
print("".join(printed).strip().splitlines()[-1])
"""

# The last cell of each run: what the kernel ran with, and whether a latent explorer answers.
PROBE = """
import gc, json, sys
import course_utils, ipywidgets, keras, numpy, tensorflow
explorers = [o for o in gc.get_objects() if type(o).__name__ == "LatentExplorer"]
moved = []
for explorer in explorers:
    before = explorer.digit_image.value
    slider = explorer.sliders[0]
    slider.value = slider.max if slider.value != slider.max else slider.min
    moved.append(explorer.digit_image.value != before and len(explorer.digit_image.value) > 0)
print(json.dumps({
    "python": sys.version.split()[0], "executable": sys.executable,
    "course_utils": course_utils.__file__, "tensorflow": tensorflow.__version__,
    "keras": keras.__version__, "numpy": numpy.__version__, "ipywidgets": ipywidgets.__version__,
    "explorers_moved": moved,
}))
"""


class CheckFailed(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", help=f"a Python {PYTHON_VERSION} interpreter")
    parser.add_argument("--keep", type=Path, help="work here and keep it (default: a temp dir)")
    parser.add_argument("--wheels", type=Path, help=f"the wheel folder (default: {WHEELS})")
    args = parser.parse_args()
    python = args.python or find_python()
    work = args.keep or Path(tempfile.mkdtemp(prefix="colab-check-"))
    try:
        report = check(python, work.resolve(), args.wheels or WHEELS)
    except CheckFailed as error:
        print(f"\nColab-like check FAILED: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print("\nColab-like check passed:", json.dumps(report, indent=2))
    return 0


def check(python: str, work: Path, wheels: Path = WHEELS) -> dict:
    started = time.perf_counter()
    timings = {}
    environment = work / "env"
    env_python = environment / "bin" / "python"
    with timed(timings, "environment"):
        run([python, "-m", "venv", "--clear", str(environment)])
        # From a wheel folder, filled from the registry only when something is missing there
        # (pip's own cache does not keep the registry's answers): TensorFlow's wheel is 645 MB.
        offline = ["--no-index", "--find-links", str(wheels), *COLAB_PACKAGES, *KERNEL_PACKAGES]
        if not pip(env_python, *offline, check=False):
            run(
                [
                    str(env_python),
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--dest",
                    str(wheels),
                    *COLAB_PACKAGES,
                    *KERNEL_PACKAGES,
                ]
            )
            pip(env_python, *offline)
    before = frozen(env_python)

    repository = copy_of_the_tree(work / "repository")
    command = first_cell_command(ROOT / CHAPTERS[0], repository)
    with timed(timings, "first cell's pip install"):
        run([str(env_python), *command[1:]])
    added = check_install_kept_colab_packages(before, frozen(env_python))

    data = data_dir_with_shared_mnist(env_python, work / "data")
    results = {}
    for chapter in CHAPTERS:
        with timed(timings, Path(chapter).stem):
            results[Path(chapter).stem] = run_chapter(
                env_python, ROOT / chapter, work / "content", data
            )
    check_chapter_results(results, environment)
    timings["total"] = round(time.perf_counter() - started, 1)
    versions = next(iter(results.values()))
    return {
        "versions": {
            key: versions[key] for key in ("python", "tensorflow", "keras", "numpy", "ipywidgets")
        },
        "installed_by_first_cell": added,
        "explorers_moved": {name: result["explorers_moved"] for name, result in results.items()},
        "seconds": timings,
    }


def find_python() -> str:
    """A Python 3.12: on PATH, or one that pyenv installed."""
    candidates = [shutil.which(f"python{PYTHON_VERSION}") or ""]
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{PYTHON_VERSION}*/bin/python3"))
    for candidate in candidates:
        if candidate and _version(candidate) == PYTHON_VERSION:
            return candidate
    raise SystemExit(f"no Python {PYTHON_VERSION} found: pass --python PATH")


def _version(python: str) -> str:
    result = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() if result.returncode == 0 else ""


def first_cell_command(chapter: Path, repository: Path) -> list[str]:
    """The pip command the chapter's first cell runs where course_utils is missing, with the
    repository's URL replaced by the local copy."""
    cell = json.loads(chapter.read_text())["cells"][0]
    source = "".join(cell["source"])
    with (
        unittest.mock.patch("importlib.util.find_spec", return_value=None),
        unittest.mock.patch("subprocess.run") as fake_run,
    ):
        exec(source, {})
    if not fake_run.called:
        raise CheckFailed(f"{chapter.name}'s first cell installs nothing without course_utils")
    command = list(fake_run.call_args.args[0])
    url = repository_url()
    targets = [index for index, part in enumerate(command) if f"git+{url}" in part]
    if command[1:4] != ["-m", "pip", "install"] or len(targets) != 1:
        raise CheckFailed(f"the first cell's command is not a pip install of git+{url}: {command}")
    command[targets[0]] = command[targets[0]].replace(f"git+{url}", repository.as_uri())
    print("first cell's command, here:", " ".join(command[1:]))
    return command


def repository_url() -> str:
    """`repository.url` from _config.yml, the one place that names the repository."""
    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]


def copy_of_the_tree(target: Path) -> Path:
    """The files git would commit (tracked and new, not ignored): what a push would publish."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    shutil.rmtree(target, ignore_errors=True)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def check_install_kept_colab_packages(before: dict, after: dict) -> dict:
    changed = {
        name: f"{before[name]} -> {after.get(name)}"
        for name in before
        if after.get(name) != before[name]
    }
    if changed:
        raise CheckFailed(f"installing the course replaced Colab's packages: {changed}")
    added = {name: version for name, version in after.items() if name not in before}
    if any(name.startswith("tensorflow") for name in added):
        raise CheckFailed(f"installing the course added a second TensorFlow: {added}")
    print("the first cell added:", added)
    return added


def data_dir_with_shared_mnist(env_python: Path, target: Path) -> Path:
    """A fresh data directory (so an empty model cache) whose MNIST files link to the shared cache,
    fetched there first if missing."""
    run([str(env_python), "-m", "course_utils", "data"])
    shared = Path(
        subprocess.run(
            [str(env_python), "-c", "from course_utils.data import cache_dir; print(cache_dir())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    names = json.loads(
        subprocess.run(
            [
                str(env_python),
                "-c",
                "import json; from course_utils.data import MNIST_FILES; "
                "print(json.dumps(sorted(MNIST_FILES)))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in names:
        (target / name).symlink_to(shared / name)
    return target


def run_chapter(env_python: Path, chapter: Path, content: Path, data: Path) -> dict:
    """Run one chapter alone in an empty folder from a fresh kernel; return the probe's report."""
    shutil.rmtree(content, ignore_errors=True)
    content.mkdir(parents=True)
    notebook = content / chapter.name
    shutil.copy2(chapter, notebook)
    env = {
        **os.environ,
        "COURSE_UTILS_DATA_DIR": str(data),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        # only the environment's own kernel, not one registered for this user
        "JUPYTER_DATA_DIR": str(content / ".jupyter"),
        "PYTHONNOUSERSITE": "1",
    }
    result = subprocess.run(
        [str(env_python), "-c", EXECUTE, str(notebook), PROBE, str(TIMEOUT)],
        cwd=content,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise CheckFailed(
            f"{chapter.name} failed on the Colab-like kernel:\n{result.stderr[-6000:]}"
        )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"{chapter.name} ran:", report)
    return report


def check_chapter_results(results: dict, environment: Path) -> None:
    for name, report in results.items():
        if not report["course_utils"].startswith(str(environment)):
            raise CheckFailed(
                f"{name} imported course_utils from {report['course_utils']}, "
                "not from the pip-installed package"
            )
        if not all(report["explorers_moved"]):
            raise CheckFailed(f"a latent explorer in {name} did not redraw when its slider moved")
    if not results["04_latent_space"]["explorers_moved"]:
        raise CheckFailed("chapter 4 showed no latent explorer in the kernel")


def frozen(env_python: Path) -> dict:
    listed = subprocess.run(
        [str(env_python), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {package["name"].lower(): package["version"] for package in json.loads(listed)}


def pip(env_python: Path, *arguments: str, check: bool = True) -> bool:
    return run(
        [
            str(env_python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *arguments,
        ],
        check=check,
    )


def run(command: list[str], check: bool = True) -> bool:
    print("$", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=ROOT)
    if check and result.returncode != 0:
        raise CheckFailed(f"command failed ({result.returncode}): {' '.join(command)}")
    return result.returncode == 0


@contextlib.contextmanager
def timed(timings: dict, name: str):
    start = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - start, 1)


if __name__ == "__main__":
    sys.exit(main())
