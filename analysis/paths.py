"""Every path the study uses, in one place.

Two environment variables move the study's files without touching code:

- ``LIPS_STUDY_DIR``: where runs, derived results and figures go (default ``data/``;
  ``make smoke`` uses ``data/smoke/`` so a smoke run never touches the real study).
- ``LIPS_CACHE_DIR``: the download cache for the dataset (default ``data/cache/``,
  git-ignored; shared by the study and the smoke run).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDY_NOTEBOOKS = ROOT / "study"
REPORT_DIR = ROOT / "report"


def study_dir() -> Path:
    """Root of this study's outputs (runs, derived results)."""
    return Path(os.environ.get("LIPS_STUDY_DIR", ROOT / "data")).resolve()


def cache_dir() -> Path:
    """Download cache for the dataset and its decoded forms (never committed)."""
    return Path(os.environ.get("LIPS_CACHE_DIR", ROOT / "data" / "cache")).resolve()


def runs_dir() -> Path:
    """One sub-folder per run, named by its parameters (e.g. ``md-T600-seed1``)."""
    return study_dir() / "runs"


def derived_dir() -> Path:
    """Small derived results: split, summary.json, tables, figures."""
    return study_dir() / "derived"


def figures_dir() -> Path:
    return derived_dir() / "figures"


def split_file() -> Path:
    return derived_dir() / "split.json"


def summary_file() -> Path:
    return derived_dir() / "summary.json"


def dataset_xyz() -> Path:
    """The study's decoded, validated configurations as extended XYZ (git-ignored; remade by notebook 1)."""
    return derived_dir() / "split" / "dataset.extxyz"


def train_xyz() -> Path:
    """Training pool (all non-test configurations); git-ignored like every ``*.extxyz``."""
    return derived_dir() / "split" / "train.extxyz"


def test_xyz() -> Path:
    """The held-out test configurations; never trained on."""
    return derived_dir() / "split" / "test.extxyz"


def production_model() -> Path:
    """The model used for the temperature series (a copy of the chosen training run's final model)."""
    return study_dir() / "model" / "lips_mace.model"


def run_dir(name: str) -> Path:
    return runs_dir() / name


def relative(path: Path | str) -> str:
    """``path`` relative to the project root if it lies inside it (what committed files record), else absolute."""
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
