"""What the dataset samples: energy and force statistics and pair-distance distributions.

Units: energies in eV (per atom where named), forces in eV/Å, distances in Å.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms

from analysis import data

PAIRS = ("Li-Li", "Li-P", "Li-S", "P-P", "P-S", "S-S")


def scaled_minima(dataset_minima_A: dict[str, float], fraction: float) -> dict[str, float]:
    """``fraction`` x each species pair's shortest distance in the DFT data (Å, rounded to 0.001); {} for 0.

    The one rule behind the MD distance monitor (``md.pair_limits``) and the core repulsion's onsets
    (``core_repulsion.onset_distances``)."""
    if fraction == 0:
        return {}
    return {pair: round(fraction * d, 3) for pair, d in dataset_minima_A.items() if pair in PAIRS}


def arrays(frames: list[Atoms]) -> dict:
    """Energies per atom (eV), forces (n_frames, n_atoms, 3; eV/Å) and the symbols."""
    return {
        "energy_per_atom_eV": np.array([a.info[data.ENERGY_KEY] / len(a) for a in frames]),
        "forces_eV_A": np.array([a.arrays[data.FORCES_KEY] for a in frames]),
        "symbols": np.array(frames[0].get_chemical_symbols()),
    }


def _pairs_within(atoms: Atoms, r_max_A: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair i < j of a periodic cell closer than ``r_max_A`` over all periodic images: (i, j, distance Å).

    The same pairs as ``ase.neighborlist.neighbor_list`` with ``i < j``, by brute force over the lattice
    translations that can reach ``r_max_A`` (an 83-atom cell: ~10 ms a frame instead of ~150 ms)."""
    cell = atoms.cell.array
    positions = atoms.get_scaled_positions(wrap=True) @ cell
    heights = abs(np.linalg.det(cell)) / np.linalg.norm(np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1)
    reach = np.ceil(r_max_A / heights).astype(int) + 1  # wrapped fractional differences lie in (-1, 1)
    grid = np.stack(np.meshgrid(*[np.arange(-n, n + 1) for n in reach], indexing="ij"), -1).reshape(-1, 3)
    i, j = np.triu_indices(len(atoms), 1)
    d = np.linalg.norm((positions[j] - positions[i])[:, None, :] + (grid @ cell)[None], axis=-1)
    pair, _ = np.nonzero(d < r_max_A)
    return i[pair], j[pair], d[d < r_max_A]


def pair_distances(frames: list[Atoms], r_max_A: float = 6.0, bin_width_A: float = 0.05):
    """Per pair: histogram (bin centres, pairs per configuration) and the minimum distance seen."""
    edges = np.arange(0.0, r_max_A + bin_width_A, bin_width_A)
    counts = {pair: np.zeros(len(edges) - 1) for pair in PAIRS}
    minima = {pair: np.inf for pair in PAIRS}
    for atoms in frames:
        i, j, d = _pairs_within(atoms, r_max_A)
        symbols = np.array(atoms.get_chemical_symbols())
        swap = symbols[i] > symbols[j]  # alphabetical order, as in the names: "Li-S"
        a, b = np.where(swap, symbols[j], symbols[i]), np.where(swap, symbols[i], symbols[j])
        for name in PAIRS:
            first, second = name.split("-")
            dist = d[(a == first) & (b == second)]
            if len(dist):
                counts[name] += np.histogram(dist, edges)[0]
                minima[name] = min(minima[name], float(dist.min()))
    centres = 0.5 * (edges[1:] + edges[:-1])
    histograms = {name: (centres, counts[name] / len(frames)) for name in PAIRS}
    return histograms, minima


def statistics(frames: list[Atoms], minima: dict[str, float] | None = None) -> dict:
    """Summary numbers of the dataset for the report (energies in meV/atom, forces in eV/Å); ``minima``: the
    shortest distance per pair (Å) if ``pair_distances`` has already been computed (a few seconds)."""
    arr = arrays(frames)
    e = arr["energy_per_atom_eV"]
    f = arr["forces_eV_A"]
    per_element = {
        el: float(np.sqrt(np.mean(f[:, arr["symbols"] == el] ** 2))) for el in ("Li", "P", "S")
    }
    if minima is None:
        _, minima = pair_distances(frames)
    return {
        "n_configs": len(frames),
        "n_atoms": len(frames[0]),
        "formula": frames[0].get_chemical_formula(),
        "volume_A3": float(abs(frames[0].cell.volume)),
        # lengths (Å) and angles (degrees) to 1e-9: numpy's arccos rounds the last bit differently on other CPUs
        "cellpar": [round(float(x), 9) for x in frames[0].cell.cellpar()],
        "energy_per_atom_mean_eV": float(e.mean()),
        "energy_per_atom_std_meV": float(e.std() * 1000),
        "energy_per_atom_range_meV": float((e.max() - e.min()) * 1000),
        "force_rms_eV_A": float(np.sqrt(np.mean(f**2))),
        "force_max_eV_A": float(np.abs(f).max()),
        "force_rms_per_element_eV_A": per_element,
        # to 1e-9 Å: the last bit of a distance depends on how the displacement was summed (and on the CPU)
        "min_pair_distance_A": {pair: round(float(d), 9) for pair, d in minima.items()},
    }
