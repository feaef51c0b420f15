"""Plan runs continued on another machine (analysis.gpu): the jobs as make would run them, runs side by side until a
deadline, their committed files packed, and put in place here. Run on this machine's CPU, the same code paths as on a
GPU (the device only changes where the model is evaluated)."""

from __future__ import annotations

import json
import time

import pytest

from analysis import data, explore, gpu, md, paths, runs


def test_notebook_parameters_build_the_settings_the_notebook_builds(study):
    """Every notebook-4 parameter is either a run parameter or accepted by md.settings_from_parameters, with the
    notebook's defaults giving MDSettings' defaults: the GPU machine builds runs as the notebook does."""
    _dataset_json()
    defaults = gpu.notebook_defaults()
    assert defaults["compile_mode"] == "none" and isinstance(defaults["temperature_K"], float)
    settings = md.settings_from_parameters(**{k: v for k, v in defaults.items() if k not in gpu.RUN_PARAMETERS})
    assert settings.production_ps == defaults["production_ps"] and settings.pair_min_distance_A
    assert not settings.core_repulsion_onset_A and not settings.committee_model_paths


def test_a_plan_job_has_the_parameters_make_gives_notebook_4(monkeypatch):
    """From the project's plan (make -n -B): the pending series' model, temperature and seed, floats as the
    notebook's; for a run that is finished (md-T400-seed3-pt is) as for one still to run."""
    monkeypatch.delenv("LIPS_STUDY_DIR", raising=False)
    name = "md-T400-seed3-pt"
    job = gpu.job(name)
    assert job["run_name"] == name and job["temperature_K"] == 400.0 and job["seed"] == 3
    assert job["model_path"].endswith("train-c32-L1-r5-n160-seed1-ep120-pt/mace_stagetwo.model")
    assert isinstance(job["production_ps"], float) and job["timestep_fs"] == 2.0
    with pytest.raises(ValueError, match="md-T123-seed9: not a run of the plan"):
        gpu.job("md-T123-seed9")


def test_runs_side_by_side_are_packed_and_put_back_with_each_devices_steps(study, tiny_model, tmp_path):
    """One tiny run finishes, one is stopped at the deadline before its first checkpoint; the archive holds only
    the files git keeps; unpacked into an empty study they stand where they stood, and never over a run that
    moved further here."""
    _dataset_json()
    base = {**gpu.notebook_defaults(), "model_path": str(tiny_model), "timestep_fs": 1.0, "equilibration_ps": 0.01,
            "production_ps": 0.04, "sample_interval_fs": 2.0, "chunk_ps": 0.01, "min_distance_A": 0.5,
            "temperature_K": 500.0}
    jobs = {"md-T500-seed1-gputest": {**base, "run_name": "md-T500-seed1-gputest"}}
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    rows = gpu.series(tmp_path / "jobs.json", time.time() + 300, tmp_path / "out")
    assert rows == [{"run": "md-T500-seed1-gputest", "exit": 0, "step": 50, "steps_by_device": {"cpu": 50},
                     "finished": True}]
    run = paths.run_dir("md-T500-seed1-gputest")
    summary = runs.read_json(run / "summary.json")
    assert summary["steps_by_device"] == {"cpu": 50} and summary["compile_mode"] is None
    kept = {p.name: p.read_bytes() for p in run.iterdir() if gpu.RUN_FILES.match(p.name)}
    assert "thermo.csv" in kept and "positions.npz" in kept

    # stopped at once: nothing made, reported, and the archive is still written
    late = {"md-T500-seed2-gputest": {**base, "seed": 2, "run_name": "md-T500-seed2-gputest", "production_ps": 5.0}}
    (tmp_path / "late.json").write_text(json.dumps(late))
    [row] = gpu.series(tmp_path / "late.json", time.time(), tmp_path / "late")
    assert row["exit"] != 0 and row["step"] is None and not row["finished"]

    # put back into a study that lost the run: the same files; a run file the archive lacks (here: a summary the
    # lease set aside) goes, other files stay; a second unpack keeps what is here
    for p in list(run.iterdir()):
        if p.is_file():
            p.unlink()
    (run / "summary-production0.02ps.json").write_text("{}")
    (run / "notes.txt").write_text("mine")
    assert gpu.unpack(tmp_path / "out" / "series.tar.gz") == ["md-T500-seed1-gputest"]
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == {**kept, "notes.txt": b"mine"}
    assert gpu.unpack(tmp_path / "out" / "series.tar.gz") == []


def _dataset_json() -> None:
    """derived/dataset.json of the private study (notebook 1 writes it in the study): its pair minima."""
    path = paths.derived_dir() / "dataset.json"
    if not path.exists():
        stats = explore.statistics(data.read_extxyz(paths.dataset_xyz()))
        runs.write_json(path, {"min_pair_distance_A": stats["min_pair_distance_A"]})


def test_a_checkpoint_from_before_the_record_counts_its_steps_as_the_cpus(tiny_model, tmp_path):
    """Runs checkpointed before steps_by_device existed were all made on CPUs: continued, they add to that count."""
    settings = dict(temperature_K=500.0, timestep_fs=1.0, equilibration_ps=0.01, sample_interval_fs=2.0,
                    chunk_ps=0.01, min_distance_A=0.5)
    run = tmp_path / "old"
    md.run_md(md.MDSettings(production_ps=0.02, **settings), tiny_model, run)
    state = runs.read_json(run / "checkpoint.json")
    assert state.pop("steps_by_device") == {"cpu": 30}
    assert state.pop("wall_s_by_device")["cpu"] == pytest.approx(state["wall_time_s"])
    runs.write_json(run / "checkpoint.json", state)
    summary = md.run_md(md.MDSettings(production_ps=0.04, **settings), tiny_model, run)
    assert summary["steps_by_device"] == {"cpu": 50}
    assert summary["wall_s_by_device"]["cpu"] == pytest.approx(summary["wall_time_s"])


def test_wall_time_by_device_of_older_records():
    """Recorded: as recorded; before the record, one device: all of it; two devices: shared by steps (estimate)."""
    assert md.wall_by_device({"wall_time_s": 9.0, "wall_s_by_device": {"cpu": 5.0, "gpu": 4.0}}) == {"cpu": 5.0,
                                                                                                     "gpu": 4.0}
    assert md.wall_by_device({"wall_time_s": 9.0}) == {"cpu": 9.0}
    assert md.wall_by_device({"wall_time_s": 9.0, "steps_by_device": {"gpu": 30, "cpu": 0}}) == {"gpu": 9.0}
    assert md.wall_by_device({"wall_time_s": 9.0, "steps_by_device": {"cpu": 20, "gpu": 10}}) == {"cpu": 6.0,
                                                                                                  "gpu": 3.0}
