"""Synthetic pre-training configurations: what MD visits, rebuilt exactly from committed inputs.

The set is declared by a recipe (``recipe.json``, committed): frames of the committed MD runs
(``positions.npz``, 83 atoms every 100 fs, 300-900 K, broken PS4 units included) and rattled and
strained copies of the DFT *training* frames (never the test frames). The configurations themselves
are not committed (the rattled ones derive from the dataset): ``build`` remakes them from the recipe,
and every configuration carries a fingerprint that the teacher's labels are checked against.

Stages (each a Make target):

- ``python -m analysis.synthetic recipe``   -> ``synthetic/recipe.json`` (which frames, which noise)
- ``python -m analysis.synthetic build``    -> ``synthetic/configs/chunk-NN.extxyz`` (git-ignored)
- ``.venv-teacher/bin/python -m analysis.teacher label chunk-NN`` -> ``synthetic/labels/chunk-NN.npz``
- ``python -m analysis.synthetic assemble`` -> ``synthetic/pretrain.extxyz`` (git-ignored), for mace-torch

Units: Å, eV, eV/Å.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from ase import Atoms

from analysis import data, paths, run_files, runs

# how many of each kind (see notebook 09 for why these numbers)
MD_FRAMES_PER_RUN = 36
N_RATTLED = 300
RATTLE_SIGMAS_A = (0.03, 0.06, 0.10)  # 0.2 Å gave 0.6 eV/atom and 44 eV/Å forces: far off what MD visits
STRAIN_MAX = 0.03  # largest diagonal strain; off-diagonal up to a third of it
CHUNK_SIZE = 100
RECIPE_SEED = 7


def synthetic_dir() -> Path:
    return paths.derived_dir() / "synthetic"


def recipe_file() -> Path:
    return synthetic_dir() / "recipe.json"


def config_chunk(name: str) -> Path:
    return synthetic_dir() / "configs" / f"{name}.extxyz"


def label_chunk(name: str) -> Path:
    return synthetic_dir() / "labels" / f"{name}.npz"


def pretrain_xyz() -> Path:
    return synthetic_dir() / "pretrain.extxyz"


def fingerprint(positions_A: np.ndarray) -> list[float]:
    """Two numbers that identify a configuration to ~1e-6 Å: the sum and the mean square of its wrapped
    positions. Robust to last-bit differences between machines, unlike a hash of the bytes."""
    p = np.asarray(positions_A, dtype=np.float64)
    return [float(p.sum()), float((p**2).mean())]


def make_recipe(md_runs: list[Path], n_train_frames: int, frames_per_run: int = MD_FRAMES_PER_RUN,
                n_rattled: int = N_RATTLED, seed: int = RECIPE_SEED, chunk_size: int = CHUNK_SIZE) -> dict:
    """Which configurations make the synthetic set, in a fixed order, split into chunks.

    ``md_runs``: run folders with ``positions.npz`` (sorted by name); ``frames_per_run`` evenly spaced
    frames of each. ``n_rattled`` copies of training frames (index ``k % n_train_frames``), rattled with
    Gaussian noise of ``RATTLE_SIGMAS_A[k % 3]`` Å and strained, each with its own seed."""
    entries = []
    for run in sorted(md_runs, key=lambda p: p.name):
        n_frames = run_files.positions_count(run)
        picks = np.unique(np.linspace(0, n_frames - 1, min(frames_per_run, n_frames)).round().astype(int))
        settings = runs.read_json(run / "settings.json")["settings"]
        entries += [{"kind": "md", "run": run.name, "frame": int(i), "temperature_K": settings["temperature_K"]}
                    for i in picks]
    for k in range(n_rattled):
        entries.append({"kind": "rattled", "train_frame": k % n_train_frames,
                        "rattle_A": RATTLE_SIGMAS_A[k % len(RATTLE_SIGMAS_A)], "seed": seed * 100003 + k})
    chunks = {f"chunk-{i // chunk_size:02d}": list(range(i, min(i + chunk_size, len(entries))))
              for i in range(0, len(entries), chunk_size)}
    return {"entries": entries, "chunks": chunks, "strain_max": STRAIN_MAX,
            "md_frames_per_run": frames_per_run, "n_rattled": n_rattled, "seed": seed}


def build_configuration(entry: dict, train_frames: list[Atoms], strain_max: float,
                        runs_root: Path | None = None) -> Atoms:
    """One configuration of the recipe (wrapped into the cell, no labels); MD frames from ``runs_root``."""
    if entry["kind"] == "md":
        stored = run_files.load_positions(Path(runs_root or paths.runs_dir()) / entry["run"])
        atoms = Atoms(stored["numbers"], positions=stored["positions_A"][entry["frame"]].astype(np.float64),
                      cell=stored["cell_A"], pbc=True)
    elif entry["kind"] == "rattled":
        rng = np.random.default_rng(entry["seed"])
        base = train_frames[entry["train_frame"]]
        atoms = Atoms(base.numbers, positions=base.positions.copy(), cell=base.cell.copy(), pbc=True)
        strain = np.diag(rng.uniform(-strain_max, strain_max, 3))
        off = rng.uniform(-strain_max / 3, strain_max / 3, 3)
        strain[0, 1] = strain[1, 0] = off[0]
        strain[0, 2] = strain[2, 0] = off[1]
        strain[1, 2] = strain[2, 1] = off[2]
        atoms.set_cell(np.asarray(atoms.cell) @ (np.eye(3) + strain), scale_atoms=True)
        atoms.positions = atoms.positions + rng.normal(0.0, entry["rattle_A"], atoms.positions.shape)
    else:
        raise ValueError(f"unknown synthetic configuration kind {entry['kind']!r}")
    atoms.wrap()
    return atoms


def build(recipe: dict, train_frames: list[Atoms], names: list[str] | None = None,
          runs_root: Path | None = None) -> list[Path]:
    """Write each chunk's configurations to ``configs/chunk-NN.extxyz`` with their fingerprints."""
    written = []
    for name, indices in recipe["chunks"].items():
        if names and name not in names:
            continue
        frames = []
        for i in indices:
            atoms = build_configuration(recipe["entries"][i], train_frames, recipe["strain_max"], runs_root)
            atoms.info.update(synthetic_index=i, fingerprint=np.array(fingerprint(atoms.positions)))
            frames.append(atoms)
        data.write_extxyz(frames, config_chunk(name))  # atomic; an identical file is left as it was
        written.append(config_chunk(name))
    return written


def read_labels(path: Path) -> dict:
    """A teacher's label chunk: indices, energies (eV), forces (eV/Å), fingerprints, teacher metadata."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no labels (run the teacher stage: make synthetic)")
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def assemble(recipe: dict, train_frames: list[Atoms], out: Path, label_dir: Path | None = None,
             runs_root: Path | None = None) -> dict:
    """The labelled pre-training set: every recipe configuration with its teacher energy and forces,
    checked against the labels' fingerprints. Returns counts and the teacher's identity."""
    label_dir = label_dir or synthetic_dir() / "labels"
    frames, teacher = [], None
    for name in recipe["chunks"]:
        labels = read_labels(label_dir / f"{name}.npz")
        meta = {k: str(labels[k]) for k in ("teacher", "teacher_version", "weights_sha256")}
        if teacher is not None and meta != teacher:
            raise ValueError(f"{label_dir / name}.npz: labelled by {meta}, other chunks by {teacher}")
        teacher = meta
        for j, i in enumerate(labels["index"]):
            atoms = build_configuration(recipe["entries"][int(i)], train_frames, recipe["strain_max"], runs_root)
            if not np.allclose(fingerprint(atoms.positions), labels["fingerprint"][j], rtol=1e-6, atol=1e-6):
                raise ValueError(f"{label_dir / name}.npz: configuration {int(i)} does not match its labels "
                                 "(the recipe or its inputs changed; relabel that chunk)")
            atoms.info[data.ENERGY_KEY] = float(labels["energy_eV"][j])
            atoms.arrays[data.FORCES_KEY] = labels["forces_eV_A"][j].astype(np.float64)
            atoms.info.update(config_type=recipe["entries"][int(i)]["kind"], synthetic_index=int(i))
            frames.append(atoms)
    data.write_extxyz(frames, out)
    kinds = [f.info["config_type"] for f in frames]
    return {"n_configurations": len(frames), "n_md": kinds.count("md"), "n_rattled": kinds.count("rattled"),
            "teacher": teacher}


def _train_frames() -> list[Atoms]:
    return data.read_extxyz(paths.train_xyz())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=["recipe", "build", "assemble"])
    parser.add_argument("chunks", nargs="*", help="build only these chunks (chunk-00 ...)")
    parser.add_argument("--frames-per-run", type=int, default=MD_FRAMES_PER_RUN)
    parser.add_argument("--rattled", type=int, default=N_RATTLED)
    parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)
    args = parser.parse_args(argv)
    try:
        if args.stage == "recipe":
            md_runs = [p.parent for p in sorted(paths.runs_dir().glob("md-*/positions.npz"))]
            if not md_runs:
                raise FileNotFoundError(f"{paths.runs_dir()}: no md-*/positions.npz to sample")
            recipe = make_recipe(md_runs, len(_train_frames()), args.frames_per_run, args.rattled,
                                 chunk_size=args.chunk_size)
            runs.write_json(recipe_file(), recipe)
            print(f"{recipe_file()}: {len(recipe['entries'])} configurations in {len(recipe['chunks'])} chunks")
        elif args.stage == "build":
            written = build(runs.read_json(recipe_file()), _train_frames(), args.chunks)
            print(f"wrote {len(written)} configuration chunks")
        else:
            info = assemble(runs.read_json(recipe_file()), _train_frames(), pretrain_xyz())
            runs.write_json(synthetic_dir() / "pretrain.json", info)
            print(f"{pretrain_xyz()}: {info['n_configurations']} configurations labelled by {info['teacher']['teacher']}")
    except (OSError, ValueError, data.DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
