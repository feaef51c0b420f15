"""The core repulsion: forces are the gradient of its energy, it is zero on the DFT data, it repels."""

import numpy as np
import pytest
from ase import Atoms

from analysis import md, run_files
from analysis.core_repulsion import CoreRepulsion, onset_distances

ONSETS = {"Li-Li": 2.2, "Li-S": 1.86, "S-S": 2.4}


def _cluster(distance_A: float) -> Atoms:
    atoms = Atoms("LiLiS", positions=[[0, 0, 0], [distance_A, 0.1, 0], [0.3, 1.7, 0.2]],
                  cell=[8, 8, 8], pbc=True)
    atoms.calc = CoreRepulsion(ONSETS)
    return atoms


def test_forces_are_minus_the_energy_gradient():
    atoms = _cluster(1.6)
    forces = atoms.get_forces()
    assert np.abs(forces).max() > 1.0  # the pair is inside its onset: a real force
    h = 1e-5
    for a in range(len(atoms)):
        for k in range(3):
            shifted = atoms.positions.copy()
            shifted[a, k] += h
            plus = atoms.copy(); plus.positions = shifted; plus.calc = CoreRepulsion(ONSETS)
            shifted[a, k] -= 2 * h
            minus = atoms.copy(); minus.positions = shifted; minus.calc = CoreRepulsion(ONSETS)
            numeric = -(plus.get_potential_energy() - minus.get_potential_energy()) / (2 * h)
            assert np.isclose(forces[a, k], numeric, atol=1e-5)


def test_repels_and_vanishes_beyond_the_onset():
    close = _cluster(1.6)
    assert close.get_forces()[0, 0] < 0 < close.get_forces()[1, 0]  # pushed apart along x
    far = _cluster(2.3)
    far.positions[2] = [4, 4, 4]
    assert far.get_potential_energy() == 0.0 and not far.get_forces().any()


def test_zero_on_every_dft_configuration(frames):
    minima = {pair: min(md.pair_min_distances(f, 4.0)[pair] for f in frames) for pair in md.SPECIES_PAIRS}
    calc = CoreRepulsion(onset_distances(minima, 0.9))
    for atoms in frames:
        atoms = atoms.copy()
        atoms.calc = calc
        assert atoms.get_potential_energy() == 0.0


def test_md_run_name_marks_core_repulsion():
    assert md.MDSettings(temperature_K=700, seed=2).run_name() == "md-T700-seed2"
    with_core = md.MDSettings(temperature_K=700, seed=2, core_repulsion_onset_A={"Li-Li": 2.2})
    assert with_core.run_name() == "md-T700-seed2-core"


def test_fraction_zero_is_off_and_out_of_range_is_refused():
    assert onset_distances({"Li-Li": 2.44}, 0.0) == {}
    assert onset_distances({"Li-Li": 2.44}, 0.9) == {"Li-Li": 2.196}
    with pytest.raises(ValueError, match="core_repulsion_fraction"):
        onset_distances({"Li-Li": 2.44}, 1.5)


def test_core_repulsion_activity_from_thermo_rows():
    rows = [{"core_repulsion_eV": v} for v in ("0.0", "0.0", "0.05", "0.0")]
    assert run_files.core_repulsion_activity(rows) == {"core_active_fraction": 0.25, "core_max_eV": 0.05}
    assert run_files.core_repulsion_activity([{"epot_eV": "-1"}]) == {"core_active_fraction": None, "core_max_eV": None}
