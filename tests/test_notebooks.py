"""The notebook runner (analysis.notebooks): one process per executed notebook."""

from __future__ import annotations

import subprocess
import sys

from analysis import paths, runs


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
