"""Synthetic pre-training: configurations (analysis.synthetic), teacher labels (analysis.teacher, SevenNet-0 in
its own environment), pre-training on them and fine-tuning on DFT frames (analysis.training), on tiny inputs."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

from analysis import data, paths, runs, synthetic, training

TEACHER_PY = paths.ROOT / ".venv-teacher" / "bin" / "python"
COMMITTED_RUN = paths.ROOT / "data" / "runs" / "md-T900-seed1"  # a hot run whose model broke PS4 units


@pytest.fixture(scope="module")
def made(study, tmp_path_factory) -> dict:
    """A 10-configuration recipe (3 frames of a committed MD run, 7 rattled training frames) in 2 chunks, built."""
    runs_root = tmp_path_factory.mktemp("runs")
    shutil.copytree(COMMITTED_RUN, runs_root / COMMITTED_RUN.name,
                    ignore=shutil.ignore_patterns("*.ipynb", "*.png", "thermo.csv"))
    train = data.read_extxyz(paths.train_xyz())
    recipe = synthetic.make_recipe([runs_root / COMMITTED_RUN.name], len(train), frames_per_run=3, n_rattled=7,
                                   chunk_size=5)
    runs.write_json(synthetic.recipe_file(), recipe)
    synthetic.build(recipe, train, runs_root=runs_root)
    return {"recipe": recipe, "train": train, "runs_root": runs_root}


def test_recipe_samples_md_frames_and_rattled_training_frames_only(made):
    recipe, train = made["recipe"], made["train"]
    kinds = [e["kind"] for e in recipe["entries"]]
    assert kinds.count("md") == 3 and kinds.count("rattled") == 7 and list(recipe["chunks"]) == ["chunk-00", "chunk-01"]
    assert {e["rattle_A"] for e in recipe["entries"] if e["kind"] == "rattled"} == set(synthetic.RATTLE_SIGMAS_A)
    test_indices = set(runs.read_json(paths.split_file())["test_indices"])
    used = {train[e["train_frame"]].info[data.INDEX_KEY] for e in recipe["entries"] if e["kind"] == "rattled"}
    assert used and not used & test_indices  # never a test configuration
    # the same recipe builds the same configurations; a rattled copy differs from its DFT frame by about its sigma
    e = next(e for e in recipe["entries"] if e["kind"] == "rattled" and e["rattle_A"] == 0.10)
    a, b = (synthetic.build_configuration(e, train, recipe["strain_max"]) for _ in range(2))
    assert np.array_equal(a.positions, b.positions) and np.array_equal(a.cell, b.cell)
    base = train[e["train_frame"]]
    assert 0.9 < a.cell.volume / base.cell.volume < 1.1 and not np.allclose(a.cell, base.cell)  # strained


@pytest.fixture(scope="module")
def labelled(made) -> dict:
    if not TEACHER_PY.exists():
        pytest.fail(f"{TEACHER_PY}: the teacher's environment is missing (make teacher-env; make test makes it)")
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT), "OMP_NUM_THREADS": "1"}
    result = subprocess.run([str(TEACHER_PY), "-m", "analysis.teacher", "label", "chunk-00", "chunk-01"],
                            cwd=paths.ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "chunk-01: 5/5 labelled" in result.stdout  # progress lines
    return {**made, "stdout": result.stdout}


def test_teacher_labels_are_physical_and_name_the_teacher(labelled):
    labels = synthetic.read_labels(synthetic.label_chunk("chunk-01"))
    assert labels["forces_eV_A"].shape == (5, 83, 3) and np.all(np.isfinite(labels["energy_eV"]))
    assert str(labels["teacher"]).startswith("SevenNet-0") and len(str(labels["weights_sha256"])) == 64
    # against the DFT energy of the frame each rattled copy was made from: SevenNet-0's known offset
    # (about -57 meV/atom) plus the rattling, well under 0.2 eV/atom
    recipe, train = labelled["recipe"], labelled["train"]
    for j, i in enumerate(labels["index"]):
        e = recipe["entries"][int(i)]
        if e["kind"] == "rattled" and e["rattle_A"] < 0.05:
            diff = (labels["energy_eV"][j] - train[e["train_frame"]].info[data.ENERGY_KEY]) / 83
            assert -0.2 < diff < 0.1, diff
    # a labelled chunk is kept as it is
    before = synthetic.label_chunk("chunk-00").stat().st_mtime_ns
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT)}
    out = subprocess.run([str(TEACHER_PY), "-m", "analysis.teacher", "label", "chunk-00"], cwd=paths.ROOT, env=env,
                         capture_output=True, text=True)
    assert "already labelled, kept" in out.stdout and synthetic.label_chunk("chunk-00").stat().st_mtime_ns == before


def test_assembled_set_carries_the_labels_and_refuses_a_changed_recipe(labelled, tmp_path):
    recipe, train, root = labelled["recipe"], labelled["train"], labelled["runs_root"]
    out = tmp_path / "pretrain.extxyz"
    info = synthetic.assemble(recipe, train, out, runs_root=root)
    assert info["n_configurations"] == 10 and info["n_md"] == 3 and info["teacher"]["teacher"].startswith("SevenNet")
    frames = data.read_extxyz(out)
    labels = synthetic.read_labels(synthetic.label_chunk("chunk-00"))
    assert frames[0].info[data.ENERGY_KEY] == pytest.approx(float(labels["energy_eV"][0]))
    changed = {**recipe, "entries": [dict(e) for e in recipe["entries"]]}
    changed["entries"][-1]["rattle_A"] = 0.5
    with pytest.raises(ValueError, match="does not match its labels"):
        synthetic.assemble(changed, train, tmp_path / "other.extxyz", runs_root=root)


def test_pretraining_then_fine_tuning_starts_from_the_pretrained_weights(labelled, tmp_path):
    import torch

    pretrain_xyz = tmp_path / "pretrain.extxyz"
    synthetic.assemble(labelled["recipe"], labelled["train"], pretrain_xyz, runs_root=labelled["runs_root"])
    pre = training.TrainSettings(architecture="tiny", seed=1, max_epochs=2, stage_two_start_epoch=1, eval_interval=1,
                                 train_file=str(pretrain_xyz))
    pre_run = training.train(pre, tmp_path / "pretrain")
    pre_model = training.final_model_path(pre_run, pre)
    assert runs.read_json(pre_run / "summary.json")["n_train"] == 10
    ft = training.TrainSettings(architecture="tiny", n_train=10, seed=1, max_epochs=1, stage_two_start_epoch=None,
                                eval_interval=1, lr=1e-9, foundation_model=str(pre_model))
    assert ft.run_name(160).endswith("-ft") and pre.run_name(10).startswith("pretrain-")
    ft_run = training.train(ft, tmp_path / "finetune")
    summary = runs.read_json(ft_run / "summary.json")
    assert "--foundation_model" in summary["mace_arguments"]
    assert runs.read_json(ft_run / "settings.json")["foundation_model_sha256"] == data.sha256sum(pre_model)
    a = torch.load(pre_model, weights_only=False).state_dict()
    b = torch.load(training.final_model_path(ft_run, ft), weights_only=False).state_dict()
    key = next(k for k in a if k.startswith("interactions.0") and k.endswith("weight") and a[k].numel() > 1)
    assert torch.allclose(a[key], b[key], rtol=1e-4, atol=1e-6)  # lr 1e-9: still the pre-trained weights
    scratch = training.TrainSettings(architecture="tiny", n_train=10, seed=1, max_epochs=1, stage_two_start_epoch=None,
                                     eval_interval=1, lr=1e-9)
    c = torch.load(training.final_model_path(training.train(scratch, tmp_path / "scratch"), scratch),
                   weights_only=False).state_dict()
    assert not torch.allclose(a[key], c[key])  # a run from scratch does not have them
