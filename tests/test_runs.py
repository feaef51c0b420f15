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
