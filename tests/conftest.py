"""Shared fixtures: a private study folder with the real dataset, and one tiny real MACE model.

Tests use the study's own code paths on tiny inputs: a few configurations, a few epochs, tens of
MD steps. Nothing here mocks the science.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# before numpy and torch are imported: one thread per process (2 cores), the study's pinned BLAS kernel
from analysis import numerics  # noqa: E402 (stdlib only)

numerics.pin()

import pytest

from analysis import data, paths

SHARED_DATASET = paths.ROOT.parent / "shared" / "lips" / data.DATASET_FILENAME


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow (make test-all)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def dataset_file() -> Path:
    """The dataset in the project's download cache (where .ci/run and users put it)."""
    cached = paths.ROOT / "data" / "cache" / data.DATASET_FILENAME
    if cached.exists():
        return cached
    if SHARED_DATASET.exists():
        return SHARED_DATASET
    pytest.skip(f"dataset not in {cached}: copy it there (see README) to run this test")


@pytest.fixture(scope="session")
def study(tmp_path_factory) -> Path:
    """A private study folder (LIPS_STUDY_DIR/LIPS_CACHE_DIR) with the dataset prepared and split."""
    root = tmp_path_factory.mktemp("study")
    cache = root / "cache"
    cache.mkdir()
    shutil.copyfile(dataset_file(), cache / data.DATASET_FILENAME)
    old = {k: os.environ.get(k) for k in ("LIPS_STUDY_DIR", "LIPS_CACHE_DIR")}
    os.environ["LIPS_STUDY_DIR"] = str(root / "study")
    os.environ["LIPS_CACHE_DIR"] = str(cache)
    data.prepare_dataset(n_test=40, seed=0)
    yield root / "study"
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def tiny_model(study) -> Path:
    """A real MACE model (8 channels) trained for 3 epochs on 10 configurations."""
    from analysis import training

    settings = training.TrainSettings(architecture="tiny", n_train=10, seed=1, max_epochs=3,
                                      stage_two_start_epoch=2, eval_interval=1)
    run = training.train(settings, paths.run_dir("tiny-model"))
    return training.final_model_path(run, settings)


@pytest.fixture(scope="session")
def frames(study):
    return data.read_extxyz(paths.dataset_xyz())
