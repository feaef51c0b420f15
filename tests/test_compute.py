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


def test_length_needed_and_doubling():
    # MSD at the end of the fit window (half the run) = 6 D L / 2; 1e-6 cm²/s = 0.01 Å²/ps
    assert compute.length_needed_ps(1e-6, 20.0) == pytest.approx(20.0 / 0.03)
    assert compute.doubled_length_ps(40.0, 300.0, 1000.0) == 320.0
    assert compute.doubled_length_ps(80.0, 50.0, 1000.0) == 80.0  # already long enough: the piece it makes next
    assert compute.doubled_length_ps(80.0, 667.0, 1000.0) == 1000.0  # 640 is short, 1280 is past the cap
    assert compute.doubled_length_ps(20.0, 5000.0, 1000.0) == 1000.0


def test_forecast_per_temperature():
    runs_left = [
        {"run_name": "a", "temperature_K": 350, "next_ps": 80.0, "cap_ps": 1000.0, "converged": False, "made_ps": 50.0},
        {"run_name": "b", "temperature_K": 350, "next_ps": 80.0, "cap_ps": 1000.0, "converged": True, "made_ps": 90.0},
        {"run_name": "c", "temperature_K": 300, "next_ps": 20.0, "cap_ps": 1000.0, "converged": False, "made_ps": 0.0}]
    cold, warm = compute.forecast(runs_left, {350.0: 1e-6, 300.0: 1e-7}, min_msd_A2=20.0, equilibration_ps=10.0,
                                  ps_per_core_hour=50.0)
    assert (cold["temperature_K"], warm["temperature_K"]) == (300.0, 350.0)
    # 350 K: a doubles 80 -> 1000 (needs 667 ps): 1010 - 50 ps left; b is converged and made: nothing left
    assert warm["target_ps"] == [1000.0, 80.0] and warm["ps_left"] == pytest.approx(960.0)
    assert warm["n_capped_short"] == 0 and warm["core_hours_left"] == pytest.approx(960.0 / 50.0)
    # 300 K: needs 6667 ps, so the run reaches the cap short of the rule
    assert cold["needed_ps"] == pytest.approx(20.0 / 0.003) and cold["target_ps"] == [1000.0]
    assert cold["ps_left"] == pytest.approx(1010.0) and cold["n_capped_short"] == 1
    assert compute.forecast(runs_left[:1], {350.0: 1e-6}, 20.0, 10.0, None)[0]["core_hours_left"] is None


def test_runs_left_from_real_runs(tiny_model, tmp_path):
    settings = dict(temperature_K=500.0, timestep_fs=1.0, equilibration_ps=0.01, sample_interval_fs=2.0,
                    chunk_ps=0.01, min_distance_A=0.5)
    md.run_md(md.MDSettings(seed=1, production_ps=0.02, **settings), tiny_model, tmp_path / "md-a")
    planned = [{"run_name": name, "temperature_K": 500, "production_ps": 0.02, "cap_ps": 0.2, "role": role,
                "supercell": cells}
               for name, role, cells in (("md-a", "pending", 1), ("md-b", "pending", 1), ("md-c", "pending", 1),
                                         ("md-d", "fit", 1), ("md-e", "pending", 2))]
    judged = [{"run_name": "md-a", "production_ps": 0.02, "converged": False}]
    left = compute.runs_left(planned, judged, excluded=["md-c"], runs_dir=tmp_path)
    assert [r["run_name"] for r in left] == ["md-a", "md-b"]  # not the excluded, fitted or supercell runs
    a, b = left
    assert a["next_ps"] == pytest.approx(0.04) and a["converged"] is False and a["made_ps"] == pytest.approx(0.03)
    assert b["next_ps"] == pytest.approx(0.02) and b["made_ps"] == 0.0
    judged[0]["converged"] = True
    a = compute.runs_left(planned, judged, ["md-c"], tmp_path)[0]
    assert a["next_ps"] == pytest.approx(0.02) and a["converged"] is True


def test_mean_D_by_T_leaves_out_supercells():
    per_run = [{"temperature_K": 350, "D_cm2_s": 1e-6}, {"temperature_K": 350, "D_cm2_s": 3e-6},
               {"temperature_K": 500, "D_cm2_s": 5e-6, "supercell": 1},
               {"temperature_K": 500, "D_cm2_s": 9e-6, "supercell": 2}]
    assert compute.mean_D_by_T(per_run) == {350.0: pytest.approx(2e-6), 500.0: pytest.approx(5e-6)}


def test_cpu_rate_pools_only_the_named_sets():
    md_compute = [{"set": "cold", "cpu_ps": 600.0, "cpu_core_hours": 10.0},
                  {"set": "cold too", "cpu_ps": 200.0, "cpu_core_hours": 10.0},
                  {"set": "supercell", "cpu_ps": 30.0, "cpu_core_hours": 10.0},
                  {"set": "gpu only", "cpu_ps": 0.0, "cpu_core_hours": 0.0}]
    assert compute.cpu_ps_per_core_hour(md_compute, {"cold", "cold too"}) == pytest.approx(40.0)
    assert compute.cpu_ps_per_core_hour(md_compute, {"gpu only"}) is None
    assert compute.cpu_ps_per_core_hour(md_compute, set()) is None
