"""The notebook runner (analysis.notebooks): one process per executed notebook."""

from __future__ import annotations

import json
import subprocess
import sys

from analysis import notebooks, paths, runs


def test_second_process_on_the_same_notebook_stops_without_touching_it(tmp_path):
    out = tmp_path / "run" / "notebook.ipynb"
    out.parent.mkdir()
    out.write_text("earlier result")
    with runs.exclusive(out.parent, ".notebook.notebook.lock", "notebook.ipynb"):  # a first process is running it
        result = subprocess.run([sys.executable, "-m", "analysis.notebooks", "study/01_dataset.py", str(out)],
                                cwd=paths.ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"ERROR: {out.parent}: another process is computing notebook.ipynb; wait for it or stop it")
    assert out.read_text() == "earlier result"
    assert sorted(p.name for p in out.parent.iterdir()) == [".notebook.notebook.lock", "notebook.ipynb"]


def test_every_line_of_each_parameters_cell_is_a_parameter_papermill_can_read():
    import jupytext

    from analysis import notebooks

    for source in sorted((paths.ROOT / "study").glob("*.py")):
        notebook = jupytext.read(source)
        cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
        assignments = [line.split("=")[0].strip() for line in cell.source.splitlines()
                       if line.strip() and not line.lstrip().startswith("#")]
        assert sorted(notebooks.declared_parameters(notebook)) == sorted(assignments), source


def test_a_misspelt_parameter_stops_before_anything_runs(tmp_path):
    out = tmp_path / "run" / "notebook.ipynb"
    result = subprocess.run([sys.executable, "-m", "analysis.notebooks", "study/04_md.py", str(out),
                             "-p", "temprature_K", "650"], cwd=paths.ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ERROR: study/04_md.py: unknown parameter temprature_K (it declares ")
    assert "temperature_K" in last
    assert not out.parent.exists()


def test_a_parameter_of_the_wrong_type_stops_with_its_name_before_anything_runs(tmp_path):
    out = tmp_path / "derived" / "notebook.ipynb"
    result = subprocess.run([sys.executable, "-m", "analysis.notebooks", "study/06_diffusion.py", str(out),
                             "-p", "fit_start_ps", "abc"], cwd=paths.ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ERROR: study/06_diffusion.py: parameter fit_start_ps='abc': expected a number (default 5.0)")
    assert not out.parent.exists()


def test_executed_notebooks_hold_project_paths_relative_to_the_root(tmp_path):
    nb = tmp_path / "run.ipynb"
    nb.write_text('{"text": ["%s/.venv/lib/site.py:10: UserWarning", "PosixPath(\'%s/data/runs/x\')", "/tmp/other", '
                  '"Popen([\'git\'], cwd=%s, shell=False)", "%s-old/x"]}' % (paths.ROOT, paths.ROOT, paths.ROOT, paths.ROOT))
    notebooks.project_relative(nb)
    assert nb.read_text() == ('{"text": [".venv/lib/site.py:10: UserWarning", "PosixPath(\'data/runs/x\')", "/tmp/other", '
                              '"Popen([\'git\'], cwd=., shell=False)", "%s-old/x"]}' % paths.ROOT)


def test_a_warning_from_a_cell_names_the_cell_not_the_kernels_temporary_file(tmp_path):
    nb = tmp_path / "run.ipynb"
    nb.write_text('{"text": ["/tmp/ipykernel_18194/3543885733.py:16: UserWarning: md-T900-seed1: excluded\\n", '
                  '"/var/folders/x/T/ipykernel_7/12.py:3: RuntimeWarning: overflow", "/tmp/ipykernel_notes.py:4: x"]}')
    notebooks.project_relative(nb)
    assert nb.read_text() == ('{"text": ["<cell>:16: UserWarning: md-T900-seed1: excluded\\n", '
                              '"<cell>:3: RuntimeWarning: overflow", "/tmp/ipykernel_notes.py:4: x"]}')


def test_the_executed_notebook_names_its_source_not_the_temporary_copy(tmp_path):
    nb = tmp_path / "run.ipynb"
    nb.write_text('{"cells": [], "metadata": {"papermill": {"input_path": "/tmp/tmpab12/04_md.ipynb", "parameters": {}}}}')
    notebooks.record_source(nb, paths.ROOT / "study" / "04_md.py")
    metadata = json.loads(nb.read_text())["metadata"]["papermill"]
    assert metadata == {"input_path": "study/04_md.py", "parameters": {}}


def test_no_committed_file_holds_this_machines_project_path():
    """Committed results, notebooks and report hold paths relative to the project (a fresh clone elsewhere reads
    the same bytes)."""
    import subprocess

    for pattern in (["-F", str(paths.ROOT)], ["-E", r"/[A-Za-z0-9_.+-]+/\.venv[A-Za-z0-9_-]*/lib/"],  # any clone's
                    ["-F", '"input_path": "/'],  # papermill's temporary copy instead of the study/ source
                    ["-E", r"ipykernel_[0-9]+/[0-9]+\.py"]):  # the kernel's temporary file for a cell's warning
        listed = subprocess.run(["git", "grep", "-l", "-I", *pattern, "--", "data", "report", "study"],
                                cwd=paths.ROOT, capture_output=True, text=True)
        assert listed.stdout.split() == [], listed.stdout
