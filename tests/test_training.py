"""MACE training through mace-torch (analysis.training) and our evaluation (analysis.evaluation)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import data, evaluation, paths, runs, training


def test_tiny_training_run_writes_model_and_summary(tiny_model):
    run = tiny_model.parent
    summary = runs.read_json(run / "summary.json")
    assert summary["status"] == "done" and summary["n_train"] == 10
    assert "--pair_repulsion" in summary["mace_arguments"]  # ZBL on
    assert summary["git_commit"] and summary["versions"]["mace-torch"]
    assert tiny_model.exists() and tiny_model.name == "mace_stagetwo.model"
    train_indices = set(summary["train_config_indices"])
    test_indices = set(runs.read_json(paths.split_file())["test_indices"])
    assert train_indices and not train_indices & test_indices  # never trained on the test set


def test_evaluation_of_the_saved_model(tiny_model):
    test = data.read_extxyz(paths.test_xyz())[:5]
    pred, metrics = evaluation.evaluate(tiny_model, test)
    assert pred["forces_model_eV_A"].shape == (5, 83, 3)
    # recompute the force RMSE independently
    diff = (pred["forces_model_eV_A"] - pred["forces_ref_eV_A"]) * 1000
    assert metrics["test_force_rmse_meV_per_A"] == pytest.approx(np.sqrt(np.mean(diff**2)))
    per_element = [metrics[f"test_force_rmse_{el}_meV_per_A"] for el in ("Li", "P", "S")]
    assert min(per_element) <= metrics["test_force_rmse_meV_per_A"] <= max(per_element)
    assert 0 < metrics["test_force_rmse_meV_per_A"] < 5 * metrics["baseline_force_rmse_meV_per_A"]


def test_finished_run_is_reused_and_other_settings_are_refused(tiny_model):
    run = tiny_model.parent
    before = tiny_model.stat().st_mtime_ns
    settings = training.TrainSettings(architecture="tiny", n_train=10, seed=1, max_epochs=3,
                                      stage_two_start_epoch=2, eval_interval=1)
    assert training.train(settings, run) == run
    assert tiny_model.stat().st_mtime_ns == before
    other = training.TrainSettings(architecture="tiny", n_train=10, seed=2, max_epochs=3, stage_two_start_epoch=None)
    with pytest.raises(ValueError, match="holds a training run with other settings"):
        training.train(other, run)
    assert tiny_model.stat().st_mtime_ns == before


def test_a_run_recorded_before_a_setting_existed_is_still_that_run(tiny_model):
    """settings.json of a run made before TrainSettings gained a field (train_file, foundation_model) matches the
    same settings with that field at its default, and no other."""
    run = tiny_model.parent
    settings = training.TrainSettings(architecture="tiny", n_train=10, seed=1, max_epochs=3,
                                      stage_two_start_epoch=2, eval_interval=1)
    recorded = runs.read_json(run / "settings.json")
    assert training.is_trained(settings, run)
    older = {**recorded, "settings": {k: v for k, v in recorded["settings"].items()
                                      if k not in ("train_file", "foundation_model")}}
    assert training.same_identity(older, settings)
    assert not training.same_identity(older, training.TrainSettings(**{**recorded["settings"], "seed": 2}))
    assert not training.same_identity({**older, "pool_sha256": "0" * 64}, settings)
    assert not training.is_trained(training.TrainSettings(architecture="tiny", n_train=10, seed=2), run)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"architecture": "c999"}, "architecture 'c999' unknown"),
        ({"n_train": 500}, "n_train=500 is larger than the 160 training configurations"),
        ({"n_train": 1}, "at least 2"),
        ({"max_epochs": 0}, "max_epochs=0"),
        ({"dtype": "float16"}, "dtype='float16'"),
    ],
)
def test_bad_training_parameters_are_refused(study, kwargs, message):
    with pytest.raises(ValueError, match=message):
        training.TrainSettings(**kwargs).check(160)


def test_same_seed_same_model(study):
    settings = training.TrainSettings(architecture="tiny", n_train=6, seed=3, max_epochs=1,
                                      stage_two_start_epoch=None, eval_interval=1)
    test = data.read_extxyz(paths.test_xyz())[:3]
    results = []
    for name in ("repeat-a", "repeat-b"):
        run = training.train(settings, paths.run_dir(name))
        results.append(evaluation.evaluate(training.final_model_path(run, settings), test)[1])
    assert results[0]["test_force_rmse_meV_per_A"] == results[1]["test_force_rmse_meV_per_A"]
    assert results[0]["test_energy_rmse_meV_per_atom"] == results[1]["test_energy_rmse_meV_per_atom"]


def test_model_without_zbl_is_its_own_run():
    settings = training.TrainSettings(architecture="tiny", n_train=10, seed=1, max_epochs=3, pair_repulsion=False)
    assert settings.run_name(160) == "train-tiny-n10-seed1-ep3-noZBL"
    assert "--pair_repulsion" not in training.mace_arguments(settings, paths.ROOT, paths.ROOT / "x.extxyz")


class _KilledMidWrite:
    """Pickling this stands in for a kill arriving while a checkpoint is being written."""

    def __reduce__(self):
        raise KeyboardInterrupt


def test_a_checkpoint_write_cut_off_keeps_the_previous_checkpoint(tmp_path):
    """mace-torch deletes the old checkpoint before writing the new one; under atomic_checkpoints a cut-off
    write leaves the previous checkpoint loadable, so --restart_latest resumes instead of starting at epoch 0."""
    import torch

    training.import_mace()
    from mace.tools.checkpoint import CheckpointIO

    io = CheckpointIO(directory=str(tmp_path), tag="mace_run-1")
    mace_save = CheckpointIO.save
    with training.atomic_checkpoints():
        io.save({"weights": torch.arange(3.0)}, epochs=1)
        io.save({"weights": torch.arange(4.0)}, epochs=2)
        with pytest.raises(KeyboardInterrupt):
            io.save({"weights": torch.zeros(5), "cut": _KilledMidWrite()}, epochs=3)
    assert CheckpointIO.save is mace_save  # mace-torch's own save is back after the block
    checkpoint, epochs = CheckpointIO(directory=str(tmp_path), tag="mace_run-1").load_latest()
    assert epochs == 2 and torch.equal(checkpoint["weights"], torch.arange(4.0))
    assert sorted(p.name for p in tmp_path.glob("*.pt")) == ["mace_run-1_epoch-2.pt"]  # epoch 1 deleted after epoch 2 was whole
