"""Structural checks of MD frames against the DFT data. Distances in Å.

In every LiPS configuration each P sits in a PS4 tetrahedron (PS4 or P2S7 units): its four nearest S lie
within 2.6 Å and none of the 200 configurations has a P with fewer than four S within 3.0 Å. A P with fewer
is a broken P–S bond, a configuration the model never saw.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list

P_S_BOND_CUTOFF_A = 3.0


def coordination(atoms: Atoms, center: str = "P", neighbour: str = "S", cutoff_A: float = P_S_BOND_CUTOFF_A) -> np.ndarray:
    """Number of ``neighbour`` atoms within ``cutoff_A`` of each ``center`` atom (periodic)."""
    symbols = np.array(atoms.get_chemical_symbols())
    i, j = neighbor_list("ij", atoms, cutoff_A)
    pairs = (symbols[i] == center) & (symbols[j] == neighbour)
    return np.bincount(i[pairs], minlength=len(atoms))[symbols == center]


def undercoordinated(frames: list[Atoms], expected: int = 4, **kwargs) -> np.ndarray:
    """Per frame: how many P have fewer than ``expected`` S within the bond cutoff."""
    return np.array([int(np.sum(coordination(a, **kwargs) < expected)) for a in frames])


def longest_intact_window(broken: np.ndarray) -> tuple[int, int]:
    """``[start, stop)`` frame indices of the longest stretch with no broken P–S bond (``(0, 0)`` if none)."""
    best, start = (0, 0), None
    for k, value in enumerate(list(np.asarray(broken) > 0) + [True]):
        if not value and start is None:
            start = k
        elif value and start is not None:
            if k - start > best[1] - best[0]:
                best = (start, k)
            start = None
    return best
