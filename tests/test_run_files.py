"""Run-file helpers (analysis.run_files) that need no MD run."""

from __future__ import annotations

from analysis import run_files


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
