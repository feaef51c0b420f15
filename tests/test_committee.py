"""Committee force disagreement (analysis.committee)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import committee, md, paths, temperature_series, training


def test_disagreement_is_zero_for_identical_models_and_grows_off_data(tiny_model, frames):
    same = committee.force_disagreement(committee.calculators([tiny_model, tiny_model]), frames[:2])
    assert np.allclose(same, 0.0, atol=1e-5)
    settings = training.TrainSettings(architecture="tiny", n_train=10, seed=7, max_epochs=3,
                                      stage_two_start_epoch=2, eval_interval=1)
    other = training.final_model_path(training.train(settings, paths.run_dir("tiny-model-seed7")), settings)
    pair = committee.calculators([tiny_model, other])
    on_data = committee.force_disagreement(pair, frames[:3])
    squeezed = [f.copy() for f in frames[:3]]
    for f in squeezed:
        f.set_cell(f.cell * 0.85, scale_atoms=True)  # far from anything in the training data
    off_data = committee.force_disagreement(pair, squeezed)
    assert np.all(on_data > 0) and off_data.mean() > on_data.mean()
    with pytest.raises(ValueError, match="at least 2"):
        committee.calculators([tiny_model])


def test_disagreement_along_an_md_run_from_its_positions_file(tiny_model, tmp_path):
    settings = md.MDSettings(temperature_K=500.0, seed=1, timestep_fs=1.0, equilibration_ps=0.01, production_ps=0.1,
                             sample_interval_fs=10.0, chunk_ps=0.05, min_distance_A=0.5)
    md.run_md(settings, tiny_model, tmp_path / "runs" / "md-T500-seed1")
    used, _ = temperature_series.collect_runs(tmp_path / "runs")
    for chunk in (tmp_path / "runs" / "md-T500-seed1" / "chunks").glob("*.traj"):
        chunk.unlink()  # works from the committed positions.npz alone
    rows = committee.along_runs(committee.calculators([tiny_model, tiny_model]), used, every_ps=0.1)
    assert [r["time_ps"] for r in rows] == [0.0] and rows[0]["temperature_K"] == 500.0
    assert rows[0]["sigma_max_eV_A"] < 1e-5  # identical members agree


def test_committee_before_a_failure_skips_a_run_stopped_in_equilibration(tiny_model):
    """A run the distance monitor stopped before production has no production frames: no last 2 ps to judge (the
    study's notebook 5 once failed on md-T550-seed3-pt, stopped 5 ps into equilibration)."""
    settings = md.MDSettings(temperature_K=500.0, seed=9, timestep_fs=1.0, equilibration_ps=0.01, production_ps=0.02,
                             sample_interval_fs=10.0, chunk_ps=0.01, min_distance_A=5.0)  # every configuration too close
    summary = md.run_md(settings, tiny_model, paths.run_dir("md-T500-seed9-stopped"))
    assert summary["status"] == "unstable" and summary["n_frames"] == 0
    stopped = [{"run_name": "md-T500-seed9-stopped", "temperature_K": 500.0, "failure": summary["failure"]}]
    assert committee.before_failure(committee.calculators([tiny_model, tiny_model]), stopped) == []


def test_runs_above_the_limit_leave_the_diffusion_analysis():
    from analysis import temperature_series

    along = [{"run_name": "md-T500-seed1", "temperature_K": 500, "time_ps": t, "sigma_max_eV_A": s, "n_P_undercoordinated": 0}
             for t, s in [(0.0, 0.2), (1.0, 0.3)]]
    along += [{"run_name": "md-T750-seed1", "temperature_K": 750, "time_ps": t, "sigma_max_eV_A": s, "n_P_undercoordinated": n}
              for t, s, n in [(0.0, 0.2, 0), (1.0, 0.5, 1), (2.0, 0.9, 1), (3.0, 0.3, 0)]]
    table = committee.per_run(along, limit_eV_A=0.42)
    assert [r["left_trained_region"] for r in table] == [False, True]
    assert table[1]["first_above_limit_ps"] == 1.0 and table[1]["sigma_max_eV_A"] == 0.9
    assert table[1]["fraction_frames_P_S_broken"] == 0.5
    used = [{"run_name": n, "settings": {"temperature_K": T, "seed": 1}} for n, T in
            [("md-T500-seed1", 500), ("md-T750-seed1", 750)]]
    with pytest.warns(UserWarning, match="md-T750-seed1: excluded.*left the trained region after 1 ps"):
        kept, excluded = temperature_series.exclude_extrapolating(used, [], table)
    assert [r["run_name"] for r in kept] == ["md-T500-seed1"]
    assert excluded[0]["run_name"] == "md-T750-seed1" and excluded[0]["temperature_K"] == 750
    with pytest.raises(ValueError, match="md-T640-seed1: not in the committee results"):
        temperature_series.exclude_extrapolating([{**used[0], "run_name": "md-T640-seed1"}], [], table)


def test_the_series_the_fit_replaced_gets_a_panel_of_its_own():
    import pandas as pd

    from analysis import plotting

    along = pd.DataFrame([{"run_name": name, "temperature_K": T, "time_ps": t, "sigma_max_eV_A": 0.05 + 0.01 * t}
                          for name, T in [("md-T500-seed1-pt", 500), ("md-T500-seed1", 500), ("md-T750-seed1", 750)]
                          for t in range(5)])
    fig = plotting.committee(along, 0.1, 0.4, probe_runs=["md-T750-seed1"], previous_runs=["md-T500-seed1"])
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["temperature series", "probes (not in the fit)", "previous series (not in the fit)"]
    assert [len(ax.get_lines()) - 2 for ax in fig.axes] == [1, 1, 1]  # one run each, besides the two reference lines
    fig = plotting.committee(along, 0.1, 0.4, probe_runs=["md-T750-seed1"])  # no previous series: it is the series
    assert [ax.get_title() for ax in fig.axes] == ["temperature series", "probes (not in the fit)"]


def test_events_text_says_when_each_run_left_the_trained_region_in_ps_of_production():
    import pandas as pd

    events = pd.DataFrame([
        {"run_name": "md-T600-seed2-pt", "first_event": "PS4_break", "first_event_ps": 58.6},
        {"run_name": "md-T550-seed3-pt", "first_event": "stopped", "first_event_ps": 0.0,
         "stopped_in_equilibration": True},
        {"run_name": "md-T900-seed1", "first_event": "stopped", "first_event_ps": 33.68},
        # stopped at the first step of production: 0 ps of production, but not in equilibration
        {"run_name": "md-T450-seed1-pt", "first_event": "stopped", "first_event_ps": 0.0},
        {"run_name": "md-T500-seed1-pt", "first_event": None, "first_event_ps": None}]).fillna(
        {"stopped_in_equilibration": False})
    assert committee.events_text(events) == (
        "md-T600-seed2-pt: first broken PS4 unit at 58.6 ps; md-T550-seed3-pt: stopped by the distance monitor in "
        "equilibration; md-T900-seed1: stopped by the distance monitor at 33.68 ps; md-T450-seed1-pt: stopped by "
        "the distance monitor at 0 ps")
    assert committee.events_text(events.iloc[4:]) == "none"
