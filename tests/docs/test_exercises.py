"""Every chapter's exercise points to its assignment, and every "break it" exercise is caught,
on every run, by the command the chapter prints.

The slow test applies each exercise's broken line (tests/docs/exercises.py) in memory through
tests/docs/break_plugin.py, runs the chapter's own pytest command in a fresh process, and asserts
that the named test failed and that it is a fixed test (no hypothesis search), so the verdict
cannot depend on a random seed.
"""
import json
import os
import re
import shlex
import subprocess
import sys

import pytest

from doc_blocks import DOCS, ROOT, chapters
from exercises import ASSIGNMENTS, BREAKS, NO_ASSIGNMENT

COURSE = re.compile(r"python -m minidl\.course start (\w+) DIR")


def test_every_chapter_points_to_its_assignments():
    pages = {p.name for p in chapters()}
    assert set(ASSIGNMENTS) <= pages and pages <= set(ASSIGNMENTS) | NO_ASSIGNMENT
    for name, assignments in ASSIGNMENTS.items():
        text = " ".join((DOCS / name).read_text(encoding="utf-8").split())
        assert set(COURSE.findall(text)) == set(assignments), name


def test_the_index_lists_every_assignment():
    index = " ".join((DOCS / "README.md").read_text(encoding="utf-8").split())
    for assignments in ASSIGNMENTS.values():
        for a in assignments:
            assert f"`{a}`" in index, a


@pytest.mark.parametrize("exercise", BREAKS, ids=lambda e: e["chapter"])
def test_the_chapter_prints_the_command_and_the_line_exists_once(exercise):
    text = " ".join((DOCS / exercise["chapter"]).read_text(encoding="utf-8").split())
    assert exercise["command"] in text
    assert exercise["command"] in " ".join((DOCS / "README.md").read_text("utf-8").split())
    source = (ROOT / exercise["file"]).read_text(encoding="utf-8")
    assert source.count(exercise["old"]) == 1, exercise["old"]


@pytest.mark.slow
@pytest.mark.parametrize("exercise", BREAKS, ids=lambda e: e["chapter"])
def test_the_broken_line_fails_the_named_fixed_test(exercise, tmp_path):
    words = shlex.split(exercise["command"])
    env = dict(os.environ)
    while "=" in words[0]:
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    assert words[:3] == ["python", "-m", "pytest"]
    report = tmp_path / "report.json"
    env["MINIDL_BREAK"] = json.dumps({**exercise, "report": str(report)})
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tests" / "docs"), env.get("PYTHONPATH", "")])
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "break_plugin", *words[3:]],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(report.read_text())
    failed = [k for k, v in result["outcomes"].items() if v == "failed"]
    named = [k for k in failed if k.split("::")[-1].split("[")[0] == exercise["fails"]]
    assert named, f"{exercise['fails']} did not fail; failed: {failed}"
    assert not any(result["hypothesis"][k] for k in named), "the named test searches at random"
