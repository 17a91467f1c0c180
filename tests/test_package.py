"""The package itself: a light import, a quick command line, and a wheel that ships the explorer's
front end."""

import importlib
import inspect
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


def stub_names() -> dict[str, str]:
    """Each public name of ``course_utils/__init__.pyi`` and the module it names as its home."""
    import ast
    from pathlib import Path

    import course_utils

    stub = ast.parse(Path(course_utils.__file__).with_suffix(".pyi").read_text())
    return {
        alias.name: f"course_utils.{node.module}"
        for node in stub.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_each_public_name_is_defined_where_the_stub_says():
    import course_utils

    homes = stub_names()
    assert sorted(course_utils.__all__) == sorted(homes) == sorted(dir(course_utils))
    for name, module in homes.items():
        value = getattr(course_utils, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            defined_in = value.__module__
            assert defined_in == module, f"{name} is defined in {defined_in}, not {module}"
        else:  # constants (a recipe's __module__ is its class's): the same object as the module's

            assert value is getattr(importlib.import_module(module), name)
    assert course_utils.__version__ and course_utils.__version__[0].isdigit()
    with pytest.raises(AttributeError, match="no_such_name"):
        course_utils.no_such_name  # noqa: B018


def test_every_name_a_chapter_imports_is_public(repo_root):
    """The chapters import from course_utils by name: each of those names is in the stub."""
    import ast

    import nbformat

    imported = set()
    for chapter in (repo_root / "book").glob("*.ipynb"):
        for cell in nbformat.read(chapter, as_version=4).cells:
            if cell.cell_type == "code" and "from course_utils import" in cell.source:
                for node in ast.walk(ast.parse(cell.source)):
                    if isinstance(node, ast.ImportFrom) and node.module == "course_utils":
                        imported |= {alias.name for alias in node.names}
    assert {"trained_autoencoder", "FusedAdam", "VAE_RECIPE", "save_to_cache"} <= imported
    assert imported <= set(stub_names())


def test_a_function_named_like_its_module_stays_the_function():
    """sample_quality is a function in sample_quality.py: importing the module first does not
    make course_utils.sample_quality the module."""
    result = python(
        "import course_utils.sample_quality\n"
        "from course_utils import sample_quality\n"
        "import course_utils\n"
        "print(callable(sample_quality), callable(course_utils.sample_quality))"
    )
    assert result.split() == ["True", "True"]


def test_an_editor_goes_to_each_names_definition(repo_root):
    """What an editor's "go to definition" sees (jedi, as in JupyterLab and many editors)."""
    jedi = pytest.importorskip("jedi")
    source = "from course_utils import trained_vae, FusedAdam, cached_fit\ntrained_vae"
    project = jedi.Project(str(repo_root))
    (definition,) = jedi.Script(source, project=project).goto(2, 3, follow_imports=True)
    assert definition.module_path.name == "vae.py" and definition.type == "function"
    assert "Cache faults warn" in definition.docstring()
    help_text = jedi.Script(
        "from course_utils import cached_fit\ncached_fit", project=project
    ).help(2, 3)
    assert help_text and "Train ``model`` once per machine" in help_text[0].docstring()


def test_loading_data_needs_no_tensorflow():
    loaded = python(
        "import sys\nfrom course_utils import load_mnist, glue\n"
        "load_mnist((1,))\nprint('tensorflow' in sys.modules)"
    )
    assert loaded.strip() == "False"


def test_checking_images_needs_no_tensorflow():
    statement = "from course_utils.images import check_images\ncheck_images([[0.5] * 784], 'x')"
    assert loaded_after(statement, HEAVY) == []


def test_recipes_the_vae_and_the_store_load_no_tensorflow_until_a_model_is_built():
    statement = (
        "import dataclasses\n"
        "import course_utils.vae, course_utils.classifier, course_utils.model_store\n"
        "from course_utils import VAE_RECIPE, DEFAULT_RECIPE, Recipe\n"
        "dataclasses.replace(VAE_RECIPE, kl_weight=2.0)\n"
        "Recipe(output_activation='tanh')"
    )
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
        "course_utils/__init__.pyi",  # read at import time: without it nothing imports
    ):
        assert shipped in names
