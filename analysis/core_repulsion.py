"""A short-range core repulsion that acts only where the DFT data have no pairs.

The LiPS data come from one 520 K trajectory: no Li–Li pair in it is closer than 2.44 Å, no Li–P
closer than 2.58 Å. Below those distances a MACE model extrapolates, and in MD it can pull two
cations together (see the stability screen). Following the "core repulsion with an inner cutoff"
of ACE potentials (Lysogorskiy et al., npj Comput. Mater. 7, 97 (2021)), we add, per species pair,

    E(r) = A_eV * (1 - r / r_on)**3   for r < r_on,   0 otherwise,

with the onset r_on a fraction (e.g. 0.9) of that pair's shortest distance in the DFT data. E and
its first two derivatives vanish at r_on, so the term is exactly zero on every training
configuration (the model and its test errors are unchanged) and only acts in the region the data
never sampled, where the physical interaction between two cations is strongly repulsive.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.neighborlist import neighbor_list

STRENGTH_EV = 100.0  # A: the energy of a pair at r = 0


def onset_distances(dataset_minima_A: dict[str, float], fraction: float) -> dict[str, float]:
    """Per-pair onsets r_on (Å): ``fraction`` x the shortest distance of the pair in the DFT data.

    ``fraction`` 0 switches the repulsion off (no onsets).
    """
    if not 0 <= fraction <= 1:
        raise ValueError(f"core_repulsion_fraction={fraction}: must be in [0, 1]")
    from analysis import explore

    return explore.scaled_minima(dataset_minima_A, fraction)


def pair_keys(symbols: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Species-pair names ("Li-S", alphabetical) of the atom pairs (i, j)."""
    a, b = symbols[i], symbols[j]
    return np.char.add(np.char.add(np.where(a <= b, a, b), "-"), np.where(a <= b, b, a))


class CoreRepulsion(Calculator):
    """Pair repulsion ``A_eV (1 - r/r_on)^3`` below per-pair onsets ``onset_A`` ({"Li-Li": 2.2, ...})."""

    implemented_properties = ["energy", "free_energy", "forces"]

    def __init__(self, onset_A: dict[str, float], strength_eV: float = STRENGTH_EV, **kwargs):
        super().__init__(**kwargs)
        self.onset_A = dict(onset_A)
        self.strength_eV = float(strength_eV)

    def _onsets(self, atoms: Atoms, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        keys = pair_keys(np.array(atoms.get_chemical_symbols()), i, j)
        return np.array([self.onset_A.get(k, 0.0) for k in keys], dtype=float)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        forces = np.zeros((len(atoms), 3))
        energy = 0.0
        cutoff = max(self.onset_A.values(), default=0.0)
        if cutoff > 0:
            i, j, d, vec = neighbor_list("ijdD", atoms, cutoff)
            r_on = self._onsets(atoms, i, j)
            inside = d < r_on
            i, j, d, vec, r_on = i[inside], j[inside], d[inside], vec[inside], r_on[inside]
            x = 1.0 - d / r_on
            energy = 0.5 * float(np.sum(self.strength_eV * x**3))  # each pair appears twice
            # dE/dr = -3 A x^2 / r_on; the force on i from pair (i, j) is +dE/dr * vec/d
            # (vec points from i to j), halved for the double counting, then both i and j get theirs
            f_pair = (-3.0 * self.strength_eV * x**2 / r_on / d)[:, None] * vec * 0.5
            np.add.at(forces, i, f_pair)
            np.add.at(forces, j, -f_pair)
        self.results = {"energy": energy, "free_energy": energy, "forces": forces}
