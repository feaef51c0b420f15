"""Cheap steps rerun by content, not file time (analysis.steps), and Make commands that never lose work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import paths, steps

# a step that counts its runs and writes its output from its input
COMMAND = ("import pathlib, sys; src, out, log = map(pathlib.Path, sys.argv[1:]); "
           "out.write_text(src.read_text().upper()); log.write_text(log.read_text() + 'x' if log.exists() else 'x')")


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.setenv("LIPS_STUDY_DIR", str(tmp_path / "study"))
    monkeypatch.delenv("REDO", raising=False)
    src, out, log = tmp_path / "in.json", tmp_path / "out.txt", tmp_path / "runs.log"
    src.write_text(json.dumps({"D": 1.0, "created": "2026-01-01"}))
    return src, out, log


def _step(src, out, log, force=False) -> int:
    return steps.run_step("demo", [sys.executable, "-c", COMMAND, str(src), str(out), str(log)], [src], [out], force)


def test_step_runs_once_then_only_when_its_input_content_changes(setup):
    src, out, log = setup
    assert _step(src, out, log) == 0 and log.read_text() == "x"
    assert steps.record_path("demo").exists()
    os.utime(src, (10**9 + 5, 10**9 + 5))  # a fresh clone's arbitrary file times: not a change
    before = out.stat().st_mtime_ns
    assert _step(src, out, log) == 0 and log.read_text() == "x" and out.stat().st_mtime_ns == before  # nothing written
    src.write_text(json.dumps({"D": 1.0, "created": "2027-01-01"}))  # provenance only: not a change either
    assert _step(src, out, log) == 0 and log.read_text() == "x"
    src.write_text(json.dumps({"D": 2.0, "created": "2027-01-01"}))  # the content: runs
    assert _step(src, out, log) == 0 and log.read_text() == "xx"
    assert _step(src, out, log, force=True) == 0 and log.read_text() == "xxx"  # REDO=1
    out.unlink()  # a missing output: runs
    assert _step(src, out, log) == 0 and log.read_text() == "xxxx" and out.exists()


def test_progress_line_names_why_a_step_reruns(setup, capsys):
    src, out, log = setup
    _step(src, out, log)
    src.write_text(json.dumps({"D": 3.0}))
    _step(src, out, log)
    assert capsys.readouterr().out.splitlines()[-1] == f"demo: running ({paths.relative(src)})"
    command = [sys.executable, "-c", COMMAND + "  # another setting", str(src), str(out), str(log)]
    steps.run_step("demo", command, [src], [out])  # same inputs, another command line: its settings changed
    assert capsys.readouterr().out.splitlines()[-1] == "demo: running (settings)"


def test_failing_step_leaves_outputs_and_record_as_they_were(setup):
    src, out, log = setup
    assert _step(src, out, log) == 0
    record, before = steps.record_path("demo").read_text(), out.read_text()
    src.write_text("{not json")
    status = steps.run_step("demo", [sys.executable, "-c", "raise SystemExit(3)"], [src], [out])
    assert status == 3 and out.read_text() == before and steps.record_path("demo").read_text() == record


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", *args], cwd=paths.ROOT, capture_output=True, text=True,
                          env={**os.environ, "MAKEFLAGS": ""})


def _tree_state(root: Path) -> dict:
    return {str(p): (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()}


def test_dry_run_writes_nothing():
    watched = paths.ROOT / "data" / "derived"
    before = {k: v for k, v in _tree_state(watched).items() if "/synthetic/" not in k}
    result = make("-n", "study", "FIT_START_PS=7")  # a changed setting: the real run would rerun notebook 6
    assert result.returncode == 0, result.stderr
    assert "analysis.steps diffusion" in result.stdout and "-p fit_start_ps 7" in result.stdout
    # every cheap step of the study is listed, the hand-in's MD notebook too (its target once came out empty)
    for step in ("dataset", "learning_curve", "committee", "stability", "architecture", "pretraining", "summary",
                 "md_notebook"):
        assert f"analysis.steps {step} " in result.stdout, step
    assert {k: v for k, v in _tree_state(watched).items() if "/synthetic/" not in k} == before


def test_misspelt_setting_stops_with_the_closest_name():
    result = make("-n", "study", "FIT_STRT_PS=8")
    assert result.returncode != 0
    assert "unknown setting FIT_STRT_PS (did you mean FIT_START_PS?)" in result.stderr
    assert make("-s", "print-FIT_START_PS", "FIT_START_PS=8").stdout.strip() == "8"


def test_forced_rebuild_does_not_reinstall_the_environment():
    result = make("-B", "install")
    assert result.returncode == 0 and "kept" in result.stdout and "pip install" not in result.stdout


def test_redo_names_the_steps_to_force():
    assert steps.redo_requested("diffusion", "1") and steps.redo_requested("diffusion", "all")
    assert steps.redo_requested("diffusion", "committee,diffusion")
    assert not steps.redo_requested("diffusion", "committee") and not steps.redo_requested("diffusion", "")
    assert not steps.redo_requested("diffusion", "0")


def test_a_step_depends_only_on_the_analysis_modules_its_code_reaches():
    """Notebook 1 reaches explore (and what that imports), not the hand-in or the pre-training code: editing those
    reruns no dataset notebook. A command without study code keeps every input."""
    modules = sorted((paths.ROOT / "analysis").glob("*.py"))
    command = [sys.executable, "-m", "analysis.notebooks", "study/01_dataset.py", "out.ipynb"]
    kept = {p.stem for p in steps.code_inputs(command, modules + [paths.ROOT / "study/01_dataset.py"])}
    assert {"__init__", "notebooks", "explore", "data", "plotting", "01_dataset"} <= kept
    assert not {"handin", "pretraining", "render", "bench"} & kept
    assert steps.code_inputs(["cp", "a", "b"], modules) == modules
    # the digest changes with a reached module only
    assert steps.inputs_record(command, modules) == steps.inputs_record(
        command, [p for p in modules if p.stem != "handin"])


def test_imports_inside_functions_and_module_names_in_strings_count(tmp_path):
    source = tmp_path / "code.py"
    source.write_text("import os\nfrom analysis import paths, runs as r\n\ndef f():\n    from analysis.arrhenius import KB\n"
                      "    import analysis.md\n    return ['python', '-m', 'analysis.teacher', 'label']\n")
    assert steps.imported_modules(source) == {"paths", "runs", "arrhenius", "md", "teacher"}
