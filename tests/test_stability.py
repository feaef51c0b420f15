"""Time to first event of production MD runs (analysis.stability)."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd

from analysis import md, model, run_files, runs, stability, structure


def _short(seed: int, **extra) -> md.MDSettings:
    return md.MDSettings(temperature_K=500.0, seed=seed, timestep_fs=1.0, equilibration_ps=0.01, production_ps=0.2,
                         sample_interval_fs=10.0, chunk_ps=0.1, **extra)


def test_production_events_time_each_way_of_leaving_the_data(tiny_model, frames, tmp_path):
    root = tmp_path / "runs"
    md.run_md(_short(1, min_distance_A=0.5), tiny_model, root / "md-T500-seed1")
    # a copy of run 1 whose two frames are a DFT configuration (every PS4 intact) and the same with one S
    # pulled 4 Å away: a broken PS4 unit at 0.1 ps in half of the frames
    shutil.copytree(root / "md-T500-seed1", root / "md-T500-seed2")
    summary = runs.read_json(root / "md-T500-seed2" / "summary.json")
    summary["run_name"], summary["settings"]["seed"] = "md-T500-seed2", 2
    runs.write_json(root / "md-T500-seed2" / "summary.json", summary)
    with np.load(root / "md-T500-seed2" / "positions.npz") as f:
        arrays = dict(f)
    assert arrays["positions_A"].shape[0] == 2
    pulled = frames[0].positions.copy()
    pulled[int(np.flatnonzero(frames[0].numbers == 16)[0])] += 4.0
    arrays["positions_A"] = np.array([frames[0].positions, pulled], dtype=np.float32)
    np.savez_compressed(root / "md-T500-seed2" / "positions.npz", **arrays)
    # a run the distance monitor stops during equilibration: Li–S and P–S pairs in the data sit below 2.3 Å
    md.run_md(_short(3, min_distance_A=2.3), tiny_model, root / "md-T500-seed3")

    committee_runs = [{"run_name": "md-T500-seed1", "left_trained_region": True, "first_above_limit_ps": 0.0},
                      {"run_name": "md-T500-seed2", "left_trained_region": False, "first_above_limit_ps": None}]
    events = stability.production_events(root, model.file_sha256(tiny_model), committee_runs).set_index("seed")
    assert events.loc[1, "first_event"] == "committee" and events.loc[1, "committee_ps"] == 0.0  # ties: committee
    assert events.loc[1, "reached_ps"] == 0.2 and np.isnan(events.loc[1, "stopped_ps"])
    broken = structure.undercoordinated(run_files.read_positions(root / "md-T500-seed1")[0]) > 0  # the tiny model's own
    assert events.loc[1, "broken_PS4_fraction"] == broken.mean()
    assert events.loc[2, "first_event"] == "PS4_break" and events.loc[2, "PS4_break_ps"] == 0.1
    assert events.loc[2, "broken_PS4_fraction"] == 0.5
    assert events.loc[3, "first_event"] == "stopped" and events.loc[3, "stopped_ps"] == 0.0
    assert events.loc[3, "stopped_in_equilibration"] and not events.loc[1:2, "stopped_in_equilibration"].any()
    assert events.loc[3, "reached_ps"] == 0.0 and events.loc[3, "planned_ps"] == events.loc[1, "planned_ps"] == 0.2
    assert " distance " in events.loc[3, "stop_reason"] and not events.loc[3, "committee_checked"]
    assert stability.production_events(root, "another model", committee_runs).empty

    table = stability.production_event_table(events.reset_index()).iloc[0]
    assert (table["n_runs"], table["n_committee"], table["n_stopped"]) == (3, 1, 1)
    assert table["n_PS4_break"] == 1 + int(broken.any())
    assert table["n_without_event"] == 0 and table["earliest_event_ps"] == 0.0


def test_the_choice_is_the_most_accurate_candidate_that_never_failed():
    summary = pd.DataFrame([
        {"model": "big", "core_repulsion": False, "temperature_K": 800.0, "n_failed": 1},
        {"model": "big", "core_repulsion": True, "temperature_K": 800.0, "n_failed": 0},
        {"model": "big", "core_repulsion": True, "temperature_K": 900.0, "n_failed": 0},
        {"model": "small", "core_repulsion": False, "temperature_K": 900.0, "n_failed": 0},
    ])
    errors = {"big": {"test_force_rmse_meV_per_A": 30.0}, "small": {"test_force_rmse_meV_per_A": 50.0}}
    assert stability.choose(summary, errors) == {"model": "big", "core_repulsion": True, "T_max": 900.0,
                                                 "test_force_rmse_meV_per_A": 30.0}
    summary.loc[2, "n_failed"] = 1  # the core-repulsion candidate failed once: the less accurate one is left
    assert stability.choose(summary, errors)["model"] == "small"
    summary["n_failed"] = 1
    assert stability.choose(summary, errors) is None


def test_the_window_sentence_does_not_put_the_top_of_the_fit_below_a_lower_failure():
    # a failure below the top of the fit (550 K seed 3 against a fit up to 600 K) does not cap the window there
    text = stability.window_sentence(550, 600)
    assert "lower" not in text and "from 550 K on" in text and "up to 600 K" in text
    assert "lower, at 500 K" in stability.window_sentence(550, 500)
    assert "just below 550 K" in stability.window_sentence(550, None)
