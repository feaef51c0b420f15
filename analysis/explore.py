"""What the dataset samples: energy and force statistics and pair-distance distributions.

Units: energies in eV (per atom where named), forces in eV/Å, distances in Å.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list

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


def pair_distances(frames: list[Atoms], r_max_A: float = 6.0, bin_width_A: float = 0.05):
    """Per pair: histogram (bin centres, pairs per configuration) and the minimum distance seen."""
    edges = np.arange(0.0, r_max_A + bin_width_A, bin_width_A)
    counts = {pair: np.zeros(len(edges) - 1) for pair in PAIRS}
    minima = {pair: np.inf for pair in PAIRS}
    for atoms in frames:
        i, j, d = neighbor_list("ijd", atoms, r_max_A)
        keep = i < j
        symbols = np.array(atoms.get_chemical_symbols())
        a, b = symbols[i[keep]], symbols[j[keep]]
        pair = np.char.add(np.char.add(np.where(a <= b, a, b), "-"), np.where(a <= b, b, a))
        for name in PAIRS:
            dist = d[keep][pair == name]
            if len(dist):
                counts[name] += np.histogram(dist, edges)[0]
                minima[name] = min(minima[name], float(dist.min()))
    centres = 0.5 * (edges[1:] + edges[:-1])
    histograms = {name: (centres, counts[name] / len(frames)) for name in PAIRS}
    return histograms, minima


def statistics(frames: list[Atoms], minima: dict[str, float] | None = None) -> dict:
    """Summary numbers of the dataset for the report (energies in meV/atom, forces in eV/Å); ``minima``: the
    shortest distance per pair (Å) if ``pair_distances`` has already been computed (it takes ~30 s)."""
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
        "min_pair_distance_A": minima,
    }
