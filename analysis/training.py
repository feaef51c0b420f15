"""MACE training: a thin wrapper that builds mace-torch's own arguments and calls its ``run``.

Nothing here re-implements training: ``train`` selects the training subset, writes it next to the
run, and hands mace-torch's ``mace.cli.run_train.run`` the same arguments ``mace_run_train``
would get on the command line (recorded in the run summary, so the run can be repeated by hand).
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Iterator

import numpy as np

from analysis import data, paths, runs
from analysis.model import device, import_mace

# fixed for every run (not a setting): exponential moving average of the weights, and the optimiser
EMA_DECAY = 0.99
OPTIMISER = "Adam (AMSGrad)"


@dataclass(frozen=True)
class Architecture:
    """MACE architecture. ``r_max_A`` is the radial cutoff in Å."""

    num_channels: int
    max_L: int
    r_max_A: float
    max_ell: int = 3
    correlation: int = 3
    num_interactions: int = 2
    num_radial_basis: int = 8

    @property
    def hidden_irreps(self) -> str:
        parity = ["0e", "1o", "2e", "3o"]
        return " + ".join(f"{self.num_channels}x{parity[ell]}" for ell in range(self.max_L + 1))


ARCHITECTURES: dict[str, Architecture] = {
    # tests and smoke runs: a real MACE, small enough to train in seconds
    "tiny": Architecture(num_channels=8, max_L=0, r_max_A=4.0, max_ell=1, correlation=2),
    "tiny-r5": Architecture(num_channels=8, max_L=0, r_max_A=5.0, max_ell=1, correlation=2),
    # candidates for the accuracy / speed / stability comparison
    "c32-L0-r5": Architecture(num_channels=32, max_L=0, r_max_A=5.0),
    "c32-L1-r5": Architecture(num_channels=32, max_L=1, r_max_A=5.0),
    "c64-L0-r5": Architecture(num_channels=64, max_L=0, r_max_A=5.0),
    "c32-L0-r4.5": Architecture(num_channels=32, max_L=0, r_max_A=4.5),
    "c32-L0-r6": Architecture(num_channels=32, max_L=0, r_max_A=6.0),
    "c32-L0-r4": Architecture(num_channels=32, max_L=0, r_max_A=4.0),
    "c32-L0-r5-ell2": Architecture(num_channels=32, max_L=0, r_max_A=5.0, max_ell=2),
    "c32-L0-r4-ell2": Architecture(num_channels=32, max_L=0, r_max_A=4.0, max_ell=2),
}


@dataclass
class TrainSettings:
    """One training run. Energies in eV, learning rate dimensionless, epochs counted in mace-torch's way."""

    architecture: str = "c32-L1-r5"
    n_train: int | None = None  # None: the whole training pool (160 configurations)
    seed: int = 1
    max_epochs: int = 120
    stage_two_start_epoch: int | None = 90  # None: no stage two (SWA)
    batch_size: int = 4
    lr: float = 0.01
    energy_weight: float = 1.0
    forces_weight: float = 100.0
    stage_two_energy_weight: float = 1000.0
    stage_two_forces_weight: float = 100.0
    valid_fraction: float = 0.1
    pair_repulsion: bool = True  # ZBL core repulsion: keeps atoms apart where data are absent
    dtype: str = "float32"
    patience: int = 50
    eval_interval: int = 2
    # pre-training and fine-tuning (synthetic pre-training on teacher labels, then the DFT frames):
    # train_file: project-relative extended XYZ to train on instead of the DFT training pool;
    # foundation_model: project-relative model whose weights start the run (mace-torch --foundation_model)
    train_file: str | None = None
    foundation_model: str | None = None
    extra_args: list[str] = field(default_factory=list)

    def check(self, n_available: int) -> None:
        """Refuse parameters that cannot give a meaningful run (clear one-line message)."""
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"architecture '{self.architecture}' unknown; choose one of {sorted(ARCHITECTURES)}"
            )
        n = self.n_train if self.n_train is not None else n_available
        if not isinstance(n, int) or n < 2:
            raise ValueError(f"n_train={self.n_train!r}: need an integer of at least 2")
        if n > n_available:
            raise ValueError(f"n_train={n} is larger than the {n_available} training configurations")
        if not isinstance(self.max_epochs, int) or self.max_epochs < 1:
            raise ValueError(f"max_epochs={self.max_epochs!r}: need a positive integer")
        if self.stage_two_start_epoch is not None and not 0 <= self.stage_two_start_epoch < self.max_epochs:
            raise ValueError(
                f"stage_two_start_epoch={self.stage_two_start_epoch} must be below max_epochs={self.max_epochs}"
            )
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype='{self.dtype}': use float32 or float64")
        self.check_files()
        if not self.lr > 0 or not self.batch_size >= 1:
            raise ValueError(f"lr={self.lr}, batch_size={self.batch_size}: must be positive")

    def check_files(self) -> None:
        for name in ("train_file", "foundation_model"):
            value = getattr(self, name)
            if value is not None and not (paths.ROOT / value).exists():
                raise ValueError(f"{name}={value!r}: no such file")

    def run_name(self, n_available: int) -> str:
        n = self.n_train if self.n_train is not None else n_available
        kind = "pretrain" if self.train_file else "train"
        return (f"{kind}-{self.architecture}-n{n}-seed{self.seed}-ep{self.max_epochs}"
                + ("" if self.pair_repulsion else "-noZBL") + ("-ft" if self.foundation_model else ""))

    def pool_file(self) -> Path:
        """The configurations this run draws its training set from."""
        return paths.ROOT / self.train_file if self.train_file else paths.train_xyz()


def select_subset(frames: list, n_train: int | None, seed: int) -> list:
    """A seeded random subset of the training pool (all of it when ``n_train`` is None)."""
    if n_train is None or n_train == len(frames):
        return list(frames)
    pick = np.sort(np.random.default_rng(seed).choice(len(frames), n_train, replace=False))
    return [frames[i] for i in pick]


def mace_arguments(settings: TrainSettings, run: Path, train_file: Path) -> list[str]:
    """The ``mace_run_train`` command-line arguments for this run.

    No test file is given to mace-torch: the held-out set is evaluated by our own code
    (``analysis.evaluation``) on the saved model, so the test numbers do not depend on log parsing.
    """
    arch = ARCHITECTURES[settings.architecture]
    args = [
        "--name", "mace",
        "--seed", str(settings.seed),
        "--work_dir", str(run),
        "--model_dir", str(run),
        "--log_dir", str(run / "logs"),
        "--checkpoints_dir", str(run / "checkpoints"),
        "--results_dir", str(run / "results"),
        "--train_file", str(train_file),
        "--valid_fraction", str(settings.valid_fraction),
        "--energy_key", data.ENERGY_KEY,
        "--forces_key", data.FORCES_KEY,
        "--E0s", "average",
        "--model", "MACE",
        "--num_channels", str(arch.num_channels),
        "--max_L", str(arch.max_L),
        "--r_max", str(arch.r_max_A),
        "--max_ell", str(arch.max_ell),
        "--correlation", str(arch.correlation),
        "--num_interactions", str(arch.num_interactions),
        "--num_radial_basis", str(arch.num_radial_basis),
        "--batch_size", str(settings.batch_size),
        "--valid_batch_size", str(max(settings.batch_size, 8)),
        "--lr", str(settings.lr),
        "--energy_weight", str(settings.energy_weight),
        "--forces_weight", str(settings.forces_weight),
        "--max_num_epochs", str(settings.max_epochs),
        "--patience", str(settings.patience),
        "--eval_interval", str(settings.eval_interval),
        "--ema", "--ema_decay", str(EMA_DECAY),
        "--amsgrad",  # OPTIMISER
        "--default_dtype", settings.dtype,
        "--device", device(),
        "--error_table", "PerAtomRMSE",
        "--restart_latest",
        "--save_cpu",
    ]
    if settings.pair_repulsion:
        args += ["--pair_repulsion"]
    if settings.foundation_model is not None:
        # plain transfer: the pre-trained weights start the run; no replay head (the synthetic set is not reused)
        args += ["--foundation_model", str(paths.ROOT / settings.foundation_model), "--multiheads_finetuning", "False"]
    if settings.stage_two_start_epoch is not None:
        args += [
            "--stage_two",
            "--start_stage_two", str(settings.stage_two_start_epoch),
            "--stage_two_energy_weight", str(settings.stage_two_energy_weight),
            "--stage_two_forces_weight", str(settings.stage_two_forces_weight),
        ]
    return args + list(settings.extra_args)


def final_model_path(run: Path, settings: TrainSettings) -> Path:
    """mace-torch's final model: the stage-two (SWA) model when stage two is on."""
    suffix = "_stagetwo" if settings.stage_two_start_epoch is not None else ""
    return Path(run) / f"mace{suffix}.model"


def train(settings: TrainSettings, run: Path | None = None) -> Path:
    """Train one MACE model into its run folder and return the run folder (see ``_train``)."""
    settings.check_files()
    pool = data.read_extxyz(settings.pool_file())
    settings.check(len(pool))
    run = Path(run) if run is not None else paths.run_dir(settings.run_name(len(pool)))
    with runs.exclusive(run):
        return _train(settings, run, pool)


def identity(settings: TrainSettings) -> dict:
    """What makes a training run this one: its settings and the sha256 of its data (and of a foundation model)."""
    found = {"settings": asdict(settings), "pool_sha256": data.sha256sum(settings.pool_file())}
    if settings.foundation_model is not None:
        found["foundation_model_sha256"] = data.sha256sum(paths.ROOT / settings.foundation_model)
    return found


def same_identity(recorded: dict, settings: TrainSettings) -> bool:
    """Whether a run's recorded ``settings.json`` is that of ``settings``; a setting added to ``TrainSettings``
    after the run was made counts at its default (a run from before ``train_file`` existed trained on the pool)."""
    defaults = {f.name: f.default if f.default is not MISSING else f.default_factory()
                for f in fields(TrainSettings) if (f.default, f.default_factory) != (MISSING, MISSING)}
    filled = {**recorded, "settings": {**defaults, **recorded.get("settings", {})}}
    return filled == identity(settings)


def is_trained(settings: TrainSettings, run: Path) -> bool:
    """Whether ``run`` holds a finished training run with these settings and data."""
    identity_file = Path(run) / "settings.json"
    return (runs.is_finished(Path(run)) and identity_file.exists()
            and same_identity(runs.read_json(identity_file), settings))


def _train(settings: TrainSettings, run: Path, pool: list) -> Path:
    """Train one MACE model into its run folder and return the run folder.

    Resumable: rerunning after an interruption continues from mace-torch's latest checkpoint
    (``--restart_latest``). The run summary is written last, with ``status: done``.
    """
    identity_file = run / "settings.json"
    if identity_file.exists():
        if not same_identity(runs.read_json(identity_file), settings):
            raise ValueError(
                f"{run}: holds a training run with other settings or data; "
                f"choose another run name or delete the folder"
            )
        if runs.is_finished(run):
            return run
    run.mkdir(parents=True, exist_ok=True)
    runs.write_json(identity_file, identity(settings))
    subset = select_subset(pool, settings.n_train, settings.seed)
    train_file = run / "train.extxyz"
    data.write_extxyz(subset, train_file)
    argv = mace_arguments(settings, run, train_file)
    for partial in (run / "checkpoints").glob("*" + runs.TEMPORARY_SUFFIX):
        partial.unlink()  # a checkpoint write cut off by an earlier kill (see atomic_checkpoints)
    started = time.time()
    _call_mace(argv)
    model = final_model_path(run, settings)
    if not model.exists():
        raise RuntimeError(f"{run}: mace-torch finished but {model.name} is missing")
    runs.write_json(
        runs.summary_path(run),
        {
            "kind": "train",
            "status": "done",
            "settings": asdict(settings),
            "architecture": asdict(ARCHITECTURES[settings.architecture]),
            "n_train": len(subset),
            "train_config_indices": [int(a.info.get(data.INDEX_KEY, a.info.get("synthetic_index", -1))) for a in subset],
            "model": model.name,
            "mace_arguments": [paths.relative(a) if a.startswith(str(paths.ROOT)) else a for a in argv],
            "wall_time_s": time.time() - started,
            **runs.provenance(),
        },
    )
    return run


def _call_mace(argv: list[str]) -> None:
    """Call mace-torch's training entry point in this process with the given arguments."""
    import_mace()
    from mace.cli.run_train import run as mace_run
    from mace.tools import build_default_arg_parser

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    args = build_default_arg_parser().parse_args(argv)
    root_logger = logging.getLogger()
    handlers = list(root_logger.handlers)
    try:
        with atomic_checkpoints():
            mace_run(args)
    finally:
        # mace-torch attaches file handlers to the root logger; detach them after the run
        for handler in list(root_logger.handlers):
            if handler not in handlers:
                root_logger.removeHandler(handler)
                handler.close()


@contextmanager
def atomic_checkpoints() -> Iterator[None]:
    """Make mace-torch's checkpoint saves safe against a kill mid-write, for the duration of the block.

    mace-torch (``CheckpointIO.save``) deletes the previous checkpoint and then writes the next one
    in place, so a Ctrl-C or SIGKILL during the write leaves only a truncated file; its
    ``--restart_latest`` then fails to load it, silently, and training starts again from epoch 0.
    Here each checkpoint is written to a temporary sibling (``runs.temporary_path``) and renamed
    into place, and the previous one is deleted only after that: the latest complete checkpoint is
    always on disk. Same file names and the same ``keep``/``keep_last`` rules as mace-torch.
    """
    import torch
    from mace.tools.checkpoint import CheckpointIO

    def save(self: CheckpointIO, checkpoint: dict, epochs: int, keep_last: bool = False) -> None:
        path = os.path.join(self.directory, self._get_checkpoint_filename(epochs, self.swa_start))
        os.makedirs(self.directory, exist_ok=True)
        partial = runs.temporary_path(Path(path))
        torch.save(obj=checkpoint, f=partial)
        os.replace(partial, path)
        if not self.keep and self.old_path and not keep_last and self.old_path != path:
            os.remove(self.old_path)
        self.old_path = path

    original = CheckpointIO.save
    CheckpointIO.save = save
    try:
        yield
    finally:
        CheckpointIO.save = original
