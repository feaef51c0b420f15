"""Is the PS4 breaking physical? (analysis.ps4_dft, analysis.dft): frame choice from a committed hot run, the
energy differences and their reading, and real GPAW + MACE on tiny inputs (GPAW is the optional dft extra)."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms

from analysis import paths, ps4_dft, run_files, structure

HOT_RUN = "md-T600-seed2"  # committed, 62 % of its frames with a broken PS4 unit


def test_frames_are_taken_evenly_from_each_kind_of_a_committed_hot_run():
    plan = {"ps4_dft": {"runs": [HOT_RUN], "frames_per_kind": 3, "mode": "pw"}}
    frames = ps4_dft.select(plan, paths.ROOT / "data" / "runs")
    kinds = [a.info["kind"] for a in frames]
    assert kinds == ["broken"] * 3 + ["intact"] * 3
    counts = structure.undercoordinated(frames)
    assert all(counts[:3] > 0) and not any(counts[3:])
    all_frames, _ = run_files.read_positions(paths.ROOT / "data" / "runs" / HOT_RUN)
    broken = np.flatnonzero(structure.undercoordinated(all_frames) > 0)
    assert [a.info["frame"] for a in frames[:3]] == [broken[0], broken[len(broken) // 2], broken[-1]]
    assert frames[0].info["fingerprint"] == ps4_dft.fingerprint(all_frames[broken[0]])
    assert [a.info["fingerprint"] for a in ps4_dft.select(plan, paths.ROOT / "data" / "runs")] == \
        [a.info["fingerprint"] for a in frames]  # no random choice
    with pytest.raises(ValueError, match="only 0 broken frames"):
        ps4_dft.select({"ps4_dft": {"runs": ["md-T300-seed1"], "frames_per_kind": 1, "mode": "pw"}},
                       paths.ROOT / "data" / "runs")


def _rows(dft_broken, dft_intact, model_shift):
    rows = [{"run": "r", "kind": "broken", "E_dft_eV": e, "E_model_eV": e + model_shift, "E_teacher_eV": None}
            for e in dft_broken]
    return rows + [{"run": "r", "kind": "intact", "E_dft_eV": e, "E_model_eV": e, "E_teacher_eV": None}
                   for e in dft_intact]


def test_energy_differences_and_their_reading():
    # DFT: broken frames 1 eV above intact ones (thermal scatter ±0.3 eV); the model 0.5 eV too low on broken frames
    rows = _rows([10.7, 11.0, 11.3], [9.7, 10.0, 10.3], model_shift=-0.5)
    (r,) = ps4_dft.differences(rows)
    assert r["delta_dft_eV"] == pytest.approx(1.0) and r["delta_model_eV"] == pytest.approx(0.5)
    assert r["delta_dft_err_eV"] == pytest.approx(np.sqrt(2 * 0.09 / 3))  # thermal scatter enters Δ ...
    assert r["delta_model_minus_dft_eV"] == pytest.approx(-0.5) and r["delta_model_minus_dft_err_eV"] < 1e-9  # ... not the model's error
    assert "delta_teacher_eV" not in r  # no teacher energies
    assert ps4_dft.reading([r])["category"] == "too low"
    assert ps4_dft.reading(ps4_dft.differences(_rows([10.7, 11.0, 11.3], [9.7, 10.0, 10.3], 0.0)))["category"] == "agrees"
    assert ps4_dft.reading(ps4_dft.differences(_rows([10.7, 11.0, 11.3], [9.7, 10.0, 10.3], 0.4)))["category"] == "too high"
    assert ps4_dft.reading(ps4_dft.differences(_rows([10.0], [], 0.0))) is None  # one kind only: no reading


def test_gpaw_labels_frames_once_and_mace_is_compared_on_them(tiny_model, tmp_path):
    pytest.importorskip("gpaw", reason="GPAW is the optional dft extra (pip install -e '.[dft]')")
    frames = []
    for k, (distance, kind) in enumerate(((2.67, "intact"), (3.5, "broken"))):  # Li2 at its bond length, stretched
        atoms = Atoms("Li2", positions=[[3, 3, 3], [3 + distance, 3, 3]], cell=[11, 8, 8], pbc=True)
        atoms.info.update(run="dimer", frame=k, kind=kind, n_broken_P=0, time_ps=0.0,
                          fingerprint=ps4_dft.fingerprint(atoms))
        frames.append(atoms)
    done = ps4_dft.label(frames, "lcao", tmp_path)
    first = [p.read_text() for p in done]
    assert len(done) == 2 and ps4_dft.label(frames, "lcao", tmp_path) == done  # the second call computes nothing
    assert [p.read_text() for p in done] == first
    result = ps4_dft.compare(frames, tmp_path, None, tiny_model)
    (r,) = result["per_run"]
    e = {row["kind"]: row for row in result["frames"]}
    assert r["delta_dft_eV"] == pytest.approx(e["broken"]["E_dft_eV"] - e["intact"]["E_dft_eV"])
    assert r["delta_model_eV"] == pytest.approx(e["broken"]["E_model_eV"] - e["intact"]["E_model_eV"])
    assert 0 < r["delta_dft_eV"] < 1.1  # stretching Li2 by 0.8 Å costs a fraction of its 1.05 eV bond
    moved = frames[1].copy()
    moved.positions[1, 0] += 0.1
    moved.info = {**frames[1].info, "fingerprint": ps4_dft.fingerprint(moved)}
    with pytest.raises(ValueError, match="computed for other positions"):
        ps4_dft.label([moved], "lcao", tmp_path)
