"""Label synthetic configurations with a universal potential (the teacher): SevenNet-0.

Runs in its own environment (``.venv-teacher``, made by ``make teacher-env`` from
``requirements-teacher.lock``): SevenNet needs e3nn >= 0.5, mace-torch pins 0.4.4. This module
imports only numpy, ase, torch and sevenn (and ``analysis.paths``/``data``, which need no more).

    .venv-teacher/bin/python -m analysis.teacher label chunk-00 [chunk-01 ...]
    .venv-teacher/bin/python -m analysis.teacher label-file frames.extxyz labels.npz   # any configurations

reads ``synthetic/configs/<chunk>.extxyz`` and writes ``synthetic/labels/<chunk>.npz`` (energies in eV,
forces in eV/Å as float32, the configurations' fingerprints, the teacher's name, package version and
the sha256 of its weights). A finished chunk is never relabelled; an interrupted one restarts (a chunk
is ~6 min on one core). Measured here: 0.8-1.3 s per 83-atom configuration on one core (3-4 s with the first call).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from analysis import paths, runs
from analysis.data import sha256sum  # numpy and ase only: fine in the teacher's environment

TEACHER = "SevenNet-0 (7net-0)"
TEACHER_MODEL = "7net-0"


def _synthetic_dir() -> Path:
    return paths.derived_dir() / "synthetic"


def weights_file() -> Path:
    """The checkpoint that ``sevenn`` resolves ``7net-0`` to (shipped in its wheel)."""
    from sevenn.util import pretrained_name_to_path

    return Path(pretrained_name_to_path(TEACHER_MODEL))


def calculator():
    """The teacher as an ASE calculator on the CPU, one thread."""
    import torch
    from sevenn.calculator import SevenNetCalculator

    torch.set_num_threads(1)
    return SevenNetCalculator(TEACHER_MODEL, device="cpu")


def label(frames, calc, progress_every: int = 10, name: str = "") -> dict:
    """Energies (eV), forces (eV/Å) of ``frames`` with ``calc``; a progress line every ``progress_every``."""
    energies, forces, start = [], [], time.time()
    for k, atoms in enumerate(frames, 1):
        atoms.calc = calc
        energies.append(atoms.get_potential_energy())
        forces.append(atoms.get_forces().astype(np.float32))
        atoms.calc = None
        if k % progress_every == 0 or k == len(frames):
            rate = (time.time() - start) / k
            print(f"{name}: {k}/{len(frames)} labelled, {rate:.2f} s each, "
                  f"~{rate * (len(frames) - k) / 60:.1f} min left", flush=True)
    return {"energy_eV": np.array(energies), "forces_eV_A": np.array(forces),
            "seconds_per_config": (time.time() - start) / max(1, len(frames))}


def label_chunk(name: str, config_dir: Path | None = None, out_dir: Path | None = None) -> Path:
    """Label one chunk of configurations; a finished chunk is kept as it is."""
    from importlib import metadata

    from ase.io import read

    config_dir = config_dir or _synthetic_dir() / "configs"
    out_dir = out_dir or _synthetic_dir() / "labels"
    source, out = config_dir / f"{name}.extxyz", out_dir / f"{name}.npz"
    if out.exists():
        print(f"{out}: already labelled, kept")
        return out
    if not source.exists():
        raise FileNotFoundError(f"{source}: no configurations (make them with python -m analysis.synthetic build)")
    frames = read(source, index=":", format="extxyz")
    result = label(frames, calculator(), name=name)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = runs.temporary_path(out)
    with open(tmp, "wb") as handle:
        np.savez_compressed(
            handle, index=np.array([f.info["synthetic_index"] for f in frames], dtype=np.int64),
            fingerprint=np.array([f.info["fingerprint"] for f in frames], dtype=np.float64),
            energy_eV=result["energy_eV"], forces_eV_A=result["forces_eV_A"],
            seconds_per_config=np.float64(result["seconds_per_config"]),
            teacher=np.str_(TEACHER), teacher_version=np.str_(metadata.version("sevenn")),
            weights_sha256=np.str_(sha256sum(weights_file())))
    tmp.replace(out)
    return out


def label_file(source: Path, out: Path) -> Path:
    """Label every configuration of the extxyz ``source`` into ``out`` (npz: energies, forces, each frame's
    ``fingerprint`` from its info, the teacher's name, version and weights' sha256); a finished file is kept while
    it holds the same configurations (by fingerprint)."""
    from importlib import metadata

    from ase.io import read

    source, out = Path(source), Path(out)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no configurations to label")
    frames = read(source, index=":", format="extxyz")
    wanted = [str(f.info.get("fingerprint", "")) for f in frames]
    if out.exists():
        with np.load(out) as kept:
            if list(kept["fingerprint"]) == wanted and all(wanted):
                print(f"{out}: already labelled, kept")
                return out
        print(f"{out}: labelled for other configurations, labelling again")
    result = label(frames, calculator(), name=source.stem)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = runs.temporary_path(out)
    with open(tmp, "wb") as handle:
        np.savez_compressed(handle, fingerprint=np.array(wanted),
                            energy_eV=result["energy_eV"], forces_eV_A=result["forces_eV_A"],
                            teacher=np.str_(TEACHER), teacher_version=np.str_(metadata.version("sevenn")),
                            weights_sha256=np.str_(sha256sum(weights_file())))
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=["label", "label-file"])
    parser.add_argument("names", nargs="+", help="label: chunk names; label-file: SOURCE.extxyz OUT.npz")
    args = parser.parse_args(argv)
    try:
        if args.stage == "label-file":
            if len(args.names) != 2:
                parser.error("label-file takes SOURCE.extxyz OUT.npz")
            print(label_file(*map(Path, args.names)))
        for name in args.names if args.stage == "label" else []:
            print(label_chunk(name))
    except ImportError as exc:
        print(f"error: the teacher needs its own environment (make teacher-env): {exc}", file=sys.stderr)
        return 1
    except (OSError, KeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
