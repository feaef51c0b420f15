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
