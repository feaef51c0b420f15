"""The study's DFT dataset: download, verify, decode, validate, split.

Source (default): the 200-configuration LiPS dev subset (VASP-PBE energies and forces of
Li27P12S44; Batzner et al., Nat. Commun. 13, 2453 (2022)) as shipped in IntelLabs/matsciml,
pinned by URL and sha256. Optional source: the full ``lips.xyz`` (Materials Cloud record
2022.45, DOI 10.24435/materialscloud:s0-5n) placed in the cache by the user.

Units: energies in eV (total, per cell), forces in eV/Å, positions and cell in Å.
Energies and forces are stored under ``REF_energy`` / ``REF_forces`` so that mace-torch is told
exactly which keys hold the labels (``--energy_key REF_energy --forces_key REF_forces``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import shutil
import urllib.error
import urllib.request
from collections import Counter, OrderedDict
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.io import read, write

from analysis import paths
from analysis.runs import atomic_write_text, temporary_path

DATASET_NAME = "LiPS dev subset (matsciml devset of Batzner et al. 2022)"
DATASET_URL = (
    "https://github.com/IntelLabs/matsciml/raw/07d43639fb072d9edd616cee797c292dbae32d8e/"
    "matsciml/datasets/lips/devset/data.lmdb"
)
DATASET_SHA256 = "bf917e32769af92d7a1d349b470e8f12b7143a2ff6bcbe7a814cb17d5df5dae6"
DATASET_FILENAME = "lips_dev_matsciml.lmdb"
FULL_LIPS_FILENAME = "lips.xyz"
FULL_LIPS_DOI = "10.24435/materialscloud:s0-5n"

ENERGY_KEY = "REF_energy"
FORCES_KEY = "REF_forces"
INDEX_KEY = "config_index"
EXPECTED_COMPOSITION = {"Li": 27, "P": 12, "S": 44}
AIMD_TEMPERATURE_K = 520.0  # the LiPS ab-initio MD the configurations come from (Batzner et al. 2022)
N_ATOMS = sum(EXPECTED_COMPOSITION.values())
VOLUME_PER_ATOM_RANGE_A3 = (5.0, 100.0)
MAX_ABS_FORCE_EV_PER_A = 100.0


class DataError(ValueError):
    """Bad or missing input data; the message names the file and the problem."""


# --------------------------------------------------------------------------- download
def sha256sum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def frames_sha256(frames: list[Atoms]) -> str:
    """A hash of configurations' species, positions and cells (what a model's output depends on)."""
    h = hashlib.sha256()
    for atoms in frames:
        for array in (atoms.numbers.astype(np.int64), np.asarray(atoms.positions, dtype=np.float64),
                      np.asarray(atoms.cell, dtype=np.float64)):
            h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


def fetch_dataset(
    cache_dir: Path | None = None,
    url: str | None = None,
    sha256: str = DATASET_SHA256,
    filename: str = DATASET_FILENAME,
    timeout_s: float = 60.0,
) -> Path:
    """Return the verified dataset file in the cache, downloading it first if absent.

    The checksum is verified before anything decodes the file. A partial download never
    lands under the final name (download to ``*.part``, verify, then rename). ``url`` defaults to
    the pinned URL; the environment variable ``LIPS_DATASET_URL`` points it at a mirror.
    """
    url = url or os.environ.get("LIPS_DATASET_URL", DATASET_URL)
    cache_dir = Path(cache_dir) if cache_dir is not None else paths.cache_dir()
    target = cache_dir / filename
    if not target.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        part = temporary_path(target, ".part")
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response, open(part, "wb") as out:
                shutil.copyfileobj(response, out)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            part.unlink(missing_ok=True)
            raise DataError(
                f"{target}: download from {url} failed ({exc}); "
                f"download it elsewhere and place it at {target}"
            ) from None
        got = sha256sum(part)
        if got != sha256:
            part.unlink(missing_ok=True)
            raise DataError(
                f"{url}: downloaded file has sha256 {got}, expected {sha256}; "
                f"not saved to {target}"
            )
        part.replace(target)
        return target
    got = sha256sum(target)
    if got != sha256:
        raise DataError(
            f"{target}: sha256 {got} does not match the pinned {sha256} "
            f"(truncated or wrong file); delete it and rerun, or place the correct file there"
        )
    return target


# --------------------------------------------------------------------------- decoding
def _torch_load_bytes(data: bytes):
    import torch

    return torch.load(io.BytesIO(data), weights_only=True)


def _allowed_globals() -> dict[tuple[str, str], object]:
    import torch

    return {
        ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
        ("torch.storage", "_load_from_bytes"): _torch_load_bytes,
        ("collections", "OrderedDict"): OrderedDict,
        ("numpy.core.multiarray", "scalar"): np._core.multiarray.scalar,
        ("numpy._core.multiarray", "scalar"): np._core.multiarray.scalar,
        ("numpy", "dtype"): np.dtype,
    }


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that only reconstructs torch tensors, numpy scalars and OrderedDicts."""

    allowed: dict[tuple[str, str], object] = {}

    def find_class(self, module: str, name: str):
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"forbidden global {module}.{name}") from None


def _to_numpy(value) -> np.ndarray:
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def read_lmdb(path: Path) -> list[Atoms]:
    """Decode the pickled LMDB into Atoms (keys ``b"0"``…, returned in integer-key order)."""
    import lmdb

    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: dataset file not found")
    _RestrictedUnpickler.allowed = _allowed_globals()
    try:
        env = lmdb.open(str(path), subdir=False, readonly=True, lock=False)
    except lmdb.Error as exc:
        raise DataError(f"{path}: not a readable LMDB file ({exc})") from None
    frames: list[Atoms] = []
    with env.begin() as txn:
        keys = sorted((bytes(k) for k, _ in txn.cursor()), key=lambda k: int(k))
        for key in keys:
            try:
                entry = _RestrictedUnpickler(io.BytesIO(txn.get(key))).load()
            except Exception as exc:  # noqa: BLE001 - any decoding failure is bad input
                raise DataError(f"{path}: entry {key.decode()} cannot be decoded ({exc})") from None
            atoms = Atoms(
                numbers=_to_numpy(entry["atomic_numbers"]).astype(int),
                positions=_to_numpy(entry["pos"]).astype(float),
                cell=_to_numpy(entry["cell"]).astype(float).reshape(3, 3),
                pbc=_to_numpy(entry["pbc"]).astype(bool).reshape(3),
            )
            atoms.info[ENERGY_KEY] = float(entry["energy"])
            atoms.info[INDEX_KEY] = int(key)
            atoms.arrays[FORCES_KEY] = _to_numpy(entry["force"]).astype(float)
            frames.append(atoms)
    env.close()
    return frames


# --------------------------------------------------------------------------- validation
def validate_frames(
    frames: list[Atoms], source: Path | str, composition: dict[str, int] = EXPECTED_COMPOSITION
) -> None:
    """Refuse anything that is not a finite, periodic Li27P12S44 configuration with labels.

    Raises DataError naming the file and the configuration index (0-based, file order).
    """
    if not frames:
        raise DataError(f"{source}: contains no configurations")
    n_atoms = sum(composition.values())
    for i, atoms in enumerate(frames):
        where = f"{source}: configuration {i}"
        if len(atoms) != n_atoms:
            raise DataError(f"{where}: has {len(atoms)} atoms, expected {n_atoms}")
        counts = dict(Counter(atoms.get_chemical_symbols()))
        if counts != composition:
            raise DataError(f"{where}: species {counts}, expected {composition}")
        if ENERGY_KEY not in atoms.info:
            raise DataError(f"{where}: no '{ENERGY_KEY}' energy in the extxyz info")
        if FORCES_KEY not in atoms.arrays:
            raise DataError(f"{where}: no '{FORCES_KEY}' forces in the extxyz arrays")
        energy = atoms.info[ENERGY_KEY]
        if not isinstance(energy, (int, float, np.floating)) or not np.isfinite(energy):
            raise DataError(f"{where}: energy is not a finite number ({energy!r})")
        forces = np.asarray(atoms.arrays[FORCES_KEY], dtype=float)
        if forces.shape != (n_atoms, 3) or not np.all(np.isfinite(forces)):
            raise DataError(f"{where}: forces contain NaN/inf or have shape {forces.shape}")
        if np.abs(forces).max() > MAX_ABS_FORCE_EV_PER_A:
            raise DataError(f"{where}: a force exceeds {MAX_ABS_FORCE_EV_PER_A} eV/Å")
        if not np.all(np.isfinite(atoms.positions)):
            raise DataError(f"{where}: positions contain NaN/inf")
        if not all(atoms.pbc):
            raise DataError(f"{where}: cell is not periodic in all three directions")
        volume_per_atom = abs(atoms.cell.volume) / n_atoms
        low, high = VOLUME_PER_ATOM_RANGE_A3
        if not low <= volume_per_atom <= high:
            raise DataError(
                f"{where}: degenerate cell ({volume_per_atom:.2f} Å^3/atom, expected {low}-{high})"
            )


def read_extxyz(path: Path) -> list[Atoms]:
    """Read and validate an extended-XYZ with REF_energy/REF_forces labels."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    try:
        frames = read(path, index=":", format="extxyz")
    except Exception as exc:  # noqa: BLE001 - ASE raises many types for corrupt files
        raise DataError(f"{path}: not a readable extended-XYZ file ({type(exc).__name__}: {exc})") from None
    for atoms in frames:
        # ASE moves recognised keys into a SinglePointCalculator; bring labels back.
        calc = atoms.calc
        if calc is not None:
            if ENERGY_KEY not in atoms.info and "energy" in calc.results:
                atoms.info[ENERGY_KEY] = float(calc.results["energy"])
            if FORCES_KEY not in atoms.arrays and "forces" in calc.results:
                atoms.arrays[FORCES_KEY] = np.array(calc.results["forces"])
            atoms.calc = None
    validate_frames(frames, path)
    return frames


def write_extxyz(frames: list[Atoms], path: Path) -> None:
    """Write frames atomically (temporary name, then rename); an identical file is left untouched
    so that Make does not see a new timestamp and retrain everything downstream."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path)
    write(tmp, frames, format="extxyz")
    if path.exists() and path.read_bytes() == tmp.read_bytes():
        tmp.unlink()
        return
    tmp.replace(path)


def load_dataset(source: str = "dev", n_configs: int | None = None, seed: int = 0) -> list[Atoms]:
    """The study's validated configurations.

    source "dev": the pinned 200-configuration subset (downloaded + checksummed).
    source "full": ``lips.xyz`` placed by the user in the cache; ``n_configs`` frames are drawn
    from it at random with ``seed`` (its frames are consecutive MD steps, so subsample).
    """
    if source == "dev":
        frames = read_lmdb(fetch_dataset())
        validate_frames(frames, paths.cache_dir() / DATASET_FILENAME)
    elif source == "full":
        full = paths.cache_dir() / FULL_LIPS_FILENAME
        if not full.exists():
            raise DataError(
                f"{full}: not found; download lips.xyz from Materials Cloud (DOI {FULL_LIPS_DOI}) "
                f"and place it there"
            )
        frames = read_extxyz(full)
        for i, atoms in enumerate(frames):
            atoms.info[INDEX_KEY] = i
        if n_configs is not None:
            pick = np.sort(np.random.default_rng(seed).choice(len(frames), n_configs, replace=False))
            frames = [frames[i] for i in pick]
    else:
        raise DataError(f"dataset source '{source}' unknown (use 'dev' or 'full')")
    if n_configs is not None and source == "dev":
        frames = frames[:n_configs]
    return frames


# --------------------------------------------------------------------------- split
def make_split(n_configs: int, n_test: int, seed: int) -> dict:
    """Seeded random train/test split of configuration indices (file order)."""
    if not 0 < n_test < n_configs:
        raise DataError(f"split: n_test={n_test} must be between 1 and n_configs-1={n_configs - 1}")
    order = np.random.default_rng(seed).permutation(n_configs)
    return {
        "seed": seed,
        "n_configs": n_configs,
        "test_indices": sorted(int(i) for i in order[:n_test]),
        "train_indices": sorted(int(i) for i in order[n_test:]),
    }


def prepare_dataset(n_test: int = 40, seed: int = 0, source: str = "dev", n_configs: int | None = None) -> dict:
    """Fetch, decode, validate, split; write the extxyz files and ``split.json``.

    Returns the split record (also written to ``derived/split.json``), including the dataset
    sha256 so every later step can tell which data it was built on.
    """
    frames = load_dataset(source, n_configs=n_configs, seed=seed)
    split = make_split(len(frames), n_test, seed)
    split["source"] = source
    split["sha256"] = (
        DATASET_SHA256 if source == "dev" else sha256sum(paths.cache_dir() / FULL_LIPS_FILENAME)
    )
    split["name"] = DATASET_NAME if source == "dev" else "LiPS full (lips.xyz)"
    write_extxyz(frames, paths.dataset_xyz())
    write_extxyz([frames[i] for i in split["train_indices"]], paths.train_xyz())
    write_extxyz([frames[i] for i in split["test_indices"]], paths.test_xyz())
    text = json.dumps(split, indent=1) + "\n"
    if not paths.split_file().exists() or paths.split_file().read_text() != text:
        atomic_write_text(paths.split_file(), text)
    return split


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.data validate FILE...``, ``python -m analysis.data fetch``, or
    ``python -m analysis.data prepare N_TEST SEED SOURCE N_CONFIGS`` (N_CONFIGS ``null`` for all)."""
    import sys

    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["fetch"] and len(argv) == 1:
            print(fetch_dataset())
        elif argv[:1] == ["prepare"] and len(argv) == 5:
            n_test, seed, source, n_configs = argv[1:]
            split = prepare_dataset(n_test=int(n_test), seed=int(seed), source=source,
                                    n_configs=None if n_configs in ("null", "None", "") else int(n_configs))
            print(f"{paths.split_file()}: {len(split['train_indices'])} train / {len(split['test_indices'])} test")
        elif argv[:1] == ["validate"] and len(argv) > 1:
            for name in argv[1:]:
                frames = read_lmdb(Path(name)) if name.endswith(".lmdb") else read_extxyz(Path(name))
                if name.endswith(".lmdb"):
                    validate_frames(frames, name)
                print(f"{name}: {len(frames)} valid configurations")
        else:
            print(main.__doc__, file=sys.stderr)
            return 2
    except (DataError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
