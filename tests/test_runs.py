"""Run-folder helpers (analysis.runs): values kept with the hashes of their inputs."""

from __future__ import annotations

from analysis import runs


def test_kept_values_are_reused_for_the_same_key_and_recomputed_for_another(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"sigma": [0.1 * len(calls), float("nan")]}

    path = tmp_path / "kept.json"
    assert not runs.is_kept(path, {"model": "a", "every_ps": 1.0})
    first = runs.kept_or_computed(path, {"model": "a", "every_ps": 1.0}, compute)
    assert first == {"sigma": [0.1, None]}  # as stored: NaN becomes null
    again = runs.kept_or_computed(path, {"model": "a", "every_ps": 1.0}, compute)
    assert again == first and len(calls) == 1 and path.read_text().count('"key"') == 1
    assert runs.is_kept(path, {"model": "a", "every_ps": 1.0}) and not runs.is_kept(path, {"model": "b", "every_ps": 1.0})
    other = runs.kept_or_computed(path, {"model": "b", "every_ps": 1.0}, compute)
    assert other == {"sigma": [0.2, None]} and len(calls) == 2


def _write_many(path, text: str, n: int) -> None:
    for _ in range(n):
        runs.atomic_write_text(path, text)


def test_two_processes_writing_the_same_file_at_once_both_succeed(tmp_path):
    """Two ``make`` targets sharing an output (the data split) once raced on one ``NAME.tmp``: the
    second rename found the first had taken it (FileNotFoundError). Each process now has its own."""
    import multiprocessing

    target = tmp_path / "split.json"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_write_many, args=(target, "same text\n", 300)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0]
    assert target.read_text() == "same text\n"
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_a_write_leaves_another_process_temporary_file_alone(tmp_path, monkeypatch):
    target = tmp_path / "summary.json"
    with monkeypatch.context() as m:
        m.setattr(runs.os, "getpid", lambda: 1)
        theirs = runs.temporary_path(target)
    theirs.write_text("another process, half-way\n")
    runs.write_json(target, {"D_cm2_s": 1e-7})
    assert theirs.read_text() == "another process, half-way\n"
    assert runs.read_json(target) == {"D_cm2_s": 1e-7}
    assert runs.temporary_path(target) != theirs and runs.temporary_path(target).name.endswith(".tmp")
