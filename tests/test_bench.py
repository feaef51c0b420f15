"""The benchmark script (analysis.bench): real measurements on the tiny model, merged per part."""

from __future__ import annotations

import pytest
from ase.build import bulk

from analysis import bench, paths, runs


def test_md_and_stage_parts_merge_into_one_file(tiny_model, study, tmp_path):
    out = tmp_path / "benchmarks.json"
    assert bench.main(["md", "--quick", "--model", str(tiny_model), "--out", str(out)]) == 0
    assert bench.main(["stages", "--model", str(tiny_model), "--out", str(out)]) == 0
    result = runs.read_json(out)
    assert set(result) == {"md", "stages"}  # the second part kept the first
    measured = [r for r in result["md"]["runs"] if "steps_per_s" in r]
    assert {(r["dtype"], r["threads"], r.get("parallel_runs")) for r in measured} == {
        ("float32", 1, None), ("float64", 1, None), ("float32", 2, None), ("float32", 1, 2)}
    side_by_side = next(r for r in measured if r.get("parallel_runs"))
    assert side_by_side["steps_per_s"] == pytest.approx(sum(side_by_side["per_run_steps_per_s"]))
    assert all(r["steps_per_s"] > 0 and r["steps_per_cpu_s"] > 0 for r in measured)
    assert result["stages"]["stage_wall_time_s"]["training"] > 0  # the tiny model's own training run
    table = bench.readme_table(result)
    assert "MD, 83 atoms, float64, 1 thread(s)" in table and "2 runs side by side, 1 thread each (sum)" in table and "wall time, all training runs so far" in table
    f32 = next(r["steps_per_s"] for r in measured if r["dtype"] == "float32" and r["threads"] == 1
               and not r.get("parallel_runs"))
    f64 = next(r["steps_per_s"] for r in measured if r["dtype"] == "float64")
    assert bench.ratios(result)["float32 / float64 (MD steps/s, 1 thread)"] == pytest.approx(f32 / f64)
    assert "| ratio: float32 / float64 (MD steps/s, 1 thread) |" in table


def test_models_part_measures_each_model_in_turns_beside_the_production_model(tiny_model, study, tmp_path, capsys):
    other = tmp_path / "fine-tuned.model"
    other.write_bytes(tiny_model.read_bytes())
    out = tmp_path / "benchmarks.json"
    assert bench.main(["models", "--quick", "--model", str(tiny_model), "--compare", str(other), "--out", str(out)]) == 0
    rows = runs.read_json(out)["models"]["runs"]
    assert [r["model"] for r in rows] == [str(paths.relative(tiny_model)), str(paths.relative(other))]
    assert all(r["steps_per_s"] > 0 and r["ns_per_day_2fs"] == pytest.approx(bench.ns_per_day(r["steps_per_s"]))
               and r["model_sha256"] == rows[0]["model_sha256"] for r in rows)
    assert "(in turns with the others)" in bench.readme_table(runs.read_json(out))
    assert bench.main(["models", "--quick", "--model", str(tiny_model), "--compare", str(tmp_path / "x.model"),
                       "--out", str(tmp_path / "c.json")]) == 1
    assert capsys.readouterr().err.strip().endswith("x.model: model file not found")


def test_ratios_use_only_the_rows_that_were_measured():
    row = dict(dtype="float32", threads=1, compile=None, n_atoms=83)
    result = {"md": {"runs": [{**row, "steps_per_s": 10.0}, {**row, "n_atoms": 664, "steps_per_s": 1.0},
                              {**row, "compile": "default", "error": "unsupported"},
                              {**row, "parallel_runs": 2, "steps_per_s": 19.0}]},
              "dft": {"dft": [{"mode": "LCAO dzp", "mlip_speedup_cpu": 800.0}]}}
    assert bench.ratios(result) == {"664 / 83 atoms (time per MD step)": 10.0,
                                    "GPAW LCAO dzp / MACE (CPU time per energy + forces)": 800.0}


def test_missing_model_is_one_line_and_exit_1(tmp_path, capsys):
    assert bench.main(["md", "--model", str(tmp_path / "none.model"), "--out", str(tmp_path / "b.json")]) == 1
    assert capsys.readouterr().err.strip() == f"ERROR: {tmp_path / 'none.model'}: model file not found (make report first)"
    assert not (tmp_path / "b.json").exists()


def test_gpaw_single_point_is_a_real_dft_calculation():
    pytest.importorskip("gpaw", reason="the optional DFT extra (pip install '.[dft]') is not installed")
    atoms = bulk("Li", "bcc", a=3.44, cubic=True)
    atoms.positions[0] += 0.05
    result = bench.gpaw_single_point(atoms, "lcao")
    assert result["mode"] == "LCAO dzp" and result["n_atoms"] == 2
    assert result["cpu_s"] > 0 and result["scf_iterations"] > 3
    assert "force_rms_diff_vs_vasp_meV_A" not in result  # no reference forces on this structure


def test_runs_timed_side_by_side_start_their_clocks_together(tiny_model, frames):
    class Barrier:  # the bench passes a multiprocessing barrier; this one counts the waits
        waits = 0

        def wait(self):
            Barrier.waits += 1

    rate = bench.md_steps_per_s(tiny_model, frames[0], "float32", 1, steps=2, repeats=1, start_together=Barrier())
    assert Barrier.waits == 1 and rate["steps_per_s"] > 0
