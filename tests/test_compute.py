"""What the MD cost per plan set, from real (tiny) runs' checkpoints and summaries."""

import pytest

from analysis import compute, md, runs


def test_cost_per_set_counts_checkpoints_summaries_and_runs_not_started(tiny_model, tmp_path):
    settings = dict(temperature_K=500.0, timestep_fs=1.0, equilibration_ps=0.01, sample_interval_fs=2.0,
                    chunk_ps=0.01, min_distance_A=0.5)
    a = md.run_md(md.MDSettings(seed=1, production_ps=0.02, **settings), tiny_model, tmp_path / "md-a")
    b = md.run_md(md.MDSettings(seed=2, production_ps=0.04, **settings), tiny_model, tmp_path / "md-b")
    # b as a run made before checkpoints were kept: only its summary (and settings) are left
    (tmp_path / "md-b" / "checkpoint.json").unlink()
    for old in ("steps_by_device", "wall_s_by_device"):
        summary = runs.read_json(tmp_path / "md-b" / "summary.json")
        summary.pop(old)
        runs.write_json(tmp_path / "md-b" / "summary.json", summary)

    assert compute.run_cost(tmp_path / "md-c") is None
    cost_a = compute.run_cost(tmp_path / "md-a")
    assert cost_a["simulated_ps"] == pytest.approx(0.03) and cost_a["steps_by_device"] == {"cpu": 30}
    assert compute.run_cost(tmp_path / "md-b")["simulated_ps"] == pytest.approx(0.05)

    planned = [{"run_name": "md-a", "set": "one", "role": "pending"},
               {"run_name": "md-b", "set": "one", "role": "pending"},
               {"run_name": "md-c", "set": "two", "role": "fit"}]
    one, two = compute.by_set(planned, [{"set": "one", "core_hours": 3}, {"set": "two"}], tmp_path)
    assert (one["runs_planned"], one["runs_started"], two["runs_planned"], two["runs_started"]) == (2, 2, 1, 0)
    assert one["simulated_ps"] == pytest.approx(0.08) and one["cpu_ps"] == pytest.approx(0.08) and one["gpu_ps"] == 0
    # a: where its checkpoint stands (the summary adds the last moments after it); b: its summary
    wall_a_s = runs.read_json(tmp_path / "md-a" / "checkpoint.json")["wall_time_s"]
    assert wall_a_s <= a["wall_time_s"]
    assert one["cpu_core_hours"] == pytest.approx((wall_a_s + b["wall_time_s"]) / 3600)
    assert one["cpu_ns_per_day_per_core"] == pytest.approx(0.08e-3 / (one["cpu_core_hours"] / 24))
    assert (one["declared_core_hours"], two["declared_core_hours"]) == (3, None)
    assert two["simulated_ps"] == 0 and two["cpu_ns_per_day_per_core"] is None
