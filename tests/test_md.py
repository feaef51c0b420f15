"""NVT MD with the trained model (analysis.md): monitor, resume, reproducibility, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms

from analysis import data, diffusion, md, model, paths, run_files, runs, temperature_series

SHORT = dict(temperature_K=500.0, timestep_fs=1.0, equilibration_ps=0.01, production_ps=0.04,
             sample_interval_fs=2.0, chunk_ps=0.01, min_distance_A=0.5)


def test_short_run_writes_trajectory_thermo_and_summary(tiny_model, tmp_path):
    summary = md.run_md(md.MDSettings(seed=1, **SHORT), tiny_model, tmp_path / "run")
    assert summary["status"] == "done", summary["failure"]
    assert summary["production_ps"] == pytest.approx(0.04)
    frames = run_files.read_trajectory(tmp_path / "run")
    assert len(frames) == 20 == summary["n_frames"]
    rows = run_files.read_thermo(tmp_path / "run" / "thermo.csv")
    assert len(rows) == 25 and rows[0]["phase"] == "equilibration" and rows[-1]["phase"] == "production"
    assert summary["min_distance_A"] == pytest.approx(min(summary["min_pair_distance_A"].values()))
    assert set(summary["min_pair_distance_A"]) == set(md.SPECIES_PAIRS)


def test_positions_file_replaces_the_trajectory_for_the_diffusion_analysis(tiny_model, tmp_path):
    settings = md.MDSettings(seed=1, **{**SHORT, "production_ps": 0.1})
    run = tmp_path / "runs" / "md-T500-seed1"
    md.run_md(settings, tiny_model, run)
    assert (run / run_files.POSITIONS_FILE).exists()  # written by every finished run
    full = run_files.read_trajectory(run)
    run_files.export_positions(run, settings.sample_interval_fs, stride_fs=4.0)
    frames, interval_fs = run_files.read_positions(run)
    assert interval_fs == 4.0 and len(frames) == len(full[::2]) == 25
    assert np.allclose([f.positions for f in frames], [f.positions for f in full[::2]], atol=1e-4)
    reference = temperature_series.analyse(temperature_series.collect_runs(tmp_path / "runs")[0], 0.01)
    for chunk in (run / "chunks").glob("*.traj"):
        chunk.unlink()  # a clean checkout: no trajectory, only the committed positions.npz
    again = temperature_series.analyse(temperature_series.collect_runs(tmp_path / "runs")[0], 0.01)
    assert again["per_run"][0]["D_cm2_s"] == reference["per_run"][0]["D_cm2_s"] > 0
    (run / run_files.POSITIONS_FILE).unlink()
    with pytest.raises(FileNotFoundError, match="positions.npz: missing, and no trajectory chunks"):
        run_files.read_positions(run)


def test_long_runs_are_also_analysed_over_the_series_length(tiny_model, tmp_path):
    settings = md.MDSettings(seed=1, **{**SHORT, "production_ps": 0.1})
    md.run_md(settings, tiny_model, tmp_path / "runs" / "md-T500-seed1")
    run_files.export_positions(tmp_path / "runs" / "md-T500-seed1", settings.sample_interval_fs, stride_fs=4.0)  # 25 frames
    used = temperature_series.collect_runs(tmp_path / "runs")[0]
    plain = temperature_series.analyse(used, 0.01)["per_run"][0]
    checked = temperature_series.analyse(used, 0.01, reference_ps=0.04)["per_run"][0]
    assert plain["D_first_cm2_s"] is None and checked["first_window_ps"] == pytest.approx(0.036)  # 10 frames
    assert checked["D_cm2_s"] == plain["D_cm2_s"]  # the run's own D is unchanged
    frames, interval_fs = run_files.read_positions(tmp_path / "runs" / "md-T500-seed1")
    first = diffusion.diffusion_coefficient([frames[:10]], interval_fs / 1000, 0.01)
    assert checked["D_first_cm2_s"] == pytest.approx(first["D_cm2_s"]) and checked["D_first_cm2_s"] != plain["D_cm2_s"]
    assert checked["D_first_change"] == pytest.approx(first["D_cm2_s"] / plain["D_cm2_s"] - 1)
    # a run not 1.2x longer than the reference (0.096 ps analysed) gets no second analysis
    assert temperature_series.analyse(used, 0.01, reference_ps=0.09)["per_run"][0]["D_first_cm2_s"] is None


def test_same_seed_same_numbers_other_seed_other_numbers(tiny_model, tmp_path):
    a = md.run_md(md.MDSettings(seed=4, **SHORT), tiny_model, tmp_path / "a")
    b = md.run_md(md.MDSettings(seed=4, **SHORT), tiny_model, tmp_path / "b")
    c = md.run_md(md.MDSettings(seed=5, **SHORT), tiny_model, tmp_path / "c")
    pa, pb, pc = (run_files.read_trajectory(tmp_path / n)[-1].positions for n in "abc")
    assert np.array_equal(pa, pb) and not np.allclose(pa, pc)
    assert a["mean_temperature_K"] == b["mean_temperature_K"] != c["mean_temperature_K"]


def test_compiled_model_follows_the_eager_trajectory_and_is_recorded(tiny_model, tmp_path):
    """torch.compile changes how the model executes, not the physics: same start, same forces to float rounding."""
    settings = md.MDSettings(seed=4, **{**SHORT, "equilibration_ps": 0.0, "production_ps": 0.01})
    eager = md.run_md(settings, tiny_model, tmp_path / "eager")
    compiled = md.run_md(settings, tiny_model, tmp_path / "compiled", compile_mode="default")
    assert eager["compile_mode"] is None and compiled["compile_mode"] == "default"
    pe, pc = (run_files.read_trajectory(tmp_path / n)[-1].positions for n in ("eager", "compiled"))
    # 10 steps: float rounding (which also depends on the thread count set by earlier tests) grows to ~1e-4 Å,
    # far below a vibration amplitude (~0.1 Å); a wrong compiled force would move atoms by ~1e-2 Å or more
    assert np.abs(pe - pc).max() < 2e-3
    assert not np.array_equal(run_files.read_trajectory(tmp_path / "eager")[0].positions,
                              run_files.read_trajectory(tmp_path / "eager")[-1].positions)


def test_killed_run_resumes_to_the_same_result(tiny_model, tmp_path):
    """Ctrl-C, then SIGKILL, each followed by the same call: the run ends where one run straight through ends."""
    settings = md.MDSettings(seed=2, **{**SHORT, "production_ps": 0.2})  # 20 chunks; each signal comes 3 chunks on
    reference = md.run_md(settings, tiny_model, tmp_path / "reference")
    run = tmp_path / "killed"
    # Ctrl-C as in a terminal: a child of a background job (make test &) inherits SIGINT ignored
    code = (f"import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
            f"from analysis import md; md.run_md(md.MDSettings(**{json.dumps(settings.__dict__)}), "
            f"{str(tiny_model)!r}, {str(run)!r})")

    def n_chunks() -> int:
        return len(list((run / "chunks").glob("chunk-*.traj")))

    for sig in (signal.SIGINT, signal.SIGKILL):
        target = n_chunks() + 3
        proc = subprocess.Popen([sys.executable, "-c", code.replace("null", "None")], cwd=paths.ROOT,
                                env={**os.environ, "OMP_NUM_THREADS": "1"})
        deadline = time.time() + 120
        while n_chunks() < target and time.time() < deadline:
            time.sleep(0.05)
        proc.send_signal(sig)
        assert proc.wait() != 0, f"the run finished before {sig.name}"
        assert not runs.summary_path(run).exists()  # never looks finished
    resumed = md.run_md(settings, tiny_model, run)
    assert resumed["status"] == "done"
    assert np.array_equal(run_files.read_trajectory(run)[-1].positions, run_files.read_trajectory(tmp_path / "reference")[-1].positions)
    assert resumed["n_frames"] == reference["n_frames"]
    assert np.array_equal(run_files.load_positions(run)["positions_A"],
                          run_files.load_positions(tmp_path / "reference")["positions_A"])


def test_interruption_between_the_checkpoint_files_resumes_consistently(tiny_model, tmp_path, monkeypatch):
    """Ctrl-C after a checkpoint's arrays are written but before checkpoint.json: the older pair is still whole."""
    settings = md.MDSettings(seed=3, **SHORT)
    reference = md.run_md(settings, tiny_model, tmp_path / "reference")
    write_json, calls = runs.write_json, []

    def interrupted_on_the_third_checkpoint(path, data):
        calls.append(path.name)
        if calls.count("checkpoint.json") == 3:
            raise KeyboardInterrupt
        write_json(path, data)

    monkeypatch.setattr(runs, "write_json", interrupted_on_the_third_checkpoint)
    with pytest.raises(KeyboardInterrupt):
        md.run_md(settings, tiny_model, tmp_path / "run")
    monkeypatch.setattr(runs, "write_json", write_json)
    assert len(list((tmp_path / "run").glob("checkpoint*.npz"))) == 2  # the one json names, and the newer one
    resumed = md.run_md(settings, tiny_model, tmp_path / "run")
    assert resumed["n_frames"] == reference["n_frames"]
    assert np.array_equal(run_files.read_trajectory(tmp_path / "run")[-1].positions,
                          run_files.read_trajectory(tmp_path / "reference")[-1].positions)
    assert [p.name for p in (tmp_path / "run").glob("checkpoint*.npz")] == [runs.read_json(
        tmp_path / "run" / "checkpoint.json")["arrays"]]


def test_collapsing_atoms_stop_the_run_and_are_excluded(tiny_model, frames, tmp_path):
    start = frames[0].copy()
    li = [i for i, s in enumerate(start.get_chemical_symbols()) if s == "Li"]
    start.positions[li[1]] = start.positions[li[0]] + [0.5, 0.0, 0.0]
    runs_root = tmp_path / "runs"
    summary = md.run_md(md.MDSettings(seed=1, **{**SHORT, "min_distance_A": 1.0}), tiny_model,
                        runs_root / "md-T500-seed1", start=start)
    assert summary["status"] == "unstable"
    assert "Li-Li distance" in summary["failure"]["reason"] and summary["failure"]["time_ps"] > 0
    assert (runs_root / "md-T500-seed1" / "thermo.csv").exists()
    with pytest.warns(UserWarning, match="md-T500-seed1: excluded from the diffusion analysis: unstable"):
        used, excluded = temperature_series.collect_runs(runs_root)
    assert used == [] and excluded[0]["run_name"] == "md-T500-seed1"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"temperature_K": -100.0}, "temperature_K=-100.0: must be a positive number"),
        ({"timestep_fs": 0.0}, "timestep_fs=0.0: must be a positive number"),
        ({"timestep_fs": 10.0}, "too long"),
        ({"sample_interval_fs": 3.0, "timestep_fs": 2.0}, "multiple of timestep_fs"),
        ({"temperature_K": "hot"}, "temperature_K='hot'"),
        ({"supercell": 0}, "supercell=0: must be a positive integer"),
    ],
)
def test_bad_md_parameters_are_refused(kwargs, message):
    with pytest.raises(md.MDError, match=message):
        md.MDSettings(**kwargs).check()


def test_rerun_with_other_parameters_never_overwrites(tiny_model, tmp_path):
    run = tmp_path / "run"
    md.run_md(md.MDSettings(seed=1, **SHORT), tiny_model, run)
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    with pytest.raises(md.MDError, match="holds a run with other settings"):
        md.run_md(md.MDSettings(seed=2, **SHORT), tiny_model, run)
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before
    assert md.MDSettings(seed=2).run_name() == "md-T600-seed2"
    assert md.MDSettings(temperature_K=650.0, production_ps=50.0).run_name() == "md-T650-seed1-production50"


def test_longer_production_extends_a_finished_run_along_the_same_trajectory(tiny_model, tmp_path, monkeypatch):
    short = md.MDSettings(seed=3, **{**SHORT, "production_ps": 0.046})  # ends mid-chunk: a last chunk of 3 frames
    long = md.MDSettings(seed=3, **{**SHORT, "production_ps": 0.066})
    reference = md.run_md(long, tiny_model, tmp_path / "reference")
    run = tmp_path / "run"
    assert md.run_md(short, tiny_model, run)["production_ps"] == pytest.approx(0.046)
    untouched = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    # a model that fails to load changes nothing
    with monkeypatch.context() as m:
        m.setattr(md, "load_calculator", lambda *a, **k: (_ for _ in ()).throw(model.ModelError("broken")))
        with pytest.raises(model.ModelError):
            md.run_md(long, tiny_model, run)
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == untouched
    # interrupted at its first checkpoint: the folder now holds an unfinished extension, and says so
    save = md._save_checkpoint
    with monkeypatch.context() as m:
        m.setattr(md, "_save_checkpoint", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            md.run_md(long, tiny_model, run)
    assert md._save_checkpoint is save and not runs.summary_path(run).exists()
    with pytest.raises(md.MDError, match="holds an unfinished extension to 0.066 ps; rerun with production_ps=0.066"):
        md.run_md(short, tiny_model, run)
    extended = md.run_md(long, tiny_model, run)
    assert extended["status"] == "done" and extended["production_ps"] == pytest.approx(0.066)
    assert extended["n_frames"] == reference["n_frames"] == 33
    assert np.array_equal([f.positions for f in run_files.read_trajectory(run)],
                          [f.positions for f in run_files.read_trajectory(tmp_path / "reference")])
    assert np.array_equal(run_files.load_positions(run)["positions_A"],
                          run_files.load_positions(tmp_path / "reference")["positions_A"])
    assert runs.read_json(run / "summary-production0.046ps.json")["production_ps"] == pytest.approx(0.046)
    assert runs.read_json(run / "settings.json")["settings"]["production_ps"] == 0.066
    # shorter than what is there, or other physics: refused, nothing touched
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    for other in ({**SHORT}, {**SHORT, "production_ps": 0.08, "temperature_K": 510.0}):
        with pytest.raises(md.MDError, match="holds a run with other settings"):
            md.run_md(md.MDSettings(seed=3, **other), tiny_model, run)
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before


def test_a_run_continues_in_a_fresh_clone_from_its_committed_files(tiny_model, tmp_path):
    """Stopped at 0.2 ps, then lengthened to 0.4 ps from what git holds (checkpoint, positions.npz, thermo.csv;
    no trajectory chunks): the same trajectory as one run straight through (same seed, same machine)."""
    import shutil
    import subprocess

    base = {**SHORT, "sample_interval_fs": 20.0, "chunk_ps": 0.1}
    long = md.MDSettings(seed=4, **{**base, "production_ps": 0.4})
    reference = md.run_md(long, tiny_model, tmp_path / "reference")
    first = tmp_path / "first-machine"
    md.run_md(md.MDSettings(seed=4, **{**base, "production_ps": 0.2}), tiny_model, first)
    clone = tmp_path / "fresh-clone"
    clone.mkdir()
    for path in first.iterdir():  # what a commit of the run holds: every file git does not ignore
        ignored = subprocess.run(["git", "check-ignore", "-q", f"data/runs/md-T500-seed4/{path.name}"],
                                 cwd=paths.ROOT).returncode == 0
        if path.is_file() and not ignored:
            shutil.copyfile(path, clone / path.name)
    assert (clone / "checkpoint.json").exists() and not (clone / "chunks").exists()
    committed = (clone / run_files.POSITIONS_FILE).read_bytes()
    extended = md.run_md(long, tiny_model, clone)
    assert extended["status"] == "done" and extended["n_frames"] == reference["n_frames"] == 20
    stitched = run_files.load_positions(clone)["positions_A"]
    reference_dir = tmp_path / "reference"
    assert len(stitched) == 4 and np.array_equal(stitched, run_files.load_positions(reference_dir)["positions_A"])
    # the committed positions.npz is left as it was: the new frames are in a segment of their own
    assert (clone / run_files.POSITIONS_FILE).read_bytes() == committed
    assert [p.name for _, p in run_files.positions_files(clone)] == ["positions.npz", "positions-from-000002.npz"]
    assert [p.name for _, p in run_files.positions_files(reference_dir)] == ["positions.npz"]
    assert run_files.read_thermo(clone / "thermo.csv") == run_files.read_thermo(reference_dir / "thermo.csv")
    # positions that do not match the checkpoint: refused, nothing touched
    segment = clone / "positions-from-000002.npz"
    with np.load(segment) as f:
        arrays = dict(f)
    arrays["positions_A"] = arrays["positions_A"][:-1]
    np.savez_compressed(segment, **arrays)
    before = {p: p.read_bytes() for p in clone.rglob("*") if p.is_file()}
    with pytest.raises(md.MDError, match=r"positions.npz and its segments hold 3 of the 4 frames its checkpoint"):
        md.run_md(md.MDSettings(seed=4, **{**base, "production_ps": 0.6}), tiny_model, clone)
    assert {p: p.read_bytes() for p in clone.rglob("*") if p.is_file()} == before


def test_a_run_stopped_as_unstable_is_not_extended(tiny_model, frames, tmp_path):
    run = tmp_path / "run"
    settings = md.MDSettings(seed=1, **{**SHORT, "min_distance_A": 5.0})  # every configuration is "too close"
    assert md.run_md(settings, tiny_model, run)["status"] == "unstable"
    with pytest.raises(md.MDError, match="stopped as unstable, so it cannot be extended"):
        md.run_md(md.MDSettings(seed=1, **{**SHORT, "min_distance_A": 5.0, "production_ps": 0.08}), tiny_model, run)


def test_missing_corrupt_and_wrong_species_models(tmp_path, study):
    with pytest.raises(model.ModelError, match="nothing.model: model file not found"):
        model.load_calculator(tmp_path / "nothing.model")
    corrupt = tmp_path / "corrupt.model"
    corrupt.write_bytes(b"not a torch file")
    with pytest.raises(model.ModelError, match="corrupt.model: cannot load MACE model"):
        model.load_calculator(corrupt)


def test_model_check_command_exits_1_with_one_line(tmp_path):
    corrupt = tmp_path / "corrupt.model"
    corrupt.write_bytes(b"not a torch file")
    for path, message in ((tmp_path / "none.model", "model file not found"), (corrupt, "cannot load MACE model")):
        result = subprocess.run([sys.executable, "-m", "analysis.model", "check", str(path)], capture_output=True,
                                text=True, cwd=paths.ROOT)
        assert result.returncode == 1
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith(f"ERROR: {path}: {message}")
    assert corrupt.read_bytes() == b"not a torch file"


def test_model_for_other_species_is_refused(tiny_model):
    with pytest.raises(model.ModelError, match=r"trained for atomic numbers \[3, 15, 16\], this system needs \[3, 8\]"):
        model.load_calculator(tiny_model, species=("Li", "O"))


def test_pair_specific_threshold_stops_a_run_global_one_would_not(tiny_model, frames, tmp_path):
    start = frames[0].copy()
    s_atoms = [i for i, s in enumerate(start.get_chemical_symbols()) if s == "S"]
    start.positions[s_atoms[1]] = start.positions[s_atoms[0]] + [1.8, 0.0, 0.0]
    settings = md.MDSettings(seed=1, **{**SHORT, "min_distance_A": 0.5}, pair_min_distance_A={"S-S": 2.0})
    summary = md.run_md(settings, tiny_model, tmp_path / "run", start=start)
    assert summary["status"] == "unstable" and summary["failure"]["reason"].startswith("S-S distance")
    assert summary["max_force_eV_A"] > 0
    last = run_files.read_thermo(tmp_path / "run" / "thermo.csv")[-1]
    assert float(last["closest_to_limit"]) < 1.0  # the thermo log shows which limit stopped the run
    with pytest.raises(md.MDError, match="unknown pairs"):
        md.MDSettings(pair_min_distance_A={"Li-O": 1.0}).check()


def test_nve_drift_is_small_for_a_short_timestep(tiny_model, frames):
    result = md.nve_energy_drift(tiny_model, frames[0], timestep_fs=0.5, duration_ps=0.05, temperature_K=300)
    assert np.isfinite(result["drift_meV_per_atom_per_ps"])
    assert result["fluctuation_meV_per_atom"] < result["kT_meV"]


def test_second_process_cannot_compute_the_same_run(tiny_model, tmp_path):
    run = tmp_path / "busy"
    with runs.exclusive(run):
        with pytest.raises(runs.RunBusy, match="another process is computing this run"):
            md.run_md(md.MDSettings(seed=1, **SHORT), tiny_model, run)
    assert not (run / "summary.json").exists()


def test_core_repulsion_is_logged_and_pushes_a_close_pair_apart(tiny_model, tmp_path):
    start = data.read_extxyz(paths.dataset_xyz())[0]
    li = [k for k, s in enumerate(start.get_chemical_symbols()) if s == "Li"][:2]
    start.positions[li[1]] = start.positions[li[0]] + [1.6, 0.0, 0.0]  # a Li pair well inside its onset
    settings = md.MDSettings(seed=1, core_repulsion_onset_A={"Li-Li": 2.2}, **SHORT)
    md.run_md(settings, tiny_model, tmp_path / "run", start=start)
    rows = run_files.read_thermo(tmp_path / "run" / "thermo.csv")
    assert float(rows[0]["core_repulsion_eV"]) > 0.1
    md.run_md(md.MDSettings(seed=1, **SHORT), tiny_model, tmp_path / "plain", start=start)
    assert float(run_files.read_thermo(tmp_path / "plain" / "thermo.csv")[0]["core_repulsion_eV"]) == 0.0


class _PoisonedAfter:
    """The real tiny MACE calculator, whose results turn NaN after ``n_calls`` (a diverging model)."""

    def __init__(self, model_path, n_calls: int):
        self.inner = model.load_calculator(model_path)
        self.n_calls = n_calls

    def __call__(self, *args, **kwargs):
        calc = self.inner
        original = calc.calculate
        count = {"n": 0}

        def calculate(*a, **k):
            original(*a, **k)
            count["n"] += 1
            if count["n"] > self.n_calls:
                calc.results["energy"] = float("nan")
                calc.results["forces"] = calc.results["forces"] * np.nan

        calc.calculate = calculate
        return calc


def test_nan_energies_stop_the_run_keep_the_trajectory_and_are_excluded(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setattr(md, "load_calculator", _PoisonedAfter(tiny_model, n_calls=30))
    run = tmp_path / "runs" / "md-T500-seed1"
    settings = md.MDSettings(seed=1, **{**SHORT, "equilibration_ps": 0.0, "production_ps": 0.1})
    summary = md.run_md(settings, tiny_model, run)
    assert summary["status"] == "unstable"
    assert summary["failure"]["reason"] == "energy, forces or positions became NaN/inf"
    assert 0 < summary["failure"]["time_ps"] < 0.1
    frames = run_files.read_trajectory(run)  # the finite frames before the failure are kept
    assert 10 <= len(frames) < 50 and all(np.isfinite(f.positions).all() for f in frames)
    assert (run / run_files.POSITIONS_FILE).exists()
    with pytest.warns(UserWarning, match="md-T500-seed1: excluded .*: unstable at .* NaN/inf"):
        used, excluded = temperature_series.collect_runs(tmp_path / "runs")
    assert used == [] and len(excluded) == 1


def test_temperature_runaway_stops_the_run(tiny_model, frames, tmp_path):
    # a DFT configuration with every atom displaced by ~0.15 Å, started at 20 K: the potential
    # energy of the displacement heats it far past 1.5 x 20 K within a vibrational period
    start = frames[0].copy()
    start.rattle(stdev=0.15, seed=0)
    settings = md.MDSettings(seed=1, **{**SHORT, "temperature_K": 20.0, "equilibration_ps": 0.0,
                                        "production_ps": 0.2}, max_temperature_factor=1.5)
    summary = md.run_md(settings, tiny_model, tmp_path / "run", start=start)
    assert summary["status"] == "unstable"
    assert summary["failure"]["reason"].startswith("temperature ") and "> 1.5 x 20 K" in summary["failure"]["reason"]


def test_corrupt_model_claims_no_run_folder(tiny_model, tmp_path):
    corrupt = tmp_path / "corrupt.model"
    corrupt.write_bytes(b"not a torch file")
    run = tmp_path / "run"
    with pytest.raises(model.ModelError, match="corrupt.model: cannot load MACE model"):
        md.run_md(md.MDSettings(seed=1, **SHORT), corrupt, run)
    assert not (run / "settings.json").exists()
    assert md.run_md(md.MDSettings(seed=1, **SHORT), tiny_model, run)["status"] == "done"  # the fixed model runs


def test_model_trained_for_other_species_fails_the_check_command(frames, tmp_path):
    """A real MACE model trained (2 epochs) on Li–P–O data: `analysis.model check` exits 1 naming both species sets."""
    from ase.io import write

    oxide = []
    for atoms in frames[:8]:
        atoms = atoms.copy()  # keeps the DFT labels; S relabelled O makes a model for another chemistry
        atoms.set_atomic_numbers(np.where(atoms.numbers == 16, 8, atoms.numbers))
        oxide.append(atoms)
    pool = tmp_path / "study" / "derived" / "split" / "train.extxyz"
    pool.parent.mkdir(parents=True)
    write(pool, oxide, format="extxyz")
    env = {**os.environ, "LIPS_STUDY_DIR": str(tmp_path / "study"), "OMP_NUM_THREADS": "1"}
    # the study's own entry point refuses this pool (wrong species), so call the trainer behind the check
    code = ("from ase.io import read; from analysis import paths, training; "
            "s = training.TrainSettings(architecture='tiny', n_train=None, seed=1, max_epochs=2, "
            "stage_two_start_epoch=None, eval_interval=1); "
            "run = training._train(s, paths.run_dir('oxide'), read(paths.train_xyz(), ':')); "
            "print(training.final_model_path(run, s))")
    trained = subprocess.run([sys.executable, "-c", code], cwd=paths.ROOT, capture_output=True, text=True, env=env)
    assert trained.returncode == 0, trained.stderr[-2000:]
    oxide_model = Path(trained.stdout.strip().splitlines()[-1])
    before = oxide_model.read_bytes()
    result = subprocess.run([sys.executable, "-m", "analysis.model", "check", str(oxide_model)], capture_output=True,
                            text=True, cwd=paths.ROOT)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"ERROR: {oxide_model}: model trained for atomic numbers [3, 8, 15], this system needs [3, 15, 16]")
    assert oxide_model.read_bytes() == before


def test_committee_monitor_logs_the_disagreement_and_can_stop_the_run(tiny_model, tmp_path):
    from analysis import training

    other_settings = training.TrainSettings(architecture="tiny", n_train=10, seed=7, max_epochs=3,
                                            stage_two_start_epoch=2, eval_interval=1)
    other = training.final_model_path(training.train(other_settings, paths.run_dir("tiny-model-seed7")), other_settings)
    judges = [str(tiny_model), str(other)]
    logged = md.run_md(md.MDSettings(seed=1, **SHORT, committee_model_paths=judges, committee_every_fs=10.0),
                       tiny_model, tmp_path / "logged")
    assert logged["status"] == "done"
    rows = run_files.read_thermo(tmp_path / "logged" / "thermo.csv")
    sigma = [float(r["committee_sigma_eV_A"]) for r in rows if r["committee_sigma_eV_A"]]
    assert len(sigma) == 5 and min(sigma) > 0  # every 10 fs of the 50 fs run
    limit = min(sigma) / 2
    stopped = md.run_md(md.MDSettings(seed=1, **SHORT, committee_model_paths=judges, committee_every_fs=10.0,
                                      max_committee_sigma_eV_A=limit), tiny_model, tmp_path / "stopped")
    assert stopped["status"] == "unstable"
    assert stopped["failure"]["reason"].startswith("committee force disagreement")
    assert stopped["failure"]["time_ps"] == pytest.approx(0.01)
    with pytest.raises(md.MDError, match="at least 2 models"):
        md.MDSettings(committee_model_paths=judges[:1]).check()


def test_runs_with_broken_ps4_units_are_analysed_over_their_intact_stretch_or_left_out(tiny_model, tmp_path):
    run = tmp_path / "runs" / "md-T500-seed1"
    settings = md.MDSettings(seed=1, **{**SHORT, "production_ps": 0.2})
    md.run_md(settings, tiny_model, run)
    run_files.export_positions(run, settings.sample_interval_fs, stride_fs=4.0)  # 50 frames, 4 fs apart
    used = temperature_series.collect_runs(tmp_path / "runs")[0]
    with np.load(run / run_files.POSITIONS_FILE) as f:
        arrays = dict(f)
    symbols = np.array(Atoms(arrays["numbers"]).get_chemical_symbols())
    p, s = np.flatnonzero(symbols == "P")[0], np.flatnonzero(symbols == "S")
    framework = symbols != "Li"  # the tiny model's own MD breaks PS4 units: hold P and S at the DFT start
    arrays["positions_A"][:, framework] = data.read_extxyz(paths.dataset_xyz())[0].positions[framework]
    np.savez_compressed(run / run_files.POSITIONS_FILE, **arrays)
    kept, excluded = temperature_series.restrict_to_intact(used, [], min_intact_ps=0.05)
    clean = temperature_series.analyse(kept, 0.01)["per_run"][0]
    assert excluded == [] and clean["broken_PS4_fraction"] == 0 and clean["D_full_cm2_s"] is None
    first = arrays["positions_A"][0]
    nearest = s[np.argmin(np.linalg.norm(first[s] - first[p], axis=1))]
    n = len(arrays["positions_A"])
    arrays["positions_A"][: n // 3, nearest] += 2.0 * (first[nearest] - first[p]) / np.linalg.norm(first[nearest] - first[p])
    np.savez_compressed(run / run_files.POSITIONS_FILE, **arrays)  # the first third: one P–S pulled to > 3 Å
    kept, excluded = temperature_series.restrict_to_intact(used, [], min_intact_ps=0.05)
    assert excluded == [] and kept[0]["frame_window"] == [n // 3, n]
    windowed = temperature_series.analyse(kept, 0.01)["per_run"][0]
    assert windowed["broken_PS4_fraction"] == pytest.approx((n // 3) / n)
    assert windowed["analysed_ps"] == pytest.approx((n - n // 3 - 1) * 0.004, abs=1e-6)
    # D over the intact window, and D over every frame kept beside it: the same kinisi analysis of those frames
    frames, interval_fs = run_files.read_positions(run)
    for analysed, kinisi_frames in ((windowed["D_cm2_s"], frames[n // 3:]), (windowed["D_full_cm2_s"], frames)):
        assert analysed == diffusion.diffusion_coefficient([kinisi_frames], interval_fs / 1000.0, 0.01)["D_cm2_s"]
    assert windowed["D_cm2_s"] != windowed["D_full_cm2_s"]
    # the Li positions are those of the clean run: only kinisi's removal of the framework's drift (one S of 56
    # framework atoms moved by 2 Å in a third of the frames) changes D over every frame, by about 1 %
    assert windowed["D_full_cm2_s"] == pytest.approx(clean["D_cm2_s"], rel=0.05)
    # no intact stretch long enough: the run is left out, with the reason
    with pytest.warns(UserWarning, match=r"PS4 unit broken in 3\d% of the frames; longest intact stretch 0 ps < 1 ps"):
        kept, excluded = temperature_series.restrict_to_intact(used, [], min_intact_ps=1.0)
    assert kept == [] and excluded[0]["run_name"] == "md-T500-seed1"


def test_a_run_being_extended_is_read_at_its_last_finished_piece(tiny_model, tmp_path, monkeypatch):
    """While a longer piece is made (here: stopped after its first checkpoint, as at the end of a session) the
    analysis reads the finished piece: its summary, set aside, and its positions, although positions.npz grows."""
    base = {**SHORT, "sample_interval_fs": 20.0, "chunk_ps": 0.1}
    run = tmp_path / "runs" / "md-T500-seed5"
    md.run_md(md.MDSettings(seed=5, **{**base, "production_ps": 0.3}), tiny_model, run)
    piece_frames, _ = run_files.read_positions(run)
    assert run_files.piece_positions(run) is None and runs.piece_summary_path(run) == runs.summary_path(run)
    save, saved = md._save_checkpoint, []

    def stop_after_two(*args, **kwargs):
        if len(saved) == 2:
            raise KeyboardInterrupt
        save(*args, **kwargs)
        saved.append(args[2])
        if len(saved) == 1:  # the first checkpoint of the new piece: what the analysis reads is fixed from here
            saved.append(run_files.positions_sha256(run))

    with monkeypatch.context() as m:
        m.setattr(md, "_save_checkpoint", stop_after_two)
        with pytest.raises(KeyboardInterrupt):
            md.run_md(md.MDSettings(seed=5, **{**base, "production_ps": 0.6}), tiny_model, run)
    assert not runs.summary_path(run).exists() and run_files.positions_count(run) == 5  # two chunks more than the piece
    assert runs.piece_summary_path(run) == run / "summary-production0.3ps.json"
    assert run_files.piece_positions(run) == 3 == len(piece_frames)
    frames, _ = run_files.read_positions(run)
    assert np.array_equal([f.positions for f in frames], [f.positions for f in piece_frames])
    assert run_files.positions_sha256(run) == saved[1] and saved[1].startswith("first-3-frames:")
    used, excluded = temperature_series.collect_runs(run.parent, [{"run_name": run.name, "set": "s", "role": "pending"}])
    assert not excluded and used[0]["status"] == "done" and used[0]["production_ps"] == pytest.approx(0.3)
    # the new piece finishes between reading the summary and reading the positions: the summary read decides
    piece = used[0]
    md.run_md(md.MDSettings(seed=5, **{**base, "production_ps": 0.6}), tiny_model, run)
    assert runs.piece_summary_path(run) == runs.summary_path(run) and run_files.positions_count(run) == 6
    frames, _ = run_files.read_positions(run, piece)
    assert np.array_equal([f.positions for f in frames], [f.positions for f in piece_frames])
    assert run_files.positions_sha256(run, piece) == saved[1] and len(run_files.read_positions(run)[0]) == 6
