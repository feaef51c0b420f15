"""NVT molecular dynamics with a trained MACE model (ASE), chunked, resumable and monitored.

Thermostat: Bussi stochastic velocity rescaling (CSVR). It samples the canonical ensemble, and
because it only rescales the total kinetic energy with a weak coupling (``thermostat_time_fs``
much longer than the Li vibrational period) it perturbs single-particle dynamics, and so
diffusion, far less than Langevin friction on every atom.

A run folder holds ``settings.json``, trajectory chunks (``chunks/*.traj``, positions
unwrapped, one frame every ``sample_interval_fs``), ``thermo.csv`` and, once finished,
``summary.json`` and ``positions.npz``: the unwrapped positions every ``POSITIONS_STRIDE_FS``
(about 1 MB for 100 ps), small enough to commit, so the diffusion analysis reruns from a clean
checkout without the trajectory chunks; a resumed run continues them in a segment of its own
(``positions-from-<k>.npz``, ``analysis.run_files``). A checkpoint (positions, momenta, step, thermostat RNG state) is written after
every chunk, so an interrupted run resumes where it stopped and gives the same numbers.
"""

from __future__ import annotations

import io
import json
import logging
import math
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
from ase import Atoms, units
from ase.calculators.mixing import SumCalculator
from ase.md.bussi import Bussi
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
from ase.neighborlist import neighbor_list

from analysis import committee, data, explore, paths, run_files, runs
from analysis.core_repulsion import CoreRepulsion, onset_distances, pair_keys
from analysis.model import device_label, file_sha256, load_calculator

log = logging.getLogger(__name__)
SPECIES_PAIRS = explore.PAIRS
# stochastic velocity rescaling (Bussi, Donadio & Parrinello 2007): canonical, and it barely perturbs dynamics
THERMOSTATS = {"bussi": "Bussi stochastic velocity rescaling (ase.md.bussi.Bussi)"}


class MDError(RuntimeError):
    """The MD run cannot start or continue (bad settings, bad model, unphysical dynamics)."""


@dataclass
class MDSettings:
    """One NVT run. Times in fs or ps as named, temperatures in K, distances in Å."""

    temperature_K: float = 600.0
    seed: int = 1
    timestep_fs: float = 2.0
    equilibration_ps: float = 10.0
    production_ps: float = 100.0
    thermostat: str = "bussi"  # THERMOSTATS; recorded, so a run never resumes under another thermostat
    thermostat_time_fs: float = 100.0
    sample_interval_fs: float = 20.0
    chunk_ps: float = 5.0
    start_config_index: int = 0
    supercell: int = 1  # the start configuration repeated n x n x n (2: the 664-atom cell of the finite-size check)
    dtype: str = "float32"
    min_distance_A: float = 1.5
    pair_min_distance_A: dict[str, float] = field(default_factory=dict)  # e.g. {"S-S": 1.9}
    core_repulsion_onset_A: dict[str, float] = field(default_factory=dict)  # {} = off; see core_repulsion
    max_temperature_factor: float = 2.5
    monitor_radius_A: float = 4.0
    # extrapolation monitor (off when empty): committee force disagreement every committee_every_fs,
    # logged, and a stop when it exceeds max_committee_sigma_eV_A (0: log only); see analysis.committee
    committee_model_paths: list[str] = field(default_factory=list)
    committee_every_fs: float = 1000.0
    max_committee_sigma_eV_A: float = 0.0

    def check(self) -> None:
        """Refuse settings that make no physical or numerical sense."""
        for name in ("temperature_K", "timestep_fs", "thermostat_time_fs", "sample_interval_fs",
                     "chunk_ps", "production_ps", "min_distance_A"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
                raise MDError(f"{name}={value!r}: must be a positive number")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise MDError(f"seed={self.seed!r}: must be an integer")
        if not isinstance(self.supercell, int) or isinstance(self.supercell, bool) or self.supercell < 1:
            raise MDError(f"supercell={self.supercell!r}: must be a positive integer (n x n x n repeats)")
        if self.equilibration_ps < 0:
            raise MDError(f"equilibration_ps={self.equilibration_ps}: must not be negative")
        if self.timestep_fs > 5.0:
            raise MDError(f"timestep_fs={self.timestep_fs}: too long for Li dynamics (max 5 fs)")
        if self.steps_per_sample < 1 or not math.isclose(
            self.steps_per_sample * self.timestep_fs, self.sample_interval_fs
        ):
            raise MDError(
                f"sample_interval_fs={self.sample_interval_fs} must be a multiple of timestep_fs={self.timestep_fs}"
            )
        if self.dtype not in ("float32", "float64"):
            raise MDError(f"dtype='{self.dtype}': use float32 or float64")
        if self.thermostat not in THERMOSTATS:
            raise MDError(f"thermostat={self.thermostat!r}: use one of {sorted(THERMOSTATS)}")
        unknown = set(self.pair_min_distance_A) - set(SPECIES_PAIRS)
        if unknown:
            raise MDError(f"pair_min_distance_A: unknown pairs {sorted(unknown)}; use {SPECIES_PAIRS}")
        if self.max_temperature_factor <= 1:
            raise MDError(f"max_temperature_factor={self.max_temperature_factor}: must exceed 1")
        if self.committee_model_paths:
            if len(self.committee_model_paths) < 2:
                raise MDError("committee_model_paths: a committee needs at least 2 models")
            if self.committee_steps < 1 or self.committee_steps % self.steps_per_sample:
                raise MDError(f"committee_every_fs={self.committee_every_fs} must be a multiple of "
                              f"sample_interval_fs={self.sample_interval_fs}")
            if self.max_committee_sigma_eV_A < 0:
                raise MDError(f"max_committee_sigma_eV_A={self.max_committee_sigma_eV_A}: must not be negative")

    @property
    def committee_steps(self) -> int:
        return int(round(self.committee_every_fs / self.timestep_fs))

    @property
    def steps_per_sample(self) -> int:
        return int(round(self.sample_interval_fs / self.timestep_fs))

    def _steps(self, duration_ps: float) -> int:
        samples = int(round(duration_ps * 1000.0 / self.sample_interval_fs))
        return samples * self.steps_per_sample

    @property
    def equilibration_steps(self) -> int:
        return self._steps(self.equilibration_ps)

    @property
    def production_steps(self) -> int:
        return self._steps(self.production_ps)

    @property
    def steps_per_chunk(self) -> int:
        return max(self.steps_per_sample, self._steps(self.chunk_ps))

    def run_name(self) -> str:
        """``md-T600-seed1``, plus ``-key<value>`` for every setting that differs from the defaults."""
        name = f"md-T{runs.format_value(self.temperature_K)}-seed{self.seed}"
        defaults = MDSettings()
        for f in fields(self):
            if f.name in ("temperature_K", "seed", "chunk_ps", "pair_min_distance_A", "core_repulsion_onset_A",
                          "committee_model_paths", "committee_every_fs", "max_committee_sigma_eV_A"):
                continue
            value = getattr(self, f.name)
            if value != getattr(defaults, f.name):
                name += f"-{f.name.split('_')[0]}{runs.format_value(value)}"
        if self.core_repulsion_onset_A:
            name += "-core"
        if self.committee_model_paths and self.max_committee_sigma_eV_A > 0:
            name += f"-committee{runs.format_value(self.max_committee_sigma_eV_A)}"
        return name


# --------------------------------------------------------------------------- monitor
def settings_from_parameters(pair_min_fraction: float, core_repulsion_fraction: float = 0.0,
                             committee_group: str = "", **settings) -> MDSettings:
    """``MDSettings`` from notebook 4's parameters (``study/04_md.py``; also ``analysis.gpu`` on a GPU machine).

    The fractions are of each pair's shortest distance in the DFT data (``derived/dataset.json``): the stop
    limits and, when > 0, the core repulsion's onsets; ``committee_group``: the training group whose largest runs
    watch the run ("": none). ``settings``: MDSettings' own fields."""
    dataset_minima = runs.read_json(paths.derived_dir() / "dataset.json")["min_pair_distance_A"]
    members = committee.members(paths.runs_dir(), committee_group) if committee_group else []
    return MDSettings(pair_min_distance_A=pair_limits(dataset_minima, pair_min_fraction),
                      core_repulsion_onset_A=onset_distances(dataset_minima, core_repulsion_fraction),
                      committee_model_paths=[str(p) for p in members], **settings)


def pair_limits(dataset_minima_A: dict[str, float], fraction: float) -> dict[str, float]:
    """Per-pair stop distances: ``fraction`` x the shortest distance of that pair in the DFT data.

    Below that the model has never seen data (e.g. no S–S bond exists in the training set);
    ``fraction`` 0 switches the per-pair limits off.
    """
    if not 0 <= fraction < 1:
        raise MDError(f"pair_min_fraction={fraction}: must be in [0, 1)")
    return explore.scaled_minima(dataset_minima_A, fraction)



def pair_min_distances(atoms: Atoms, radius_A: float) -> dict[str, float]:
    """Minimum distance (Å, minimum image) for each species pair within ``radius_A``."""
    i, j, d = neighbor_list("ijd", atoms, radius_A)
    symbols = np.array(atoms.get_chemical_symbols())
    result = {pair: math.inf for pair in SPECIES_PAIRS}
    if len(d) == 0:
        return result
    keys = pair_keys(symbols, i, j)
    for pair in SPECIES_PAIRS:
        mask = keys == pair
        if mask.any():
            result[pair] = float(d[mask].min())
    return result


# --------------------------------------------------------------------------- run
def _save_checkpoint(run: Path, atoms: Atoms, step: int, chunk: int, rng, thermo_rows: int,
                     thermostat_energy: float, extremes: dict, wall_time_s: float, n_frames: int,
                     steps_by_device: dict[str, int], wall_s_by_device: dict[str, float]) -> None:
    """Positions and momenta go to a file named by the step, then ``checkpoint.json`` points to it, then older
    array files go: an interruption at any moment leaves a consistent pair (json and the arrays it names).

    Both are committed with the run (a few kB), together with its positions files and ``thermo.csv``: a run
    continues, or is lengthened, from them on any machine; the trajectory chunks are a local cache only."""
    arrays = f"checkpoint-{step:010d}.npz"
    buf = io.BytesIO()
    np.savez(buf, positions=atoms.get_positions(), momenta=atoms.get_momenta())
    tmp = runs.temporary_path(run / arrays)
    tmp.write_bytes(buf.getvalue())
    tmp.replace(run / arrays)
    runs.write_json(run / "checkpoint.json", {
        "step": step, "chunk": chunk, "rng_state": rng.bit_generator.state,
        "thermo_rows": thermo_rows, "thermostat_energy_eV": thermostat_energy, "extremes": extremes,
        "wall_time_s": wall_time_s, "arrays": arrays, "n_frames": n_frames, "steps_by_device": steps_by_device,
        "wall_s_by_device": wall_s_by_device,
    })
    for old in run.glob("checkpoint*.npz"):
        if old.name != arrays:
            old.unlink()


def run_md(settings: MDSettings, model_path: Path, run: Path, start: Atoms | None = None,
           log_every_chunks: int = 1, compile_mode: str | None = None) -> dict:
    """Run (or resume) one NVT run into ``run`` and return its summary (see ``_run_md``).

    ``compile_mode`` is how the model executes (eager or ``torch.compile``), not a physical setting: it
    changes forces only at float rounding, so a run may be resumed in the other mode; it is recorded in
    the summary.
    """
    settings.check()
    with runs.exclusive(run):
        return _run_md(settings, Path(model_path), Path(run), start, log_every_chunks, compile_mode)


def _run_md(settings: MDSettings, model_path: Path, run: Path, start: Atoms | None,
            log_every_chunks: int, compile_mode: str | None = None) -> dict:
    """Run (or resume) one NVT run into ``run`` and return its summary.

    The run stops early, with ``status: unstable`` and the reason in the summary, when two
    atoms come closer than ``min_distance_A``, the temperature exceeds
    ``max_temperature_factor`` x target, or energies become NaN. The trajectory up to that
    point is kept. A folder that holds a run with other settings or another model is refused; one that holds
    the same run with a shorter production is extended from its last checkpoint.
    """
    if not model_path.exists():
        raise MDError(f"{model_path}: model file not found")
    model_sha = file_sha256(model_path)
    settings_record = asdict(settings)
    if not settings.core_repulsion_onset_A:  # runs made before the option existed keep their identity
        settings_record.pop("core_repulsion_onset_A")
    if settings.supercell == 1:  # likewise for the supercell
        settings_record.pop("supercell")
    if not settings.committee_model_paths:  # likewise for the committee monitor
        for key in ("committee_model_paths", "committee_every_fs", "max_committee_sigma_eV_A"):
            settings_record.pop(key)
    identity = {"settings": settings_record, "model_sha256": model_sha}
    identity_file = run / "settings.json"
    extend_from_ps = None
    if identity_file.exists():
        previous = runs.read_json(identity_file)
        previous.setdefault("settings", {}).setdefault("thermostat", "bussi")  # runs before it was recorded
        if previous != identity:
            previous_ps = previous.get("settings", {}).get("production_ps")
            if _extends(previous, identity):
                _check_extensible(run, settings.production_ps)
                extend_from_ps = previous_ps
            elif _extends(identity, previous) and not runs.summary_path(run).exists():
                raise MDError(f"{run}: holds an unfinished extension to {previous_ps:g} ps; "
                              f"rerun with production_ps={previous_ps:g}")
            else:
                raise MDError(f"{run}: holds a run with other settings or another model; "
                              f"choose other parameters or delete the folder")
        if extend_from_ps is None and (runs.is_finished(run) or _final_status(run) == "unstable"):
            return runs.read_json(runs.summary_path(run))
    def calculator(mode: str | None):
        calc = load_calculator(model_path, settings.dtype, compile_mode=mode)  # a bad model fails here
        if settings.core_repulsion_onset_A:
            calc = SumCalculator([calc, CoreRepulsion(settings.core_repulsion_onset_A)])
        return calc

    calc = calculator(compile_mode)
    judges = committee.calculators([Path(p) for p in settings.committee_model_paths], settings.dtype) \
        if settings.committee_model_paths else []
    run.mkdir(parents=True, exist_ok=True)
    runs.write_json(identity_file, identity)
    if extend_from_ps is not None:  # the shorter run's summary stays as a record; the run is now unfinished
        if runs.summary_path(run).exists():
            runs.summary_path(run).replace(run / f"{runs.SET_ASIDE_PREFIX}{extend_from_ps:g}ps.json")
        log.info("%s: extending the production from %g ps to %g ps", run.name, extend_from_ps, settings.production_ps)
    if start is None:
        start = data.read_extxyz(data.paths.dataset_xyz())[settings.start_config_index]
    if settings.supercell > 1:
        start = start.repeat(settings.supercell)
    atoms = Atoms(start.numbers, positions=start.positions, cell=start.cell, pbc=True)
    atoms.calc = calc
    if compile_mode:  # torch.compile needs a working C++ toolchain: without one, run eager rather than fail
        try:
            atoms.get_forces()
        except Exception as exc:  # noqa: BLE001 - inductor raises many types
            log.warning("%s: torch.compile failed (%s); running the model eagerly", run.name, type(exc).__name__)
            compile_mode = None
            atoms.calc = calc = calculator(None)

    rng = np.random.default_rng(settings.seed)
    checkpoint = run / "checkpoint.json"
    thermo_rows = run_files.read_thermo(run / "thermo.csv")
    if checkpoint.exists():
        state = runs.read_json(checkpoint)
        arrays = np.load(run / state.get("arrays", "checkpoint.npz"))  # (runs before 2026-11-25: one name)
        atoms.set_positions(arrays["positions"])
        atoms.set_momenta(arrays["momenta"])
        rng.bit_generator.state = state["rng_state"]
        step, chunk = state["step"], state["chunk"]
        thermo_rows = thermo_rows[: state["thermo_rows"]]
        thermostat_energy = state["thermostat_energy_eV"]
        earlier_wall_time_s = state["wall_time_s"]
        extremes = state["extremes"]
        n_frames = _checkpoint_frames(run, state)
        steps_by_device = steps_per_device(state, step)
        wall_s_by_device = wall_by_device(state)
        log.info("%s: resuming at step %d (%.2f ps)", run.name, step, step * settings.timestep_fs / 1000)
    else:
        MaxwellBoltzmannDistribution(atoms, temperature_K=settings.temperature_K, rng=rng)
        Stationary(atoms)
        step, chunk, thermostat_energy, earlier_wall_time_s, n_frames = 0, 0, 0.0, 0.0, 0
        steps_by_device, wall_s_by_device = {}, {}
        extremes = {"min_pair_distance_A": {pair: math.inf for pair in SPECIES_PAIRS}, "max_force_eV_A": 0.0}
        thermo_rows = []

    dyn = Bussi(atoms, timestep=settings.timestep_fs * units.fs, temperature_K=settings.temperature_K,
                taut=settings.thermostat_time_fs * units.fs, rng=rng)
    dyn.transferred_energy = thermostat_energy
    total_steps = settings.equilibration_steps + settings.production_steps
    started, first_step = time.time(), step
    resumed_at = run_files.positions_kept(n_frames, settings.sample_interval_fs)  # this process's positions file
    here = device_label()  # a run may continue on another machine (a GPU): each device's share is recorded
    earlier_here, earlier_wall_here_s = steps_by_device.get(here, 0), wall_s_by_device.get(here, 0.0)
    failure = None

    while step < total_steps and failure is None:
        chunk_end = min(total_steps, step + settings.steps_per_chunk)
        frames: list[Atoms] = []
        while step < chunk_end:
            dyn.run(settings.steps_per_sample)
            step += settings.steps_per_sample
            row, failure = _observe(atoms, settings, step, extremes, dyn.transferred_energy)
            if judges and step % settings.committee_steps == 0 and failure is None:
                failure = _judge(judges, atoms, settings, row)
            thermo_rows.append(row)
            if row["phase"] == "production" and np.all(np.isfinite(atoms.positions)):
                frames.append(_snapshot(atoms))
            if failure is not None:
                break
        if frames:
            run_files.write_chunk(run_files.chunk_path(run, chunk), frames)
            run_files.append_positions(run, frames, n_frames, settings.sample_interval_fs, since=resumed_at)
            n_frames += len(frames)
            chunk += 1
        run_files.write_thermo(run / "thermo.csv", thermo_rows)
        steps_by_device[here] = earlier_here + step - first_step
        piece_wall_s = time.time() - started
        wall_s_by_device[here] = earlier_wall_here_s + piece_wall_s
        _save_checkpoint(run, atoms, step, chunk, rng, len(thermo_rows), dyn.transferred_energy, extremes,
                         earlier_wall_time_s + piece_wall_s, n_frames, steps_by_device, wall_s_by_device)
        if chunk % log_every_chunks == 0 or failure is not None:
            log.info("%s: %.1f / %.1f ps, T=%.0f K, min distance %.2f Å, %.1f s",
                     run.name, step * settings.timestep_fs / 1000, total_steps * settings.timestep_fs / 1000,
                     float(row["temperature_K"]), float(row["min_distance_A"]), piece_wall_s)

    wall_time_s = time.time() - started
    wall_s_by_device[here] = earlier_wall_here_s + wall_time_s
    production_steps_done = max(0, step - settings.equilibration_steps)
    summary = {
        "kind": "md",
        "status": "done" if failure is None else "unstable",
        "failure": failure,
        "settings": asdict(settings),
        "run_name": run.name,
        "model_path": paths.relative(model_path),
        "model_sha256": model_sha,
        "production_ps": production_steps_done * settings.timestep_fs / 1000.0,
        "min_distance_A": min(extremes["min_pair_distance_A"].values()),
        "min_pair_distance_A": extremes["min_pair_distance_A"],
        "max_force_eV_A": extremes["max_force_eV_A"],
        "mean_temperature_K": _mean_production_temperature(thermo_rows),
        "n_frames": n_frames,
        "wall_time_s": earlier_wall_time_s + wall_time_s,
        "steps_per_s": ((step - first_step) / wall_time_s) if step > first_step and wall_time_s > 0 else None,
        "compile_mode": compile_mode or None,
        "steps_by_device": {k: v for k, v in steps_by_device.items() if v},
        "wall_s_by_device": {k: v for k, v in wall_s_by_device.items() if steps_by_device.get(k)},
        "outputs": {"trajectory_chunks": "chunks/", "thermo": "thermo.csv", "positions": run_files.POSITIONS_FILE},
        **runs.provenance(),
    }
    runs.write_json(runs.summary_path(run), summary)
    if failure is not None:
        log.warning("%s: UNSTABLE at %.2f ps: %s", run.name, failure["time_ps"], failure["reason"])
    return summary


def _extends(previous: dict, identity: dict) -> bool:
    """True when ``identity`` differs from ``previous`` only by a longer production (same model, same physics)."""
    def without_length(record: dict) -> dict:
        return {**record, "settings": {k: v for k, v in record["settings"].items() if k != "production_ps"}}
    return (without_length(previous) == without_length(identity)
            and identity["settings"]["production_ps"] > previous["settings"]["production_ps"])


def _check_extensible(run: Path, new_ps: float) -> None:
    """Refuse to lengthen a run that cannot continue along its own trajectory.

    The checkpoint holds positions, momenta and the random-number state, so an extended run follows the same
    trajectory as one planned at the longer length from the start. A run that stopped as unstable, or whose
    checkpoint or trajectory chunks are gone (e.g. a clean checkout, which holds only positions.npz), is not
    extended. If the extension itself turns unstable, the whole run counts as unstable; the shorter run's
    summary is kept beside it (``summary-production<old>ps.json``) as a record."""
    if _final_status(run) == "unstable":
        raise MDError(f"{run}: stopped as unstable, so it cannot be extended to {new_ps:g} ps; "
                      "choose another seed or delete the folder")
    if not (run / "checkpoint.json").exists():
        raise MDError(f"{run}: has no checkpoint to extend from (runs made before checkpoints were committed have "
                      "none); delete the folder to start again")
    n_frames = _checkpoint_frames(run, runs.read_json(run / "checkpoint.json"))
    expected = run_files.positions_kept(n_frames, load_settings(run).sample_interval_fs)
    found = run_files.positions_count(run)
    if found != expected:
        raise MDError(f"{run}: positions.npz and its segments hold {found} of the {expected} frames its checkpoint "
                      "expects, so it cannot be extended; delete the folder to start again")


def steps_per_device(record: dict, steps: int) -> dict[str, int]:
    """MD steps each device made, from a checkpoint or summary of ``steps`` steps (records before 2026-12-04 lack
    the field: every step until then was made on a CPU)."""
    return {k: v for k, v in record.get("steps_by_device", {"cpu": steps}).items() if v}


def wall_by_device(record: dict) -> dict[str, float]:
    """Wall time (s) each device spent on a run, from its checkpoint or summary. Records before 2026-12-04 hold only
    the total: all of it on the one device that made steps (``steps_by_device``, or a CPU before that field); a
    run made on two devices without the split is shared in proportion to the steps, an estimate."""
    if "wall_s_by_device" in record:
        return dict(record["wall_s_by_device"])
    steps = {k: v for k, v in record.get("steps_by_device", {"cpu": 1}).items() if v}
    total = sum(steps.values())
    return {k: record["wall_time_s"] * v / total for k, v in steps.items()} if total else {}


def _checkpoint_frames(run: Path, state: dict) -> int:
    """Production frames written up to a checkpoint (checkpoints before 2026-12-02: counted in the chunks)."""
    return state["n_frames"] if "n_frames" in state else run_files.count_frames(run)


def _final_status(run: Path) -> str | None:
    path = runs.summary_path(run)
    return runs.read_json(path).get("status") if path.exists() else None


def _snapshot(atoms: Atoms) -> Atoms:
    return Atoms(atoms.numbers, positions=atoms.get_positions(), cell=atoms.cell, pbc=True)


def _core_repulsion_energy(atoms: Atoms) -> float:
    """The core-repulsion part (eV) of the last energy evaluation; 0 when the run has none."""
    mixer = getattr(atoms.calc, "mixer", None)  # SumCalculator(MACE, CoreRepulsion)
    for calc in mixer.calcs if mixer is not None else []:
        if isinstance(calc, CoreRepulsion):
            return float(calc.results.get("energy", 0.0))
    return 0.0


def _observe(atoms: Atoms, settings: MDSettings, step: int, extremes: dict, thermostat_energy: float):
    """One thermo row and a failure record (or None); updates the running ``extremes`` in place."""
    time_ps = step * settings.timestep_fs / 1000.0
    phase = "equilibration" if step <= settings.equilibration_steps else "production"
    epot = float(atoms.get_potential_energy())
    forces = atoms.get_forces()
    temperature = float(atoms.get_temperature())
    row = {"step": step, "time_ps": round(time_ps, 6), "phase": phase, "temperature_K": temperature,
           "epot_eV": epot, "ekin_eV": float(atoms.get_kinetic_energy()), "min_distance_A": float("nan"),
           "thermostat_energy_eV": thermostat_energy, "core_repulsion_eV": _core_repulsion_energy(atoms)}
    if not (np.isfinite(epot) and np.all(np.isfinite(forces)) and np.all(np.isfinite(atoms.positions))):
        # checked first: the neighbour list cannot handle NaN positions
        return row, {"reason": "energy, forces or positions became NaN/inf", "step": step, "time_ps": time_ps,
                     "phase": phase}
    pair_min = pair_min_distances(atoms, settings.monitor_radius_A)
    seen = extremes["min_pair_distance_A"]
    for pair in SPECIES_PAIRS:
        seen[pair] = min(seen[pair], pair_min[pair])
    extremes["max_force_eV_A"] = max(extremes["max_force_eV_A"], float(np.abs(forces).max()))
    limits = {pair: max(settings.min_distance_A, settings.pair_min_distance_A.get(pair, 0.0)) for pair in pair_min}
    nearest = min(pair_min, key=lambda pair: pair_min[pair] / limits[pair])  # the pair nearest its stop limit
    row["min_distance_A"] = min(pair_min.values())
    row["closest_to_limit"] = pair_min[nearest] / limits[nearest]  # < 1 stops the run
    failure = None
    if row["closest_to_limit"] < 1:
        failure = {"reason": f"{nearest} distance {pair_min[nearest]:.2f} Å < {limits[nearest]:g} Å"}
    elif temperature > settings.max_temperature_factor * settings.temperature_K:
        failure = {"reason": f"temperature {temperature:.0f} K > {settings.max_temperature_factor} x "
                             f"{settings.temperature_K:g} K"}
    if failure is not None:
        failure.update({"step": step, "time_ps": time_ps, "phase": phase})
    return row, failure


def _judge(judges: list, atoms: Atoms, settings: MDSettings, row: dict) -> dict | None:
    """Committee disagreement into ``row``; a failure record when it exceeds the limit."""
    sigma = committee.sigma_max(judges, atoms)
    row["committee_sigma_eV_A"] = sigma
    limit = settings.max_committee_sigma_eV_A
    if limit > 0 and sigma > limit:
        return {"reason": f"committee force disagreement {sigma:.3f} eV/Å > {limit:g} eV/Å",
                "step": row["step"], "time_ps": row["time_ps"], "phase": row["phase"]}
    return None


def _mean_production_temperature(rows: list[dict]) -> float | None:
    values = [float(r["temperature_K"]) for r in rows if r["phase"] == "production"]
    return float(np.mean(values)) if values else None


def load_settings(run: Path) -> MDSettings:
    return MDSettings(**json.loads((Path(run) / "settings.json").read_text())["settings"])


def nve_energy_drift(model_path: Path, start: Atoms, timestep_fs: float, duration_ps: float,
                     temperature_K: float = 600.0, seed: int = 0, dtype: str = "float32") -> dict:
    """Total-energy drift (meV/atom/ps) and RMS fluctuation of NVE velocity Verlet: the timestep check.

    A timestep is adequate when the drift and the fluctuation are small compared with k_B T.
    """
    from ase.md.verlet import VelocityVerlet

    atoms = Atoms(start.numbers, positions=start.positions, cell=start.cell, pbc=True)
    atoms.calc = load_calculator(model_path, dtype)
    MaxwellBoltzmannDistribution(atoms, temperature_K=temperature_K, rng=np.random.default_rng(seed))
    Stationary(atoms)
    dyn = VelocityVerlet(atoms, timestep=timestep_fs * units.fs)
    n_steps = int(round(duration_ps * 1000 / timestep_fs))
    every = max(1, n_steps // 200)
    times, energies = [], []
    for k in range(0, n_steps + 1, every):
        if k:
            dyn.run(every)
        times.append(k * timestep_fs / 1000)
        energies.append(atoms.get_total_energy() / len(atoms) * 1000)
    times, energies = np.array(times), np.array(energies)
    slope = float(np.polyfit(times, energies, 1)[0])
    return {"timestep_fs": timestep_fs, "duration_ps": duration_ps, "drift_meV_per_atom_per_ps": slope,
            "fluctuation_meV_per_atom": float(np.std(energies - np.polyval(np.polyfit(times, energies, 1), times))),
            "temperature_K": temperature_K, "kT_meV": float(units.kB * temperature_K * 1000)}
