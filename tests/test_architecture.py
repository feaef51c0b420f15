"""Accuracy against speed of candidate architectures (analysis.architecture)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import architecture, data, paths, runs


def test_speed_of_a_real_model_is_measured_once_and_kept(tiny_model):
    table = pd.DataFrame({"run_name": ["tiny-model"], "architecture": ["tiny"], "model_path": [str(tiny_model)]})
    atoms = data.read_extxyz(paths.test_xyz())[0]
    architecture.speed_file().unlink(missing_ok=True)
    out = architecture.measure_speed(table, atoms, steps=3, repeats=1, timestep_fs=1.0)
    steps = out.loc[0, "steps_per_cpu_s"]
    assert steps > 0
    assert out.loc[0, "ns_per_day_per_core"] == pytest.approx(steps * 1.0 * 86400e-6)
    assert "steps_per_cpu_s" not in table  # the input table is not modified
    kept = runs.read_json(architecture.speed_file())["models"]["tiny-model"]
    assert kept["steps_per_cpu_s"] == steps and kept["measured"] and kept["cpu"]
    again = architecture.measure_speed(table, atoms, steps=3, repeats=1, timestep_fs=1.0)  # reused, not re-timed
    assert again.loc[0, "steps_per_cpu_s"] == steps and again.loc[0, "measured"] == kept["measured"]
    remeasured = architecture.measure_speed(table, atoms, steps=3, repeats=1, timestep_fs=1.0, remeasure=True)
    assert remeasured.loc[0, "measured"] >= kept["measured"]


def test_pareto_front_keeps_runs_nothing_beats_in_both():
    table = pd.DataFrame({"test_force_rmse_meV_per_A": [50.0, 40.0, 60.0, 40.0],
                          "ns_per_day_per_core": [2.0, 1.0, 1.5, 0.5]})
    # run 2 is slower and worse than run 0; run 3 is as accurate as run 1 but slower
    assert architecture.pareto(table).tolist() == [True, True, False, False]


def test_missing_candidate_run_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"train-x/evaluation.json: not found; train this candidate"):
        architecture.collect([tmp_path / "train-x"])
