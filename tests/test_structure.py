"""Structural checks against the DFT data (analysis.structure)."""

from __future__ import annotations

import numpy as np

from analysis import structure


def test_every_p_in_the_data_has_four_s_and_a_pulled_s_breaks_one(frames):
    atoms = frames[0].copy()
    assert (structure.coordination(atoms) == 4).all()
    assert structure.undercoordinated(frames).max() == 0  # as the module states: no broken P–S in the data
    # move one S bonded to the first P 1.5 Å further away along the bond: that P loses it
    symbols = np.array(atoms.get_chemical_symbols())
    p = int(np.where(symbols == "P")[0][0])
    s_atoms = np.where(symbols == "S")[0]
    d = atoms.get_distances(p, s_atoms, mic=True, vector=True)
    nearest = int(np.argmin(np.linalg.norm(d, axis=1)))
    bond = d[nearest] / np.linalg.norm(d[nearest])
    atoms.positions[s_atoms[nearest]] += 1.5 * bond
    assert structure.undercoordinated([atoms]).tolist() == [1]


def test_longest_intact_window():
    from analysis.structure import longest_intact_window
    assert longest_intact_window(np.array([1, 0, 0, 1, 0, 0, 0, 1])) == (4, 7)
    assert longest_intact_window(np.array([0, 0, 1])) == (0, 2)
    assert longest_intact_window(np.array([1, 1])) == (0, 0)
    assert longest_intact_window(np.zeros(5)) == (0, 5)
