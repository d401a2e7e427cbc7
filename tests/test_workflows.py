"""Offline checks of the GitHub Actions workflows: schema, security audit and pinning.

check-jsonschema and zizmor come with the ``test`` extra and are run from the folder of
the running interpreter, where pip puts the scripts of the packages it installs. Each tool
is also run once on a known-bad workflow, so a tool that silently accepts everything fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPOSITORY = Path(__file__).resolve().parents[1]
WORKFLOWS = REPOSITORY / ".github" / "workflows"
SCRIPTS = Path(sys.executable).parent

# "uses: owner/repository@<40 hex digits> # v1.2.3": a full commit SHA and the tag it came from.
PINNED_USES = re.compile(r"uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+){0,2}$")

UNSAFE_WORKFLOW = """\
name: Greet
on: pull_request
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""

INVALID_WORKFLOW = """\
name: Broken
on: push
jobs:
  build:
    steps: []
"""


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def run_tool(name: str, *arguments: str | Path) -> subprocess.CompletedProcess[str]:
    """Run an installed command-line tool and return its exit status and output."""
    executable = SCRIPTS / name
    if not executable.exists():
        pytest.fail(f"{executable} not found: install the test tools with pip install '.[test]'")

    return subprocess.run(
        [str(executable), *map(str, arguments)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_zizmor(target: Path) -> subprocess.CompletedProcess[str]:
    # --offline turns off zizmor's online audits, which ask the GitHub API about each action a
    # workflow uses (impostor commits, known-vulnerable versions, tag and SHA mismatches), and
    # forbids any other network access (zizmor 1.33.1 --help). Without it, zizmor would go
    # online when it finds a token in GH_TOKEN, GITHUB_TOKEN or ZIZMOR_GITHUB_TOKEN.
    return run_tool("zizmor", "--offline", "--no-progress", "--color=never", target)


def load_workflow(path: Path) -> dict[Any, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit status {result.returncode}\n{result.stdout}\n{result.stderr}"


def test_workflows_exist() -> None:
    names = [path.name for path in workflow_files()]

    assert "validate.yml" in names


def test_workflows_match_github_schema() -> None:
    result = run_tool(
        "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflow_files()
    )

    assert result.returncode == 0, output_of(result)


def test_workflows_pass_zizmor() -> None:
    result = run_zizmor(WORKFLOWS)

    assert result.returncode == 0, output_of(result)


def test_schema_check_rejects_invalid_workflow(tmp_path: Path) -> None:
    workflow = tmp_path / "broken.yml"
    workflow.write_text(INVALID_WORKFLOW, encoding="utf-8")

    result = run_tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", workflow)

    assert result.returncode == 1, output_of(result)
    assert "runs-on" in result.stdout, output_of(result)


def test_zizmor_flags_unsafe_workflow(tmp_path: Path) -> None:
    workflow = tmp_path / "greet.yml"
    workflow.write_text(UNSAFE_WORKFLOW, encoding="utf-8")

    result = run_zizmor(workflow)

    assert result.returncode != 0, output_of(result)
    assert "template-injection" in result.stdout, output_of(result)
    assert "unpinned-uses" in result.stdout, output_of(result)
    assert "artipacked" in result.stdout, output_of(result)
    assert "excessive-permissions" in result.stdout, output_of(result)


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_actions_pinned_to_commit(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    uses_lines = [line.strip().removeprefix("- ") for line in lines if "uses:" in line]

    assert uses_lines, f"{path.name} uses no action"
    for line in uses_lines:
        assert PINNED_USES.fullmatch(line), f"{path.name}: {line!r} is not pinned to a commit SHA"


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_checkout_keeps_no_credentials(path: Path) -> None:
    for job_name, job in load_workflow(path)["jobs"].items():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                options = step.get("with") or {}

                assert options.get("persist-credentials") is False, f"{path.name}: job {job_name}"


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_permissions_are_read_only(path: Path) -> None:
    workflow = load_workflow(path)

    assert workflow.get("permissions") == {"contents": "read"}
    for job_name, job in workflow["jobs"].items():
        job_permissions = job.get("permissions", {})

        assert set(job_permissions.values()) <= {"read", "none"}, f"{path.name}: job {job_name}"


def test_validate_workflow_triggers() -> None:
    # PyYAML reads the bare key "on" as the boolean True (YAML 1.1).
    triggers = load_workflow(WORKFLOWS / "validate.yml")[True]

    assert set(triggers) == {"push", "pull_request"}
    assert triggers["push"] is None
    assert triggers["pull_request"] is None


def test_validate_workflow_commands() -> None:
    jobs = load_workflow(WORKFLOWS / "validate.yml")["jobs"]
    commands = {
        name: [step["run"] for step in job["steps"] if "run" in step] for name, job in jobs.items()
    }
    python_versions = [
        step["with"]["python-version"]
        for job in jobs.values()
        for step in job["steps"]
        if str(step.get("uses", "")).startswith("actions/setup-python@")
    ]

    assert commands["validate-data"] == ["python -m pip install .", "datami validate --lang fr"]
    assert commands["test"] == ['python -m pip install ".[test]"', "python -m pytest"]
    assert python_versions == ["3.11", "3.11"]


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_run_steps_expand_no_expressions(path: Path) -> None:
    # An expression expanded inside a shell script is a template-injection risk. A value a
    # script needs goes through the step's env: mapping instead.
    for job_name, job in load_workflow(path)["jobs"].items():
        for step in job.get("steps", []):
            assert "${{" not in step.get("run", ""), f"{path.name}: job {job_name}"
