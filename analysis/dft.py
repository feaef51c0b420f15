"""GPAW PBE single points: the one place for the study's own DFT settings. Energies in eV, forces in eV/Å.

Γ point, Fermi smearing 0.05 eV, no spin; ``mode`` "pw" (400 eV plane waves) or "lcao" (dzp basis). GPAW is the
optional ``dft`` extra (``pip install -e '.[dft]'``, see the README). Its energies are not VASP's: compare
differences between configurations, never absolute energies.
"""

from __future__ import annotations

import time

import numpy as np

PW_CUTOFF_EV = 400.0
SMEARING_EV = 0.05
MODES = {"pw": f"PW {PW_CUTOFF_EV:g} eV", "lcao": "LCAO dzp"}


def calculator(mode: str = "pw"):
    """A GPAW calculator with the study's settings, one process."""
    try:
        from gpaw import GPAW, PW
    except ImportError as exc:
        raise RuntimeError("GPAW is not installed: pip install -e '.[dft]' (needs libxc-dev, an OpenBLAS dev "
                           "package and g++; see the README)") from exc
    if mode not in MODES:
        raise ValueError(f"DFT mode {mode!r}: choose one of {', '.join(MODES)}")
    kwargs = dict(xc="PBE", kpts=(1, 1, 1), txt=None, spinpol=False,
                  occupations={"name": "fermi-dirac", "width": SMEARING_EV}, parallel={"domain": 1, "band": 1})
    return GPAW(mode=PW(PW_CUTOFF_EV), **kwargs) if mode == "pw" else GPAW(mode="lcao", basis="dzp", **kwargs)


def single_point(atoms, mode: str = "pw") -> dict:
    """Energy (eV), forces (eV/Å), SCF iterations, wall and CPU seconds of one PBE calculation of ``atoms``."""
    probe = atoms.copy()
    probe.calc = calculator(mode)
    w0, c0 = time.perf_counter(), time.process_time()
    forces = probe.get_forces()
    energy = probe.get_potential_energy()
    w1, c1 = time.perf_counter(), time.process_time()
    return {"mode": MODES[mode], "n_atoms": len(atoms), "energy_eV": float(energy),
            "forces_eV_A": np.asarray(forces, dtype=float), "scf_iterations": int(probe.calc.get_number_of_iterations()),
            "wall_s": w1 - w0, "cpu_s": c1 - c0}
