"""Run-file helpers (analysis.run_files) that need no MD run."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from ase import Atoms

from analysis import run_files
from analysis.model import file_sha256


def test_a_stop_is_quoted_in_ps_of_production_with_the_time_since_the_start_beside_it():
    """The events table counts production time; notebooks once quoted the time since the start (43.7 against 33.68)."""
    assert run_files.failure_when({"time_ps": 43.68}, 10.0) == "33.68 ps into production (43.68 ps after the start)"
    assert run_files.failure_when({"time_ps": 3.2}, 0.0) == "at 3.2 ps"  # a screen: no equilibration
    assert run_files.failure_when({"time_ps": 4.98}, 10.0) == "in equilibration, 4.98 ps after the start"
    assert run_files.stopped_in_equilibration({"time_ps": 4.98}, 10.0)
    # a record without the phase (older runs): the boundary as the MD code draws it, 10 ps still equilibration
    assert run_files.stopped_in_equilibration({"time_ps": 10.0}, 10.0)
    assert not run_files.stopped_in_equilibration({"time_ps": 10.002}, 10.0)
    assert not run_files.stopped_in_equilibration({"time_ps": 10.002, "phase": "production"}, 10.0)
    # the monitor's own record decides: the last equilibration step is at 10 ps
    assert run_files.stopped_in_equilibration({"time_ps": 10.0, "phase": "equilibration"}, 10.0)
    assert run_files.failure_when({"time_ps": 10.0, "phase": "equilibration"}, 10.0).startswith("in equilibration")
    assert not run_files.stopped_in_equilibration({"time_ps": 3.2}, 0.0) and not run_files.stopped_in_equilibration(None, 10.0)


def _write(path, positions_A, spacing_fs=100.0):
    np.savez_compressed(path, positions_A=np.asarray(positions_A, dtype=np.float32), numbers=np.array([3, 15, 16, 3]),
                        cell_A=np.eye(3) * 8.0, sample_interval_fs=np.float64(spacing_fs))


def test_a_resumed_run_s_positions_are_read_as_one_whatever_files_hold_them(tmp_path):
    """positions.npz and the segments of later resumptions read as one array: a segment replaces what came before
    from its first frame on (here a frame past the checkpoint that an interruption left in positions.npz)."""
    whole = np.random.default_rng(0).normal(size=(10, 4, 3)).astype(np.float32)
    split, single = tmp_path / "split", tmp_path / "single"
    split.mkdir(), single.mkdir()
    _write(split / "positions.npz", np.concatenate([whole[:6], whole[:1] + 50.0]))  # frame 6: stale
    _write(run_files.segment_path(split, 6), whole[6:])
    _write(single / "positions.npz", whole)
    assert run_files.segment_path(split, 6).name == "positions-from-000006.npz"
    assert [first for first, _ in run_files.positions_files(split)] == [0, 6]
    assert np.array_equal(run_files.load_positions(split)["positions_A"], whole)
    assert run_files.positions_count(split) == 10 == run_files.positions_count(single)
    frames, spacing_fs = run_files.read_positions(split)
    assert spacing_fs == 100.0 and np.allclose([f.positions for f in frames], whole)
    # the digest is of the frames: the same however they are split (one whole file: the file's hash, as before)
    assert run_files.positions_sha256(split) == "first-10-frames:" + hashlib.sha256(whole.tobytes()).hexdigest()
    assert run_files.positions_sha256(single) == file_sha256(single / "positions.npz")
    assert run_files.positions_count(tmp_path) == 0


def test_positions_files_that_do_not_join_up_are_refused_naming_the_file(tmp_path):
    whole = np.zeros((4, 4, 3), dtype=np.float32)
    _write(tmp_path / "positions.npz", whole)
    _write(run_files.segment_path(tmp_path, 6), whole)  # frames 4 and 5 are missing
    with pytest.raises(run_files.RunFileError, match=r"positions-from-000006.npz: starts at kept frame 6, but the "
                                                     r"files before it end at 4"):
        run_files.load_positions(tmp_path)
    run_files.segment_path(tmp_path, 6).unlink()
    _write(run_files.segment_path(tmp_path, 4), whole, spacing_fs=50.0)
    with pytest.raises(run_files.RunFileError, match="positions-from-000004.npz: other atoms or frame spacing"):
        run_files.load_positions(tmp_path)
    (tmp_path / "positions.npz").unlink()
    with pytest.raises(FileNotFoundError, match="positions.npz: missing"):
        run_files.load_positions(tmp_path)


def _frames(n: int, shift: float = 0.0) -> list[Atoms]:
    rng = np.random.default_rng(1)
    return [Atoms([3, 15, 16, 3], positions=rng.normal(size=(4, 3)) + shift, cell=np.eye(3) * 8.0, pbc=True)
            for _ in range(n)]


def test_positions_files_are_never_replaced_by_fewer_frames_or_left_stale(tmp_path):
    """Chunks that cover only part of the run (a clone resumed here) do not replace its positions files; a run
    restarted from its first frame, or resumed earlier than a segment left behind, replaces what it supersedes."""
    whole = np.random.default_rng(0).normal(size=(10, 4, 3)).astype(np.float32)
    _write(tmp_path / "positions.npz", whole[:6], spacing_fs=100.0)
    _write(run_files.segment_path(tmp_path, 6), whole[6:], spacing_fs=100.0)
    run_files.write_chunk(run_files.chunk_path(tmp_path, 0), _frames(20))  # 20 frames 20 fs apart: 4 kept, not 10
    before = {p.name: p.read_bytes() for p in tmp_path.glob("*.npz")}
    with pytest.raises(run_files.RunFileError, match="chunks hold 20 frames, the positions files 46"):
        run_files.export_positions(tmp_path, 20.0)
    (tmp_path / "positions.npz").unlink()
    with pytest.raises(FileNotFoundError, match="positions.npz: missing"):  # not remade from the chunks
        run_files.read_positions(tmp_path)
    assert run_files.segment_path(tmp_path, 6).read_bytes() == before["positions-from-000006.npz"]
    # a run started again from its first frame: its positions.npz, the old segment gone
    frames = _frames(10, shift=1.0)
    run_files.append_positions(tmp_path, frames, 0, 20.0)
    assert [p.name for _, p in run_files.positions_files(tmp_path)] == ["positions.npz"]
    assert np.allclose(run_files.load_positions(tmp_path)["positions_A"], [frames[0].positions, frames[5].positions])
    # resumed at kept frame 1 although a segment from 2 is there (its checkpoint lost): that segment goes
    _write(run_files.segment_path(tmp_path, 2), whole[:3], spacing_fs=100.0)
    more = _frames(5, shift=2.0)
    run_files.append_positions(tmp_path, more, 5, 20.0, since=1)
    assert [first for first, _ in run_files.positions_files(tmp_path)] == [0, 1]
    assert np.allclose(run_files.load_positions(tmp_path)["positions_A"], [frames[0].positions, more[0].positions])
