"""Committee force disagreement (analysis.committee)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import committee, paths, training


def test_disagreement_is_zero_for_identical_models_and_grows_off_data(tiny_model, frames):
    same = committee.force_disagreement([tiny_model, tiny_model], frames[:2])
    assert np.allclose(same, 0.0, atol=1e-5)
    settings = training.TrainSettings(architecture="tiny", n_train=10, seed=7, max_epochs=3,
                                      stage_two_start_epoch=2, eval_interval=1)
    other = training.final_model_path(training.train(settings, paths.run_dir("tiny-model-seed7")), settings)
    on_data = committee.force_disagreement([tiny_model, other], frames[:3])
    squeezed = [f.copy() for f in frames[:3]]
    for f in squeezed:
        f.set_cell(f.cell * 0.85, scale_atoms=True)  # far from anything in the training data
    off_data = committee.force_disagreement([tiny_model, other], squeezed)
    assert np.all(on_data > 0) and off_data.mean() > on_data.mean()
    with pytest.raises(ValueError, match="at least 2"):
        committee.force_disagreement([tiny_model], frames[:1])
