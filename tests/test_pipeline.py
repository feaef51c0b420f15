"""The whole pipeline end to end on tiny settings (make smoke), its rerun, and failure handling."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis import paths, render, report_values

pytestmark = pytest.mark.usefixtures("study")
SMOKE_PLAN = "PLAN=study/plan-smoke.toml"  # the smoke run's plan (make smoke passes it)


def make(*args: str, cwd: Path = paths.ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["make", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "MAKEFLAGS": ""})


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("smoke")
    result = make("smoke", f"SMOKE_DIR={out}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def test_smoke_pipeline_produces_summary_figures_and_report(smoke):
    summary = json.loads((smoke / "derived" / "summary.json").read_text())
    for key in ("dataset", "model", "learning_curve", "diffusion", "arrhenius", "provenance", "stability", "committee",
                "architecture"):
        assert key in summary
    assert summary["dataset"]["n_test"] == 40 and len(summary["dataset"]["test_indices"]) == 40
    assert (paths.ROOT / summary["model"]["path"]).exists() or Path(summary["model"]["path"]).exists()
    assert {r["temperature_K"] for r in summary["diffusion"]} == {600, 800}
    for name in ("dataset_overview", "production_parity", "learning_curve", "msd", "arrhenius", "stability",
                 "committee", "architecture"):
        assert (smoke / "derived" / "figures" / f"{name}.png").stat().st_size > 1000
    # notebook 2 of the hand-in: the production run's notebook executed again, with its answers
    shown = json.loads((smoke / "derived" / "notebooks" / "02_train.ipynb").read_text())
    assert any("How accurate is the model?" in "".join(o["data"]["text/markdown"])
               for c in shown["cells"] for o in c.get("outputs", []) if "text/markdown" in o.get("data", {}))
    html = (smoke / "report" / "report.html").read_text()
    assert (smoke / "report" / "report.pdf").read_bytes()[:4] == b"%PDF"
    assert "<img" in html and "data:image/png;base64" in html  # self-contained
    # the numbers in the report are the numbers in summary.json
    markdown = (smoke / "report" / "report.md").read_text()
    values = report_values.variables(summary)
    for key in ("force_rmse", "energy_rmse", "Ea", "Ea_err", "sigma300_mS_cm", "n_test"):
        assert values[key] in markdown
    assert "@fig-" not in markdown and "@tbl-" not in markdown and "{{<" not in markdown
    assert render.word_count(markdown) <= 1500
    # the production architecture is one of the smoke run's candidates, so its speed/error ratios are numbers
    assert values["arch_prod_speed_ratio"] != "n/a" and values["arch_n"] == "2"


def test_second_make_recomputes_nothing(smoke):
    scratch = {"report", "_build"}  # the rendered report and its build folder are remade by every render
    files = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in smoke.rglob("*") if p.is_file() and not scratch & set(p.parts)}
    result = make("smoke", f"SMOKE_DIR={smoke}")
    assert result.returncode == 0
    assert ": running (" not in result.stdout and "inputs unchanged" in result.stdout
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in smoke.rglob("*") if p.is_file() and not scratch & set(p.parts)}
    assert after == files  # not a byte, not a file time


def test_changed_setting_reruns_only_the_steps_that_read_it(smoke):
    """`make study FIT_START_PS=…` reruns notebook 6 and what reads its results (notebook 7 quotes the analysed
    temperatures, and the summary), nothing else."""
    settings = shlex.split(make("-s", "print-SMOKE", f"SMOKE_DIR={smoke}").stdout)
    changed = settings + ["FIT_START_PS=0.1"]  # the plan's default overridden on the command line
    result = make("study", *changed)
    assert result.returncode == 0, result.stderr[-2000:]
    ran = {line.split(":")[0] for line in result.stdout.splitlines() if ": running (" in line}
    assert ran == {"diffusion", "stability", "summary"}, ran
    assert json.loads((smoke / "derived" / "diffusion.json").read_text())["fit_start_ps"] == 0.1
    result = make("study", *settings)  # back to the smoke settings: notebook 6 reruns with them
    assert "diffusion: running (" in result.stdout
    assert json.loads((smoke / "derived" / "diffusion.json").read_text())["fit_start_ps"] == 0.05


def test_failed_notebook_is_kept_but_not_done(smoke):
    run = smoke / "runs" / "md-T-100-seed1"
    result = subprocess.run(
        [sys.executable, "-m", "analysis.notebooks", "study/04_md.py", str(run / "notebook.ipynb"),
         "-p", "temperature_K", "-100", "-p", "model_path", str(smoke / "model" / "lips_mace.model"),
         "-p", "run_name", run.name],
        cwd=paths.ROOT, capture_output=True, text=True, env={**os.environ, "LIPS_STUDY_DIR": str(smoke)})
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ERROR: study/04_md.py failed") and "temperature_K=-100" in last
    # refused before it started: no run folder is left behind; the failed notebook is kept in the temp folder
    assert not run.exists()
    kept = Path(last.split("(kept as ")[1].split(")")[0])
    assert kept.exists() and kept.parent != run and kept.name.endswith("notebook.failed.ipynb")


def _snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_make_stops_with_the_error_on_bad_parameters(smoke):
    before = _snapshot(smoke)
    result = make("md", f"STUDY={smoke}", SMOKE_PLAN, "T=0", "SEED=1")
    assert result.returncode != 0
    assert "temperature_K=0" in result.stderr
    result = make("md", f"STUDY={smoke}", SMOKE_PLAN, "T=650", "SEED=1", "TIMESTEP_FS=0")
    assert result.returncode != 0
    assert "MDError: timestep_fs=0: must be a positive number" in result.stderr.strip().splitlines()[-2]
    result = make("train", f"STUDY={smoke}", SMOKE_PLAN, "ARCH=tiny", "N_TRAIN=500", "EPOCHS=1", "STAGE2=null")
    assert result.returncode != 0
    assert "n_train=500 is larger than the 160 training configurations" in result.stderr.strip().splitlines()[-2]
    result = make("train", f"STUDY={smoke}", SMOKE_PLAN, "ARCH=c999", "N_TRAIN=20", "EPOCHS=1", "STAGE2=null")
    assert result.returncode != 0 and "architecture 'c999' unknown" in result.stderr
    result = make("md", f"STUDY={smoke}", SMOKE_PLAN, "T=abc", "SEED=1")
    assert result.returncode != 0 and "temperature_K" in result.stderr
    after = _snapshot(smoke)
    assert {p: after.get(p) for p in before} == before  # nothing computed earlier changed or vanished
    assert set(after) == set(before)  # and no run that never started left a folder (md-Tabc-seed1, ...)


def test_corrupt_full_lips_file_stops_make_with_one_line_and_keeps_the_old_dataset(tmp_path, frames):
    """SOURCE=full with a lips.xyz whose configuration 3 has a NaN force: make fails, naming file and problem."""
    from ase.io import write

    cache, study = tmp_path / "cache", tmp_path / "study"
    cache.mkdir()
    bad = [f.copy() for f in frames[:6]]
    for f, original in zip(bad, frames[:6]):
        f.info, f.arrays["REF_forces"] = dict(original.info), original.arrays["REF_forces"].copy()
    bad[3].arrays["REF_forces"][5, 1] = np.nan
    write(cache / "lips.xyz", bad, format="extxyz")
    earlier = study / "derived" / "dataset.json"
    committed = [earlier, study / "derived" / "split.json", study / "derived" / "figures" / "dataset_overview.png"]
    for path in committed:  # outputs of an earlier run (committed, in the real study), older than the notebook
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{"earlier": true}')
        os.utime(path, (0, 0))
    result = subprocess.run(["make", str(earlier), f"STUDY={study}", "SOURCE=full", "N_CONFIGS=null"], cwd=paths.ROOT,
                            capture_output=True, text=True,
                            env={**os.environ, "MAKEFLAGS": "", "LIPS_CACHE_DIR": str(cache)})
    assert result.returncode != 0
    line = result.stderr.strip().splitlines()[-2]  # the last line is make's own "*** Error"
    assert line.startswith("ERROR: ") and f"{cache / 'lips.xyz'}: configuration 3" in line
    assert "NaN" in line
    assert all(path.read_text() == '{"earlier": true}' for path in committed)  # nothing lost, nothing rewritten


def test_truncated_dataset_in_the_cache_stops_make_and_is_left_alone(tmp_path):
    """A truncated download in the cache: make stops with the checksum error, nothing is written, the file stays."""
    from analysis import data
    from conftest import dataset_file

    cache, study = tmp_path / "cache", tmp_path / "study"
    cache.mkdir()
    truncated = cache / data.DATASET_FILENAME
    truncated.write_bytes(dataset_file().read_bytes()[:100_000])
    before = truncated.read_bytes()
    result = subprocess.run(["make", str(study / "derived" / "dataset.json"), f"STUDY={study}"], cwd=paths.ROOT,
                            capture_output=True, text=True,
                            env={**os.environ, "MAKEFLAGS": "", "LIPS_CACHE_DIR": str(cache),
                                 "LIPS_DATASET_URL": "http://127.0.0.1:9/data.lmdb"})
    assert result.returncode != 0
    line = result.stderr.strip().splitlines()[-2]  # the last line is make's own "*** Error"
    assert line.startswith("ERROR: ") and "does not match the pinned" in line
    assert str(truncated) in line
    assert truncated.read_bytes() == before and not (study / "derived" / "dataset.json").exists()


def test_missing_dataset_stops_the_study_with_one_clear_line(tmp_path):
    """Empty cache + unreachable download: one ERROR line naming the URL and the cache path."""
    env = {**os.environ, "LIPS_CACHE_DIR": str(tmp_path / "cache"), "LIPS_STUDY_DIR": str(tmp_path / "study"),
           "LIPS_DATASET_URL": "http://127.0.0.1:9/data.lmdb"}
    result = subprocess.run([sys.executable, "-m", "analysis.notebooks", "study/01_dataset.py",
                             str(tmp_path / "study" / "01.ipynb")], cwd=paths.ROOT, capture_output=True,
                            text=True, env=env)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ERROR:") and "127.0.0.1:9/data.lmdb" in last
    assert str(tmp_path / "cache" / "lips_dev_matsciml.lmdb") in last
    assert not (tmp_path / "study" / "derived" / "dataset.json").exists()


def test_killed_training_resumes_from_its_checkpoint(study, tmp_path):
    """Ctrl-C, then SIGKILL, during mace-torch training, each followed by the same call: it goes on from a checkpoint."""
    import signal
    import time

    run = tmp_path / "train-killed"
    # Ctrl-C as in a terminal: a child of a background job (make test &) inherits SIGINT ignored
    code = ("import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "from analysis import training; training.train(training.TrainSettings(architecture='tiny', "
            "n_train=10, seed=1, max_epochs=12, stage_two_start_epoch=None, eval_interval=1), "
            f"{str(run)!r})")

    def checkpoints() -> set[str]:
        return {p.name for p in (run / "checkpoints").glob("*.pt")}

    seen: set[str] = set()
    for sig in (signal.SIGINT, signal.SIGKILL):
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=paths.ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.time() + 180
        while not (checkpoints() - seen) and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(sig)
        assert proc.wait() != 0
        assert checkpoints() - seen, f"no new checkpoint was written before {sig.name}"
        assert not (run / "summary.json").exists()  # an interrupted run never looks finished
        seen = checkpoints()
    result = subprocess.run([sys.executable, "-c", code], cwd=paths.ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "done"
    # after each interruption mace-torch loaded the checkpoint and went on from its epoch, not from epoch 0
    # (a checkpoint it fails to load is skipped silently, and training starts again)
    restarts = resumed_epochs((run / "logs" / "mace_run-1.log").read_text())
    assert len(restarts) == 2 and all(loaded == first for loaded, first in restarts), restarts


def resumed_epochs(log: str) -> list[tuple[int, int]]:
    """(epoch of the checkpoint loaded, first epoch trained after it) for each restart in a mace-torch log."""
    import re

    restarts, loaded = [], None
    for line in log.splitlines():
        if match := re.search(r"Loading checkpoint: .*_epoch-(\d+)\.pt", line):
            loaded = int(match[1])
        elif (match := re.search(r"INFO: Epoch (\d+):", line)) and loaded is not None:
            restarts.append((loaded, int(match[1])))
            loaded = None
    return restarts


def test_launch_prefix_wraps_every_notebook_run(smoke, tmp_path):
    """LAUNCH="srun …" style prefix: here a recorder script that logs its command and runs it."""
    log = tmp_path / "launched.txt"
    recorder = tmp_path / "record"
    recorder.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec "$@"\n')
    recorder.chmod(0o755)
    result = make("md", f"STUDY={smoke}", SMOKE_PLAN, "T=700", "SEED=3",
                  "TIMESTEP_FS=1.0", "MD_COMPILE=none", "EQUIL_PS=0.02", "PROD_PS=0.1", "CHUNK_PS=0.05",
                  "MIN_DIST=0.5", "PAIR_FRAC=0", f"LAUNCH={recorder}")
    assert result.returncode == 0, result.stderr[-2000:]
    launched = log.read_text().splitlines()
    assert len(launched) == 1 and "analysis.notebooks study/04_md.py" in launched[0] and "md-T700-seed3" in launched[0]
    assert json.loads((smoke / "runs" / "md-T700-seed3" / "summary.json").read_text())["status"] == "done"
