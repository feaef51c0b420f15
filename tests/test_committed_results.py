"""The committed results check out without recomputing: the committed model reproduces the committed
test errors and the first steps of a committed MD run (same code, same seed, same settings)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import data, evaluation, md, model, paths, plan, run_files, runs

DERIVED = paths.ROOT / "data" / "derived"
PRODUCTION_PS = 5.0  # of the slow check at the top temperature
# a fitted run of the production model: the one the hand-in shows (the plan's [handin] md_run)
FIT_RUN = plan.load(paths.ROOT / "study" / "plan.toml")["handin"]["md_run"]


@pytest.fixture(scope="module")
def summary() -> dict:
    if not (DERIVED / "summary.json").exists():
        pytest.skip("no committed results yet (make report)")
    return runs.read_json(DERIVED / "summary.json")


def test_committed_model_reproduces_its_test_errors(summary, study):
    model_file = paths.ROOT / summary["model"]["path"]
    assert model.file_sha256(model_file) == summary["model"]["sha256"]
    split = runs.read_json(DERIVED / "split.json")
    assert split["sha256"] == summary["dataset"]["sha256"] == data.DATASET_SHA256
    frames = data.read_extxyz(paths.dataset_xyz())  # the pinned dataset, fetched, verified and decoded
    _, errors = evaluation.evaluate(model_file, [frames[i] for i in split["test_indices"]])
    for key in ("test_force_rmse_meV_per_A", "test_energy_rmse_meV_per_atom", "test_force_rmse_S_meV_per_A"):
        assert errors[key] == pytest.approx(summary["model"][key], abs=0.05), key


def test_committed_md_run_restarts_identically(summary, study, tmp_path):
    """The first 0.2 ps of a fitted run again, from its recorded settings: the same temperatures."""
    committed = paths.ROOT / "data" / "runs" / FIT_RUN
    record = runs.read_json(committed / "settings.json")
    model_file = paths.ROOT / summary["model"]["path"]
    assert record["model_sha256"] == model.file_sha256(model_file)
    settings = md.MDSettings(**{**record["settings"], "equilibration_ps": 0.2, "production_ps": 0.02})
    md.run_md(settings, model_file, tmp_path / "again")
    again = run_files.read_thermo(tmp_path / "again" / "thermo.csv")[:10]
    before = run_files.read_thermo(committed / "thermo.csv")[:10]
    assert [r["step"] for r in again] == [r["step"] for r in before]
    assert np.allclose([float(r["temperature_K"]) for r in again], [float(r["temperature_K"]) for r in before],
                       atol=0.5)


@pytest.mark.slow
def test_production_model_stays_in_the_trained_region_at_the_top_temperature(summary, study, tmp_path):
    """5 ps at the hottest production temperature with the production protocol and the committee watching
    (stop above the committed limit): no failure, no atoms closer than the distance monitor allows."""
    committee = runs.read_json(DERIVED / "committee.json")
    top_K = max(r["temperature_K"] for r in summary["diffusion"])
    record = runs.read_json(paths.ROOT / "data" / "runs" / FIT_RUN / "settings.json")["settings"]
    settings = md.MDSettings(**{**record, "temperature_K": top_K, "seed": 11, "equilibration_ps": 0,
                                "production_ps": PRODUCTION_PS, "chunk_ps": 1.0,
                                "committee_model_paths": [str(paths.ROOT / m) for m in committee["members"]],
                                "max_committee_sigma_eV_A": committee["limit_eV_A"]})
    result = md.run_md(settings, paths.ROOT / summary["model"]["path"], tmp_path / "top")
    assert result["status"] == "done", result["failure"]
    assert result["min_distance_A"] > settings.min_distance_A


def test_committed_per_run_D_is_reproduced_to_the_last_digit(summary):
    """The diffusion analysis of a committed run, redone here, gives the committed D exactly: the analysis is
    deterministic across machines (kinisi's seeded sampler, the pinned BLAS kernel of analysis.numerics)."""
    from analysis import diffusion, numerics

    assert numerics.is_pinned(), numerics.blas_kernels()
    committed = runs.read_json(DERIVED / "diffusion.json")
    record = next((r for r in committed["per_run"] if r["run_name"] == FIT_RUN), None)
    assert record is not None, f"{FIT_RUN}, the plan's [handin] md_run, is not among the fitted runs"
    frames, interval_fs = run_files.read_positions(paths.ROOT / "data" / "runs" / FIT_RUN)
    again = diffusion.diffusion_coefficient([frames], interval_fs / 1000, committed["fit_start_ps"], seed=0)
    assert again["D_cm2_s"] == record["D_cm2_s"] and again["D_err_cm2_s"] == record["D_err_cm2_s"]


MAX_COMMITTED_BYTES = 10_000_000  # no file over 10 MB in git (a run's positions.npz at the 1000-ps cap: about 9.1 MB)


def test_no_committed_file_is_over_10_MB():
    import subprocess

    listed = subprocess.run(["git", "ls-files", "-z"], cwd=paths.ROOT, capture_output=True, text=True, check=True)
    files = [paths.ROOT / name for name in listed.stdout.split("\0") if name]
    too_big = {str(f.relative_to(paths.ROOT)): f.stat().st_size for f in files
               if f.is_file() and f.stat().st_size > MAX_COMMITTED_BYTES}
    assert too_big == {}, too_big
