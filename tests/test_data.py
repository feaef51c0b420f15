"""Dataset acquisition, decoding, validation and split (analysis.data)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import os
import pickle
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from ase.io import write

from analysis import data, paths
from conftest import dataset_file


@contextlib.contextmanager
def serve(directory: Path):
    """A static HTTP server on 127.0.0.1 for ``directory`` (bounded: one test's requests)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_downloads_and_verifies_from_local_server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    payload = b"a small file standing in for the dataset\n" * 100
    (served / "data.lmdb").write_bytes(payload)
    sha = hashlib.sha256(payload).hexdigest()
    cache = tmp_path / "cache"
    with serve(served) as url:
        path = data.fetch_dataset(cache, url=f"{url}/data.lmdb", sha256=sha, filename="x.lmdb")
    assert path == cache / "x.lmdb"
    assert path.read_bytes() == payload
    # a second call uses the cache (the server is gone now)
    assert data.fetch_dataset(cache, url="http://127.0.0.1:9/none", sha256=sha, filename="x.lmdb") == path


def test_fetch_refuses_wrong_checksum_and_keeps_nothing(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "data.lmdb").write_bytes(b"tampered")
    cache = tmp_path / "cache"
    with serve(served) as url, pytest.raises(data.DataError, match="sha256 .* expected"):
        data.fetch_dataset(cache, url=f"{url}/data.lmdb", sha256="0" * 64, filename="x.lmdb")
    assert not (cache / "x.lmdb").exists()
    assert not list(cache.glob("*.part"))


def test_fetch_failed_download_names_url_and_where_to_put_the_file(tmp_path):
    with serve(tmp_path) as url, pytest.raises(data.DataError) as err:
        data.fetch_dataset(tmp_path / "cache", url=f"{url}/missing.lmdb", sha256="0" * 64, filename="x.lmdb")
    message = str(err.value)
    assert "missing.lmdb" in message and "place it at" in message and str(tmp_path / "cache" / "x.lmdb") in message


def test_truncated_cached_file_is_refused_and_left_alone(tmp_path):
    original = dataset_file().read_bytes()
    truncated = tmp_path / data.DATASET_FILENAME
    truncated.write_bytes(original[: len(original) // 2])
    with pytest.raises(data.DataError, match="does not match the pinned"):
        data.fetch_dataset(tmp_path)
    assert truncated.read_bytes() == original[: len(original) // 2]
    result = subprocess.run([sys.executable, "-m", "analysis.data", "fetch"], capture_output=True, text=True,
                            cwd=paths.ROOT, env={**os.environ, "LIPS_CACHE_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"ERROR: {truncated}: sha256 {hashlib.sha256(truncated.read_bytes()).hexdigest()} does not match the pinned "
        f"{data.DATASET_SHA256} (truncated or wrong file); delete it and rerun, or place the correct file there")
    assert truncated.read_bytes() == original[: len(original) // 2]


def test_pinned_file_decodes_to_200_valid_configurations():
    frames = data.read_lmdb(data.fetch_dataset(dataset_file().parent))
    assert len(frames) == 200
    data.validate_frames(frames, "lmdb")
    assert [a.info[data.INDEX_KEY] for a in frames] == list(range(200))
    energies = np.array([a.info[data.ENERGY_KEY] for a in frames])
    assert -359.5 < energies.min() < energies.max() < -355.5  # eV per cell, as documented
    assert np.allclose(frames[0].cell.cellpar(), [12.377, 12.261, 12.437, 107.00, 103.09, 102.39], atol=0.01)


def test_restricted_unpickler_refuses_code(tmp_path):
    import lmdb

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.lmdb"
    env = lmdb.open(str(path), subdir=False, map_size=1 << 20)
    with env.begin(write=True) as txn:
        txn.put(b"0", pickle.dumps({"pos": Evil()}))
    env.close()
    with pytest.raises(data.DataError, match="entry 0 cannot be decoded.*forbidden global"):
        data.read_lmdb(path)


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda a: a.arrays[data.FORCES_KEY].__setitem__((5, 1), np.nan), "forces contain NaN"),
        (lambda a: a.info.pop(data.ENERGY_KEY), "no 'REF_energy' energy"),
        (lambda a: a.info.__setitem__(data.ENERGY_KEY, float("inf")), "energy is not a finite"),
        (lambda a: a.set_pbc([True, True, False]), "not periodic"),
        (lambda a: a.set_cell(a.cell * 0.1, scale_atoms=True), "degenerate cell"),
        (lambda a: a.numbers.__setitem__(0, 11), "species"),
    ],
)
def test_bad_extxyz_is_refused_naming_file_and_configuration(frames, tmp_path, corrupt, message):
    bad = [a.copy() for a in frames[:4]]
    for a, src in zip(bad, frames[:4]):
        a.arrays[data.FORCES_KEY] = src.arrays[data.FORCES_KEY].copy()
        a.info.update(src.info)
    corrupt(bad[2])
    path = tmp_path / "bad.extxyz"
    write(path, bad, format="extxyz")
    before = path.read_bytes()
    with pytest.raises(data.DataError, match=message) as err:
        data.read_extxyz(path)
    assert str(path) in str(err.value) and "configuration 2" in str(err.value)
    # the same from the command line: one ERROR line, exit 1, the file untouched
    result = subprocess.run([sys.executable, "-m", "analysis.data", "validate", str(path)],
                            capture_output=True, text=True, cwd=paths.ROOT)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"ERROR: {path}: configuration 2:") and re.search(message, last)
    assert path.read_bytes() == before


def test_wrong_atom_count_and_missing_forces(frames, tmp_path):
    short = frames[0].copy()
    del short[[0]]
    write(tmp_path / "short.extxyz", [short], format="extxyz")
    with pytest.raises(data.DataError, match="configuration 0: has 82 atoms, expected 83"):
        data.read_extxyz(tmp_path / "short.extxyz")
    noforce = frames[0].copy()
    del noforce.arrays[data.FORCES_KEY]
    write(tmp_path / "noforce.extxyz", [noforce], format="extxyz")
    with pytest.raises(data.DataError, match="no 'REF_forces' forces"):
        data.read_extxyz(tmp_path / "noforce.extxyz")


def test_corrupt_and_missing_extxyz(tmp_path):
    (tmp_path / "garbage.extxyz").write_text("83\nthis is not extxyz\nLi 0 0\n")
    with pytest.raises(data.DataError, match="garbage.extxyz: not a readable extended-XYZ"):
        data.read_extxyz(tmp_path / "garbage.extxyz")
    with pytest.raises(data.DataError, match="file not found"):
        data.read_extxyz(tmp_path / "nothing.extxyz")


def test_split_is_seeded_disjoint_and_recorded(study):
    a, b = data.make_split(200, 40, seed=0), data.make_split(200, 40, seed=0)
    assert a == b
    assert len(a["test_indices"]) == 40 and len(a["train_indices"]) == 160
    assert not set(a["test_indices"]) & set(a["train_indices"])
    assert data.make_split(200, 40, seed=1)["test_indices"] != a["test_indices"]
    recorded = __import__("json").loads(paths.split_file().read_text())
    assert recorded["test_indices"] == a["test_indices"] and recorded["sha256"] == data.DATASET_SHA256
    test_frames = data.read_extxyz(paths.test_xyz())
    assert [int(f.info[data.INDEX_KEY]) for f in test_frames] == a["test_indices"]
    with pytest.raises(data.DataError, match="n_test=300"):
        data.make_split(200, 300, seed=0)


def test_full_lips_source_explains_where_to_put_the_file(study):
    with pytest.raises(data.DataError, match="lips.xyz: not found; download lips.xyz from Materials Cloud"):
        data.load_dataset("full")


def test_frames_hash_changes_with_any_position(frames):
    a = data.frames_sha256(frames[:2])
    moved = [f.copy() for f in frames[:2]]
    moved[1].positions[3, 0] += 1e-9
    assert data.frames_sha256(frames[:2]) == a != data.frames_sha256(moved)
    assert np.allclose(moved[1].positions[3, 0] - frames[1].positions[3, 0], 1e-9)
