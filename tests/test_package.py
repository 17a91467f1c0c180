"""The package itself: a light import, a quick command line, and a wheel that ships the explorer's
front end."""

import json
import resource
import shutil
import subprocess
import sys
import time
import zipfile

import pytest

HEAVY = ("tensorflow", "keras", "ipywidgets", "matplotlib")


def python(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout


def loaded_after(statement: str, packages) -> list[str]:
    """Which of ``packages`` a fresh interpreter has loaded after running ``statement``."""
    loaded = json.loads(
        python(
            f"import json, sys\n{statement}\n"
            "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
        )
    )
    return sorted(set(loaded) & set(packages))


def test_import_loads_none_of_the_heavy_libraries():
    assert loaded_after("import course_utils", HEAVY) == []


def test_each_public_name_loads_on_first_use_and_all_names_stay_importable():
    import course_utils

    assert set(course_utils.__all__) <= set(dir(course_utils))
    for name in dir(course_utils):
        if not name.startswith("_"):
            assert getattr(course_utils, name) is not None
    from course_utils import (  # noqa: F401  (the four explorer names, as chapters import them)
        LatentExplorer,
        StaticLatentExplorer,
        latent_explorer,
        static_latent_explorer,
    )

    assert course_utils.__version__ and course_utils.__version__[0].isdigit()
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        course_utils.no_such_name  # noqa: B018


def test_loading_data_needs_no_tensorflow():
    loaded = python(
        "import sys\nfrom course_utils import load_mnist, glue\n"
        "load_mnist((1,))\nprint('tensorflow' in sys.modules)"
    )
    assert loaded.strip() == "False"


def test_checking_images_needs_no_tensorflow():
    statement = "from course_utils.images import check_images\ncheck_images([[0.5] * 784], 'x')"
    assert loaded_after(statement, HEAVY) == []


def test_command_line_help_answers_within_a_second():
    # Processor time, not wall time: on a loaded machine waiting for a core only adds wall time.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "course_utils", "--help"], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert "{data,model}" in result.stdout and result.stderr == ""
    assert seconds < 1.0, f"--help used {seconds:.2f} s of processor time ({wall:.2f} s wall)"


def test_the_command_line_module_loads_nothing_heavy():
    assert loaded_after("import course_utils.__main__", HEAVY + ("numpy", "pooch")) == []


def test_the_wheel_ships_the_explorers_script_and_style(repo_root, tmp_path):
    source = tmp_path / "source"  # a copy, so that the build leaves nothing in the repository
    shutil.copytree(
        repo_root / "course_utils",
        source / "course_utils",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(repo_root / name, source)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("course_utils-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in (
        "course_utils/explorer/latent_explorer.js",
        "course_utils/explorer/latent_explorer.css",
        "course_utils/explorer/shared.js",
        "course_utils/explorer/draw_explorer.js",
        "course_utils/explorer/draw_explorer.css",
        "course_utils/explorer/static.py",
        "course_utils/prose.py",
    ):
        assert shipped in names
