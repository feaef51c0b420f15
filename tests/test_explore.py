"""Dataset exploration: the pair distances behind the MD distance monitor and the core repulsion."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.neighborlist import neighbor_list

from analysis import explore


def _ase_pairs(atoms: Atoms, r_max_A: float) -> np.ndarray:
    i, j, d = neighbor_list("ijd", atoms, r_max_A)
    return np.sort(d[i < j])


@pytest.mark.parametrize("r_max_A", [3.0, 6.0])
def test_pairs_within_match_ase_on_dataset_frames(frames, r_max_A):
    for atoms in frames[:3]:
        i, j, d = explore._pairs_within(atoms, r_max_A)
        assert (i < j).all()
        np.testing.assert_allclose(np.sort(d), _ase_pairs(atoms, r_max_A), rtol=0, atol=1e-10)


def test_pairs_within_reach_images_beyond_a_thin_skewed_cell():
    """A cutoff several times the cell's thinnest width, atoms outside the cell: every image pair counts."""
    atoms = Atoms("LiS", positions=[[0.1, 0.2, 0.3], [2.9, -1.1, 4.4]],
                  cell=[[2.0, 0.0, 0.0], [1.5, 3.0, 0.0], [0.4, 0.7, 2.5]], pbc=True)
    _, _, d = explore._pairs_within(atoms, 6.0)
    assert len(d) > 20
    np.testing.assert_allclose(np.sort(d), _ase_pairs(atoms, 6.0), rtol=0, atol=1e-10)


def test_pair_distances_give_each_species_pair_its_shortest_distance(frames):
    histograms, minima = explore.pair_distances(frames[:5])
    assert set(minima) == set(explore.PAIRS)
    for pair, d_min in minima.items():
        centres, per_config = histograms[pair]
        assert per_config.sum() > 0
        assert centres[np.nonzero(per_config)[0][0]] == pytest.approx(d_min, abs=0.05)  # the first filled bin
    assert minima["P-S"] < 2.2 < minima["S-S"]  # PS4 bonds, the shortest pair
