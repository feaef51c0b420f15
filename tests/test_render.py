"""The report: Quarto features resolved for the Pandoc path, word count, committed report checks."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from analysis import paths, plan, render, report_values, stability, temperature_series

SOURCE = """---
title: "T"
---

# Abstract {.unnumbered}

Error {{< var force_rmse >}} meV/Å, see @fig-a and @tbl-b and @fig-c.

![First caption with many words in it.](figures/a.png){#fig-a width=50%}

![Second.](figures/c.png){#fig-c}

| a | b |
|---|---|
| 1 | 2 |

: Table caption words. {#tbl-b}

$$ D = D_0 \\exp(-E_a / k_B T) $$

# References {.unnumbered}

::: {#refs}
:::
"""


def test_crossrefs_and_variables_resolve_in_order():
    text = render.resolve_crossrefs(render.resolve_variables(SOURCE, {"force_rmse": "42.0"}))
    assert "Error 42.0 meV/Å, see Figure 1 and Table 1 and Figure 2." in text
    assert "![Figure 2: Second.]" in text and ": Table 1: Table caption words." in text
    assert "@fig" not in text and "@tbl" not in text


def test_unknown_variable_or_reference_is_an_error():
    with pytest.raises(render.RenderError, match="variable 'nope'"):
        render.resolve_variables("{{< var nope >}}", {})
    with pytest.raises(render.RenderError, match="@fig-missing points to no figure"):
        render.resolve_crossrefs("see @fig-missing.")


def test_word_count_excludes_title_figures_tables_captions_equations():
    text = render.resolve_crossrefs(render.resolve_variables(SOURCE, {"force_rmse": "42.0"}))
    # "Abstract" + "Error 42.0 meV/Å, see Figure 1 and Table 1 and Figure 2."
    assert render.word_count(text) == 1 + 12
    assert render.word_count(text + "\n```{=typst}\n#place.flush()\n```\n") == 1 + 12  # raw layout blocks


def test_number_formatting():
    assert report_values.sci(1.234e-5) == "1.2 × 10^−5^"
    assert report_values.sci(9.99e-6) == "1.0 × 10^−5^"
    assert report_values.fixed(-0.5, 2) == "−0.50"
    assert report_values.fixed(None) == "n/a"


def test_stability_and_core_repulsion_values_come_from_the_results():
    table = [{"model": "prod", "core_repulsion": False, "temperature_K": 900, "n_runs": 2, "n_failed": 2,
              "total_ps_survived": 0.0},
             {"model": "prod", "core_repulsion": True, "temperature_K": 900, "n_runs": 2, "n_failed": 0,
              "total_ps_survived": 20.0},
             {"model": "small", "core_repulsion": False, "temperature_K": 900, "n_runs": 2, "n_failed": 1,
              "total_ps_survived": 10.0}]
    run = {"pair_limit_A": {"Li-Li": 1.5}, "limit_A": 1.5, "core_repulsion_onset_A": {"Li-Li": 1.8},
           "core_active_fraction": 0.002, "core_max_eV": 0.07}
    summary = {"model": {"source_run": "prod"}, "dataset": {"min_pair_distance_A": {"Li-Li": 2.0}},
               "stability": {"table": table, "test_errors": {"small": {"test_force_rmse_meV_per_A": 44.04}},
                             "failures_by_model_and_cause": {"prod": {"Li-Li": 2}, "small": {"S-S": 1}},
                             "nve": [{"model": "small", "timestep_fs": 2.0, "drift_meV_per_atom_per_ps": -0.5,
                                      "temperature_K": 800.0, "kT_meV": 68.9},
                                     {"model": "prod", "timestep_fs": 1.0, "drift_meV_per_atom_per_ps": -0.2,
                                      "temperature_K": 800.0, "kT_meV": 68.9},
                                     {"model": "prod", "timestep_fs": 2.0, "drift_meV_per_atom_per_ps": -0.0071,
                                      "temperature_K": 800.0, "kT_meV": 68.9}]},
               "diffusion": [{**run, "timestep_fs": 2.0}, {**run, "core_active_fraction": 0.004, "core_max_eV": 0.01}]}
    v = report_values._stability_values(summary)
    assert (v["stab_prod_failed"], v["stab_prod_runs"], v["stab_prod_core_failed"], v["stab_other_failed"]) == ("2", "2", "0", "1")
    # the causes quoted beside the production model's failures are its own (not pooled with the other candidate's)
    assert (v["stab_n_failed"], v["stab_n_failed_LiLi"], v["stab_length_ps"], v["stab_other_force_rmse"]) == ("2", "2", "10", "44.0")
    assert v["stab_n_failed"] == v["stab_prod_failed"]
    assert (v["monitor_fraction_percent"], v["core_fraction_percent"], v["core_onset_LiLi"]) == ("75", "90", "1.80")
    assert (v["core_active_percent"], v["core_max_eV"]) == ("0.30", "0.070")
    # the timestep check is the production model's NVE run at the production timestep
    assert (v["nve_drift"], v["nve_T"], v["nve_kT"], v["stab_n_seeds"]) == ("0.007", "800", "69", "2")
    # a candidate screened at only some temperatures is left out of the text's comparison (not summed into "other")
    summary["stability"]["table"] = table + [{"model": "wide", "core_repulsion": False, "temperature_K": 750,
                                              "n_runs": 2, "n_failed": 2, "total_ps_survived": 0.0}]
    summary["stability"]["failures_by_model_and_cause"] = {"prod": {"Li-Li": 2}, "small": {"S-S": 1},
                                                           "wide": {"Li-Li": 2}}
    w = report_values._stability_values(summary)
    assert (w["stab_other_failed"], w["stab_other_runs"], w["stab_n_failed"], w["stab_n_failed_LiLi"]) == ("1", "2", "2", "2")
    assert (w["stab2_n"], w["stab2_temps"], w["stab2_failed"], w["stab2_survivors"]) == ("1", "750", "2", "none")
    assert (w["stab2_best"], w["stab2_best_failed"], w["stab2_best_runs"]) == ("wide", "2", "2")


def test_the_committed_report_keeps_room_for_the_finite_size_result(tmp_path, monkeypatch):
    """The supercell runs finish after the rest: their sentence (the longest form, a ratio with its error) must not
    push the report over the word limit when it arrives."""
    summary_path = paths.ROOT / "data" / "derived" / "summary.json"
    if not summary_path.exists():
        pytest.skip("no committed study yet (make report)")
    monkeypatch.setenv("LIPS_STUDY_DIR", str(paths.ROOT / "data"))
    summary = json.loads(summary_path.read_text())
    cell = next(t for t in summary["diffusion_per_temperature"] if t["temperature_K"] == 500)
    supercell = {"temperature_K": 500, "D_cm2_s": 0.95 * cell["D_cm2_s"], "D_err_cm2_s": 0.2 * cell["D_cm2_s"], "n_runs": 2}
    summary.setdefault("diffusion_pending", {})["finite_size"] = temperature_series.finite_size([supercell], [cell], 2, 664)
    build = tmp_path / "_build"
    render.prepare(build)
    values = report_values.variables(summary)
    assert "times the 83-atom D" in values["finite_size_sentence"]
    assert render.printed_word_count(render.to_markdown(build, values), build) <= render.WORD_LIMIT


def test_committed_report_matches_the_committed_results(tmp_path, monkeypatch):
    """The committed report: ≤1500 words, all sections, references resolved, numbers = summary.json."""
    rendered = paths.REPORT_DIR / "_output" / "report.md"
    summary_path = paths.ROOT / "data" / "derived" / "summary.json"
    if not rendered.exists() or not summary_path.exists():
        pytest.skip("no committed report yet (make report)")
    # the committed study, whatever the session's study fixture set (a fresh clone has no report/_build)
    monkeypatch.setenv("LIPS_STUDY_DIR", str(paths.ROOT / "data"))
    markdown = rendered.read_text()
    summary = json.loads(summary_path.read_text())
    build = tmp_path / "_build"
    render.prepare(build)
    assert render.printed_word_count(markdown, build) <= render.WORD_LIMIT == 1500
    assert json.loads((paths.REPORT_DIR / "_output" / "render.json").read_text())["words"] <= 1500
    for section in ("Abstract", "Introduction", "Computational methods", "Results and discussion",
                    "Conclusion", "References"):
        assert f"# {section}" in markdown
    assert "@fig-" not in markdown and "@tbl-" not in markdown and "{{<" not in markdown
    assert "n/a" not in markdown  # every stage the report cites has results
    # dated by its results, so a fresh clone renders the same report on a later day
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert f"\ndate: {render.report_date()}\n" in markdown
    assert render.report_date() == summary["provenance"]["created"][:10]
    values = report_values.variables(summary)
    for key in ("force_rmse", "energy_rmse", "Ea", "Ea_err", "D300", "sigma300_mS_cm", "lc_force_slope"):
        assert values[key] in markdown, key
    assert (paths.REPORT_DIR / "_output" / "report.pdf").read_bytes()[:4] == b"%PDF"


def test_committee_values_and_na_when_not_run():
    c = {"members": ["a", "b", "c"], "test_sigma_eV_A": {"p95": 0.106}, "limit_eV_A": 0.424, "limit_factor": 4.0,
         "per_run": [{"sigma_max_eV_A": 0.295, "left_trained_region": False, "fraction_frames_P_S_broken": 0.22},
                     {"sigma_max_eV_A": 0.310, "left_trained_region": False, "fraction_frames_P_S_broken": 0.0},
                     {"sigma_max_eV_A": 1.013, "left_trained_region": True, "fraction_frames_P_S_broken": 0.82}],
         "before_failure": [{"sigma_last_2ps_max_eV_A": 0.594}]}
    v = report_values._committee_values(c)
    assert (v["committee_n"], v["committee_test_p95"], v["committee_limit"], v["committee_limit_factor"]) == ("3", "106", "424", "4")
    assert (v["committee_max_used"], v["committee_failed_max"]) == ("310", "1013")
    assert (v["committee_broken_used"], v["committee_broken_excluded"]) == ("22", "82")
    assert set(report_values._committee_values(None).values()) == {"n/a"}


def test_architecture_values_are_ratios_to_the_reference_candidate():
    cands = [{"architecture": "c32-L0-r5", "test_force_rmse_meV_per_A": 50.0, "ns_per_day_per_core": 2.0},
             {"architecture": "c32-L1-r5", "test_force_rmse_meV_per_A": 40.0, "ns_per_day_per_core": 1.0},
             {"architecture": "c32-L0-r4-ell2", "test_force_rmse_meV_per_A": 60.0, "ns_per_day_per_core": 4.4}]
    v = report_values._architecture_values(cands, "c32-L1-r5")
    assert (v["arch_n"], v["arch_ref"], v["arch_fastest"]) == ("3", "c32-L0-r5", "c32-L0-r4-ell2")
    assert (v["arch_prod_speed_ratio"], v["arch_prod_error_ratio"]) == ("0.50", "0.80")
    assert (v["arch_fastest_speed_ratio"], v["arch_fastest_error_ratio"]) == ("2.20", "1.20")
    assert set(report_values._architecture_values(None, "x").values()) == {"n/a"}


def test_pretraining_table_and_values_read_each_candidate_and_the_decision():
    def row(cand, kind, run, rmse, **screens):
        return {"candidate": cand, "architecture": cand.split(" ")[0], "kind": kind, "run_name": run,
                "test_force_rmse_meV_per_A": rmse, "ns_per_day_per_core": 1.5, **screens}

    pt = {"synthetic_set": {"n_configurations": 1200, "n_md": 900, "teacher": {"teacher": "SevenNet-0 (7net-0)"}},
          "table": [row("c32-L1-r5", "scratch", "s40", 46.7, n_screens=0),
                    row("c32-L1-r5", "fine-tuned", "f40", 34.5, n_screens=3, n_failed=0, failed_600K="0/3"),
                    row("c32-L1-r5 (120 epochs)", "scratch", "prod", 30.5, n_screens=15, n_failed=9),
                    row("c32-L1-r5 (120 epochs)", "fine-tuned", "f120", 29.0, n_screens=6, n_failed=1,
                        failed_600K="0/3", failed_800K="1/3", ps4_delta_error_eV=-0.2, ps4_delta_error_err_eV=0.1)],
          "decision": {"verdicts": [{"run_name": "f40", "candidate": "c32-L1-r5", "architecture": "c32-L1-r5",
                                     "passes": False, "reasons": ["test force RMSE 34.5 > 32 meV/Å"]},
                                    {"run_name": "f120", "candidate": "c32-L1-r5 (120 epochs)",
                                     "architecture": "c32-L1-r5", "passes": True, "reasons": []}],
                       "adopted": "f120"}}
    v = report_values._pretraining_values(pt)
    assert v["pt_change"] == "−26, −5" and v["pt_archs"] == "c32-L1-r5, c32-L1-r5 (120 epochs)"
    assert (v["pt_change_range"], v["pt_n_candidates"]) == ("−26 to −5", "two")
    assert (v["pt_scratch_failed"], v["pt_ft_failed"]) == ("9 of 15", "1 of 9")
    # an adopted model does not silently become the MD series' model: the report says the runs predate it
    assert v["pt_decision"] == "adopts the fine-tuned c32-L1-r5 (120 epochs); the MD below predates it"
    # once the plan has made it the production model, the MD below is its own
    assert report_values._pretraining_values(pt, "f120")["pt_decision"] == \
        "adopts the fine-tuned c32-L1-r5 (120 epochs), the model of the MD below"
    lines = report_values.pretraining_table(pt).splitlines()
    assert "| 600 K | 800 K |" in lines[0] and len(lines) == 4
    assert lines[2].split(" | ")[1:] == ["46.7", "34.5", "0/3", "—", "—", "1.5", "RMSE 34.5 > 32 |"]
    assert lines[3].split(" | ")[1:] == ["30.5", "29.0", "0/3", "1/3", "−0.20 ± 0.10", "1.5", "passes |"]


def test_lognormal_quantities_get_ranges_and_the_events_table_reads_per_run():
    low, high = report_values.lognormal_range(10.0, math.log(2.0))
    assert low == pytest.approx(5.0) and high == pytest.approx(20.0)
    blank = {"stopped_ps": None, "stopped_in_equilibration": False, "stop_reason": None, "committee_ps": None,
             "PS4_break_ps": None,
             "broken_PS4_fraction": 0.0, "first_event": None, "first_event_ps": None, "reached_ps": 100.0,
             "planned_ps": 100.0}
    per_T = lambda events: stability.production_event_table(pd.DataFrame(events)).to_dict(orient="records")  # noqa: E731
    events = [{**blank, "run_name": "md-T900-seed1", "temperature_K": 900, "seed": 1, "stopped_ps": 33.68,
               "stop_reason": "S-S distance 1.98 Å < 2.007 Å", "PS4_break_ps": 1.0, "broken_PS4_fraction": 0.5,
               "first_event": "PS4_break", "first_event_ps": 1.0, "reached_ps": 33.68},
              {**blank, "run_name": "md-T400-seed1", "temperature_K": 400, "seed": 1}]
    summary = {"committee": {"production_events": events},
               "diffusion": [{"run_name": "md-T400-seed1", "production_ps": 100.0, "analysed_ps": 99.9}]}
    rows = report_values.tables(summary)["events"].splitlines()[2:]
    assert rows == ["| 400 | 1 | — | — | — | 0 | 99.9 |", "| 900 | 1 | 33.68 (S–S) | — | 1 | 50 | left out |"]
    # runs where nothing happened share one row
    quiet = {**events[1], "run_name": "md-T450-seed2", "temperature_K": 450, "seed": 2}
    two = {"committee": {"production_events": [*events, quiet]},
           "diffusion": [*summary["diffusion"], {"run_name": "md-T450-seed2", "production_ps": 150, "analysed_ps": 149.9}]}
    assert report_values.tables(two)["events"].splitlines()[2:] == [
        "| 400–450 | 2 runs | — | — | — | 0 | 99.9–149.9 |", "| 900 | 1 | 33.68 (S–S) | — | 1 | 50 | left out |"]
    # a quiet run the convergence rule left out of the fit keeps its own row, with the ps analysed and why
    cold = {**events[1], "run_name": "md-T300-seed1", "temperature_K": 300, "seed": 1}
    three = {**two, "committee": {"production_events": [*events, quiet, cold]},
             "diffusion_left_out": {"per_run": [{"run_name": "md-T300-seed1", "production_ps": 160.0,
                                                 "analysed_ps": 159.9}]}}
    assert report_values.tables(three)["events"].splitlines()[2:4] == [
        "| 400–450 | 2 runs | — | — | — | 0 | 99.9–149.9 |", "| 300 | 1 | — | — | — | 0 | 159.9, not converged |"]
    # a run still being made in pieces (pending) keeps its own row too, at the length of its last finished piece
    running = {**two, "committee": {"production_events": [*events, quiet, cold]},
               "diffusion_pending": {"per_run": [{"run_name": "md-T300-seed1", "temperature_K": 300.0, "supercell": 1,
                                                  "production_ps": 160.0, "converged": False,
                                                  "still_running": True}]}}
    assert report_values.tables(running)["events"].splitlines()[2:4] == [
        "| 400–450 | 2 runs | — | — | — | 0 | 99.9–149.9 |", "| 300 | 1 | — | — | — | 0 | 160 so far, running |"]
    # one that is done without entering the fit (at its cap, not converged; a finished supercell run) is not "running"
    for converged, cell in ((False, "1000, not converged"), (True, "1000, not in the fit")):
        running["diffusion_pending"]["per_run"][0].update(production_ps=1000.0, converged=converged, still_running=False)
        assert report_values.tables(running)["events"].splitlines()[3].endswith(f"| {cell} |")
    # a supercell run names its cell, running or done: otherwise its row reads as one more 83-atom seed
    running["diffusion_pending"]["per_run"][0].update(supercell=2, production_ps=40.0, still_running=True)
    assert report_values.tables(running)["events"].splitlines()[3].endswith("| 40 (2×2×2 cell) so far, running |")
    running["diffusion_pending"]["per_run"][0].update(production_ps=100.0, converged=True, still_running=False)
    assert report_values.tables(running)["events"].splitlines()[3].endswith("| 100 (2×2×2 cell), not in the fit |")
    # a stopped run is not checked along its length: the table says what its last 2 ps showed, not "never"
    stopped = [{**e, "committee_checked": e["run_name"] != "md-T900-seed1"} for e in events]
    for sigma, cell in ((0.3, "in last 2 ps"), (0.1, "— (last 2 ps)")):
        summary["committee"] = {"production_events": stopped, "limit_eV_A": 0.2,
                                "before_failure": [{"run_name": "md-T900-seed1", "sigma_last_2ps_max_eV_A": sigma}]}
        assert report_values.tables(summary)["events"].splitlines()[-1].split(" | ")[3] == cell
    assert report_values._pair("temperature 1600 K > 2.5 x 600 K") == "temperature 1600 K > 2.5 x 600 K"
    v = report_values._committee_values({"per_run": [{"left_trained_region": False, "sigma_max_eV_A": 0.1,
                                                       "fraction_frames_P_S_broken": 0.0}],
                                         "members": ["x/train-c32-L0-r5-n160-seed1-ep40/m.model"],
                                         "test_sigma_eV_A": {"p95": 0.05}, "limit_eV_A": 0.2, "limit_factor": 4,
                                         "production_events": events, "production_event_table": per_T(events)})
    assert (v["events_runs"], v["events_stopped"], v["events_clean"]) == ("2", "1", "1")
    # a longer run at 400 K tests the run length: its D against its first 100 ps
    long = [{"run_name": "md-T400-seed3", "temperature_K": 400, "production_ps": 200.0, "D_cm2_s": 2e-6,
             "D_first_cm2_s": 2.5e-6, "D_first_err_cm2_s": 5e-7, "first_window_ps": 100.0, "D_first_change": 0.25}]
    v = report_values._long_run_values(long)
    assert (v["md_long_T"], v["md_long_ps"], v["md_long_first_ps"]) == ("400", "200", "100")
    assert (v["md_long_change"], v["md_long_err"]) == ("+25", "20")


def test_seed_sentence_reads_the_roles_the_plan_recorded_with_each_run():
    """The report's seeds come from the plan's sets recorded in diffusion.json, not from guessing why a run exists."""
    sets = [{"set": "series", "role": "fit", "rule": "r"}, {"set": "probes", "role": "probe", "rule": "r"},
            {"set": "replacement seeds", "role": "fit", "rule": "r"}, {"set": "long runs", "role": "fit", "rule": "r"}]
    run = lambda T, s, set_, role="fit": {"run_name": f"md-T{T}-seed{s}", "temperature_K": T, "set": set_, "role": role}  # noqa: E731
    used = [run(400, 1, "series"), run(400, 2, "series"), run(600, 1, "series"), run(600, 4, "replacement seeds"),
            run(400, 3, "long runs")]
    excluded = [run(600, 2, "series"), run(600, 3, "replacement seeds"), run(900, 1, "probes", "probe")]
    summary = {"diffusion": used, "diffusion_excluded": excluded, "diffusion_plan_sets": sets}
    v = report_values._seed_values(summary)
    assert v["md_seeds_base"] == "2"
    assert v["md_sets_added"] == "replacement seeds (600 K) and long runs (400 K)"
    # a set named by its temperature is not followed by it again
    direct = [{"set": "300 K direct", "role": "fit", "rule": "r"}]
    v300 = report_values._seed_values({**summary, "diffusion_plan_sets": sets + direct,
                                       "diffusion": used + [run(300, 1, "300 K direct")]})
    assert v300["md_sets_added"] == "replacement seeds (600 K), long runs (400 K) and 300 K direct"
    assert (v["md_outside"], v["md_outside_sentence"]) == ("none", "")
    # 600 K: 2 of 4 fit runs kept; the probe at 900 K does not count
    assert (v["md_selected_T"], v["md_selected_kept"], v["md_selected_runs"]) == ("600", "2", "4")
    # a run the convergence rule left out stayed usable: it does not make a temperature one of these
    not_converged = {**run(400, 4, "long runs"), "reason": plan.NOT_CONVERGED + "MSD 9.0 Å² < 20 Å²"}
    v = report_values._seed_values({**summary, "diffusion_excluded": excluded + [not_converged] * 3})
    assert (v["md_selected_T"], v["md_selected_runs"]) == ("600", "4")
    # a run made with make md, outside the plan: named, and never fitted
    summary["diffusion_excluded"] = excluded + [run(650, 1, None, plan.OUTSIDE)]
    v = report_values._seed_values(summary)
    assert v["md_outside"] == "md-T650-seed1" and "never fitted: md-T650-seed1." in v["md_outside_sentence"]
    assert report_values._seed_values({"diffusion": used})["md_seeds_base"] == "n/a"  # results from before the plan


def test_room_temperature_values_compare_the_direct_d_with_the_fit_without_it():
    from analysis import arrhenius

    T = [300.0, 400.0, 500.0, 600.0]
    D = [1e-3 * math.exp(-0.2 / (arrhenius.KB_EV_PER_K * t)) for t in T]
    D[0] *= 2.0  # the measured 300 K value twice what the hotter temperatures predict
    summary = {"diffusion_per_temperature": [{"temperature_K": t, "D_cm2_s": d, "D_err_cm2_s": 0.1 * d}
                                             for t, d in zip(T, D)],
               "arrhenius": {"Ea_leave_one_out": arrhenius.leave_one_out(T, D, [0.1 * d for d in D])}}
    v = report_values._room_temperature_values(summary)
    assert v["D300_direct"] == report_values.sci(D[0]) and v["D300_heldout"] == report_values.sci(D[0] / 2)
    assert v["Ea_heldout"] == "0.200" and v["heldout_T_min"] == "400"
    assert v["heldout_ratio"] == "1.0"  # 1/300 - 1/400 = 1/400 - 1/600
    held = summary["arrhenius"]["Ea_leave_one_out"][0]
    assert v["heldout_pull"] == report_values.fixed(held["pull"], 1) and held["pull"] > 2  # ln 2 over ~0.25
    assert v["heldout_reading"].startswith("beyond 2σ") and v["D300_direct_in_fit"] == "yes"
    assert v["heldout_clause"] == (f"Fitted without 300 K, the hotter temperatures predict D(300 K) = "
                                   f"{report_values.sci(D[0] / 2)} cm²/s; the 300 K runs give")
    # the convergence rule left 300 K out of the fit: its runs are compared with the fit over the rest itself
    rest = arrhenius.fit(T[1:], D[1:], [0.1 * d for d in D[1:]])
    predicted, predicted_err = arrhenius.extrapolate(rest, 300.0)
    cold = {"temperature_K": 300.0, "D_cm2_s": predicted * 1.1, "D_err_cm2_s": 0.5 * predicted}
    left = {"diffusion_per_temperature": summary["diffusion_per_temperature"][1:], "diffusion_left_out":
            {"per_run": [], "per_temperature": [cold]},
            "arrhenius": {**rest, "T_range_K": [400.0, 600.0], "D300K_cm2_s": predicted,
                          "D300K_err_cm2_s": predicted_err,
                          "Ea_leave_one_out": arrhenius.leave_one_out(T[1:], D[1:], [0.1 * d for d in D[1:]])}}
    v = report_values._room_temperature_values(left)
    assert (v["D300_direct"], v["D300_heldout"]) == (report_values.sci(cold["D_cm2_s"]), report_values.sci(predicted))
    assert v["D300_direct_in_fit"] == "no" and v["heldout_T_min"] == "400" and v["Ea_heldout"] == "0.200"
    assert v["heldout_clause"] == "The 300 K runs, left out, give"  # compared with the fit itself, quoted before
    assert v["heldout_reading"] == "consistent, though from few hops" and 0 < float(v["heldout_pull"]) < 1
    # and the diffusion table shows it among the fitted temperatures, marked
    row = {"n_runs": 2, "chi2_red": 0.5, "msd_exponent_min": 0.7, "rms_displacement_min_A": 3.0,
           "broken_PS4_fraction_max": 0.0}
    left["diffusion_per_temperature"] = [{**r, **row, "n_converged": 2} for r in left["diffusion_per_temperature"]]
    left["diffusion_left_out"]["per_temperature"] = [{**cold, **row, "n_converged": 0}]
    table = report_values.tables({k: x for k, x in left.items() if k != "arrhenius"})["diffusion"].splitlines()[2:]
    assert [line.split("|")[1].strip() for line in table] == ["300", "400", "500", "600"]
    assert table[0].endswith("| 0/2, left out |") and table[1].endswith("| 2/2 |")
    # its runs still being made in pieces (pending, never fitted): compared with the fit in the same way, with the
    # lengths made so far, and shown in the table, marked
    running = {**{k: x for k, x in left.items() if k != "diffusion_left_out"}, "diffusion_pending": {
        "per_temperature": [{**cold, **row, "n_converged": 0}, {**cold, **row, "temperature_K": 500.0}],
        "per_run": [{"run_name": f"md-T300-seed{i}-pt", "temperature_K": 300.0, "supercell": 1, "production_ps": ps,
                     "converged": False, "still_running": i == 2} for i, ps in ((1, 320.0), (2, 160.0))]
        + [{"run_name": "md-T300-seed1-pt-sc2", "temperature_K": 300.0, "supercell": 2, "production_ps": 20.0}]}}
    v = report_values._room_temperature_values(running)
    assert v["heldout_clause"] == "The 300 K runs, still running (160–320 ps so far), give"
    check = report_values.extrapolation_check(running)  # the numbers behind the words (notebook 6 quotes them too)
    assert (check["where"], check["made_ps"], check["T_from_K"]) == ("pending", [160.0, 320.0], 400.0)
    assert check["pull"] == pytest.approx(arrhenius.log_pull(cold["D_cm2_s"], cold["D_err_cm2_s"], predicted, predicted_err))
    assert (v["D300_direct"], v["D300_heldout"], v["D300_direct_in_fit"]) == (
        report_values.sci(cold["D_cm2_s"]), report_values.sci(predicted), "no")
    table = report_values.tables({k: x for k, x in running.items() if k != "arrhenius"})["diffusion"].splitlines()[2:]
    assert [line.split("|")[1].strip() for line in table] == ["300", "400", "500", "600"]  # 500 K: the fit's only
    assert table[0].endswith("| 0/2, running |")
    # once neither is being doubled any more (converged, or at the cap) they are pending but no longer "running"
    for r in running["diffusion_pending"]["per_run"]:
        r["still_running"] = False
    assert report_values._room_temperature_values(running)["heldout_clause"] == "The 300 K runs (160–320 ps), not in the fit, give"
    table = report_values.tables({k: x for k, x in running.items() if k != "arrhenius"})["diffusion"].splitlines()[2:]
    assert table[0].endswith("| 0/2, not in the fit |")
    # a series without the target temperature: nothing to compare
    del summary["diffusion_per_temperature"][0]
    summary["arrhenius"]["Ea_leave_one_out"] = arrhenius.leave_one_out(T[1:], D[1:], [0.1 * d for d in D[1:]])
    assert set(report_values._room_temperature_values(summary).values()) == {"n/a"}


def test_literature_table_has_every_published_value_and_a_dash_where_none_is_reported():
    a = {"Ea_eV": 0.2, "Ea_err_eV": 0.05, "D0_cm2_s": 1e-3, "D0_err_cm2_s": 5e-4, "D300K_cm2_s": 4e-7,
         "D300K_err_cm2_s": 2e-7, "sigma300K_S_cm": 0.03, "sigma300K_err_S_cm": 0.015}
    rows = report_values.tables({"arrhenius": a})["literature"].splitlines()[2:]
    assert rows[0].startswith("| This work | 0.200 ± 0.050 |") and len(rows) == 1 + len(report_values.LITERATURE)
    assert rows[1].endswith("| 0.18 | — | 17 |") and rows[2].endswith("[@lepley2012] | 0.15 | — | — |")


def test_printed_word_count_counts_citations_and_headings_as_printed(tmp_path):
    """"(Seino et al. 2014)" is four words to a reader and to wc -w; headings count; captions and tables do not."""
    (tmp_path / "references.bib").write_text((paths.REPORT_DIR / "references.bib").read_text())
    text = ("---\ntitle: T\n---\n\n# Introduction\n\nLi moves fast [@seino2014].\n\n"
            "![A long caption that is not counted.](f.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n: Table words.\n")
    printed = render.printed_text(text, tmp_path)
    assert "Seino" in printed and "2014" in printed and "caption" not in printed and "Table" not in printed
    assert render.printed_word_count(text, tmp_path) == 1 + 3 + 4  # heading, sentence, "(Seino et al. 2014)."
    assert render.word_count(text) == 4  # the old counter dropped the citation


def test_render_refuses_a_report_over_the_word_limit_and_writes_nothing(tmp_path, monkeypatch):
    if not (paths.ROOT / "data" / "derived" / "summary.json").exists():
        pytest.skip("no committed results")
    monkeypatch.setenv("LIPS_STUDY_DIR", str(paths.ROOT / "data"))  # the committed study, whatever other tests set
    monkeypatch.setattr(render, "WORD_LIMIT", 100)
    out = tmp_path / "_output"
    with pytest.raises(render.RenderError, match=r"report.qmd: \d+ words in the main text as printed .* > the limit of 100"):
        render.render(out)
    assert not (out / "report.pdf").exists() and not (out / "render.json").exists()


def test_haven_values_give_the_measured_range_and_how_many_lie_below_one():
    rows = [{"temperature_K": 300, "haven_ratio": 0.28, "haven_ratio_err": 0.16},
            {"temperature_K": 500, "haven_ratio": 0.64, "haven_ratio_err": 0.40},
            {"temperature_K": 600, "haven_ratio": float("nan"), "haven_ratio_err": float("nan")}]
    v = report_values.haven_values(rows)
    assert (v["haven_lo"], v["haven_hi"], v["haven_n"], v["haven_n_below"]) == ("0.28", "0.64", "2", "1")
    assert v["haven_rel_err"] == "60"  # median of 57 % and 62.5 %
    assert set(report_values.haven_values(None).values()) == {"n/a"}


def test_pretrained_learning_curve_values_compare_the_mean_force_error_at_the_ends():
    scratch = [{"n_train": n, "seed": s, "test_force_rmse_meV_per_A": f}
               for n, s, f in ((10, 1, 90.0), (10, 2, 86.0), (160, 1, 50.0), (160, 2, 54.0), (80, 1, 55.0))]
    pretrained = [{"n_train": n, "seed": s, "test_force_rmse_meV_per_A": f}
                  for n, s, f in ((10, 1, 66.0), (10, 2, 66.0), (160, 1, 42.0), (160, 2, 41.0))]
    v = report_values._pretrained_curve_values(scratch, pretrained)
    assert v == {"lc_pt_n_seeds": "2", "lc_pt_change_first": "−25", "lc_pt_change_last": "−20",
                 "lc_pt_n_first": "10", "lc_pt_n_last": "160"}  # 66/88 - 1, 41.5/52 - 1
    assert set(report_values._pretrained_curve_values(scratch, []).values()) == {"n/a"}


def test_previous_series_values_compare_its_fit_with_the_present_one():
    assert report_values.previous_values({"Ea_eV": 0.2}, None)["previous_sentence"] == ""
    before = {"Ea_eV": 0.158, "Ea_err_eV": 0.018, "D300K_cm2_s": 6.0e-7, "T_range_K": [300, 600]}
    now = {"Ea_eV": 0.208, "Ea_err_eV": 0.024, "D300K_cm2_s": 1.5e-7, "T_range_K": [350, 600]}
    previous = {"sets": ["series", "added seeds", "long runs"], "n_runs": 17, "arrhenius": before}
    v = report_values.previous_values(now, previous)
    assert (v["prev_Ea"], v["prev_Ea_change_meV"], v["prev_Ea_pull"], v["prev_D300_ratio"]) == ("0.158", "50", "1.7", "0.25")
    assert v["prev_sets"] == "series, added seeds and long runs"
    assert v["previous_sentence"].startswith(" The series this fit replaced (17 runs at 300–600 K, not held to the "
                                             "convergence rule) gave Ea = 0.158 ± 0.018 eV")
    # why it changed: the model it was made with; a change below 0.05 σ reads 0.0, not −0.0
    w = report_values.previous_values({**now, "Ea_eV": 0.1579}, previous, "the from-scratch model")
    assert "(17 runs at 300–600 K with the from-scratch model, not held to the convergence rule)" in w["previous_sentence"]
    assert w["prev_Ea_pull"] == "0.0" and "(0.0 σ combined)" in w["previous_sentence"]


def test_run_lengths_are_given_as_a_span_when_runs_were_extended():
    assert report_values._span([100.0, 100.0]) == "100"
    assert report_values._span([40.0, 640.0, 160.0]) == "40–640"
    assert report_values._span([0.5, 0.54], 1) == "0.5"  # values that round alike


def test_the_production_model_is_named_for_how_it_was_trained():
    h = {"num_channels": 32, "max_L": 1, "r_max_A": 5.0, "max_epochs": 120, "stage_two_start_epoch": 90,
         "energy_weight": 1.0, "stage_two_energy_weight": 1000.0}
    row = lambda hyper: next(line for line in report_values.labels_table(  # noqa: E731
        {"model": {"hyperparameters": hyper, "n_train": 160}}).splitlines() if line.startswith("| production model"))
    assert "c32-L1-r5 trained on all 160 training configurations for 120 epochs" in row({**h, "foundation_model": None})
    fine_tuned = row({**h, "foundation_model": "data/runs/pretrain-c32-L1-r5-n1200-seed1-ep8/mace_stagetwo.model"})
    assert "pre-trained on the teacher's labels, then fine-tuned on all 160 training configurations" in fine_tuned


def test_what_the_report_says_of_broken_ps4_units_follows_the_runs():
    v = report_values._broken_sentences("500", "600", "1", "4", n_broken=2, n_hot=7)
    # the synthetic pre-training set holds broken units (the teacher's labels), so the abstract names the DFT data
    assert v["broken_abstract_sentence"] == " From 500 K on, the model breaks thiophosphate units, which the DFT data never show."
    assert v["broken_runs_sentence"] == (" From 500 K on, runs break PS~4~ units (2 of 7 runs); at 600 K only 1 of 4 "
                                         "runs stayed usable.")
    v = report_values._broken_sentences("n/a", "none", "n/a", "n/a")  # a model that broke none, no runs lost
    assert v == {"broken_abstract_sentence": " No run of the model broke a thiophosphate unit.",
                 "broken_runs_sentence": " No run broke a PS~4~ unit."}
    assert "n/a" not in "".join(report_values._broken_sentences("n/a", "350", "0", "3").values())


def test_the_stability_screens_are_quoted_for_the_model_they_tested():
    table = [{"candidate": "c32-L1-r5 (120 epochs)", "kind": "scratch", "run_name": "train-c32-L1-r5-n160-seed1-ep120"},
             {"candidate": "c32-L1-r5 (120 epochs)", "kind": "fine-tuned", "run_name": "train-c32-L1-r5-n160-seed1-ep120-pt"}]
    model = lambda run: {"model": {"source_run": run}, "pretraining": {"table": table}}  # noqa: E731
    assert report_values.screened_production_model(model("train-c32-L1-r5-n160-seed1-ep120")) == table[0]["run_name"]
    # the promoted fine-tuned model was screened as its from-scratch twin
    assert report_values.screened_production_model(model(table[1]["run_name"])) == table[0]["run_name"]
    assert report_values.screened_production_model({"model": {"source_run": "train-x"}}) == "train-x"


def test_the_previous_series_is_named_by_the_models_its_runs_were_made_with():
    table = [{"candidate": "c32-L1-r5 (120 epochs)", "kind": "scratch", "run_name": "train-c32-L1-r5-n160-seed1-ep120"},
             {"candidate": "c32-L1-r5 (120 epochs)", "kind": "fine-tuned", "run_name": "train-c32-L1-r5-n160-seed1-ep120-pt"}]
    summary = lambda run, models: {"model": {"source_run": run}, "pretraining": {"table": table},  # noqa: E731
                                   "diffusion_previous": {"models": models}}
    scratch, tuned = table[0]["run_name"], table[1]["run_name"]
    assert report_values.previous_made_with(summary(tuned, [scratch])) == "the from-scratch model"
    assert report_values.previous_made_with(summary(tuned, [tuned])) == ""  # the same model: nothing to say
    assert report_values.previous_made_with(summary(scratch, ["train-old"])) == "model train-old"
    assert report_values.previous_made_with(summary(tuned, [scratch, "train-old"])) == f"model {scratch} and model train-old"
    assert report_values.previous_made_with(summary(tuned, [None])) == ""  # None: the production model
    assert report_values.previous_made_with(summary(tuned, [None, "train-old"])) == (
        "the production model and model train-old")
    assert report_values.previous_made_with({"model": {"source_run": tuned}}) == ""  # no previous series


def test_how_far_the_ions_move_is_read_against_a_hop_and_the_convergence_rule():
    runs = lambda *rms: [{"rms_displacement_at_fit_end_A": r} for r in rms]  # noqa: E731
    v = report_values._how_far_values(runs(1.5, 4.0), [{"n_runs": 17, "n_converged": 4}], [])
    assert v["hop_reading"] == "less than one hop between sites (2.5–3 Å apart), so D there counts few events"
    assert v["conv_sentence"] == "only 4 of 17 runs pass the convergence rule"
    # the converged series: MSD 20 Å² at 4.5 Å RMS, (4.5 / 2.75)² = 2.7 hops per Li; the cold end left out
    left = [{"temperature_K": 300, "n_runs": 2, "n_converged": 0}, {"temperature_K": 350, "n_runs": 3, "n_converged": 0}]
    v = report_values._how_far_values(runs(4.5, 5.5), [{"n_runs": 12, "n_converged": 12}, {"n_runs": 3, "n_converged": 3}],
                                      left)
    assert v["hop_reading"] == "about 3 hops between sites 2.5–3 Å apart"
    assert v["conv_sentence"] == "all 15 fitted runs pass the convergence rule, none of the 5 at 300 and 350 K yet (left out)"
    assert report_values._how_far_values(runs(4.5), [{"n_runs": 10, "n_converged": 6}], [])["conv_sentence"] == \
        "6 of 10 runs pass the convergence rule"
    assert set(report_values._how_far_values([], [], []).values()) == {"n/a"}


def test_the_text_says_how_the_production_model_was_made_and_whether_the_md_uses_the_core_repulsion():
    table = [{"candidate": "c32-L1-r5 (120 epochs)", "kind": "scratch", "run_name": "train-s"},
             {"candidate": "c32-L1-r5 (120 epochs)", "kind": "fine-tuned", "run_name": "train-s-pt"}]
    core = {"Li-Li": 1.65, "S-S": 1.81}
    minima = {"Li-Li": 1.832, "S-S": 2.007}
    old_runs = [{"core_repulsion_onset_A": core, "core_active_fraction": 0.001, "core_max_eV": 0.02}] * 2
    new_runs = [{"core_repulsion_onset_A": {}, "core_active_fraction": 0.0, "core_max_eV": 0.0}] * 2

    def summary(production, runs, previous=None):
        return {"model": {"source_run": production}, "dataset": {"min_pair_distance_A": minima},
                "pretraining": {"table": table, "synthetic_set": {"n_configurations": 1200}}, "diffusion": runs,
                "diffusion_previous": {"per_run": previous} if previous else None}

    v = report_values._fine_tuned_values(summary("train-s", old_runs))
    assert v == {"pretrain_after": "", "pretrain_model_note": "", "stab_model_label": "production",
                 "core_md_sentence": " The MD below uses it."}
    flipped = summary("train-s-pt", new_runs, previous=old_runs)
    v = report_values._fine_tuned_values(flipped)
    assert v["pretrain_after"] == " after pre-training on 1200 synthetic ones" and v["stab_model_label"] == "from-scratch"
    assert v["core_md_sentence"] == " The fine-tuned model's MD below runs without it."
    # the repulsion the screens and the series before used is still described, from that series' runs
    w = report_values._stability_values(flipped)
    assert (w["core_fraction_percent"], w["core_onset_LiLi"]) == ("90", "1.65")
    assert w["core_strength_eV"] == report_values.fixed(report_values.STRENGTH_EV, 0) != "n/a"
    assert report_values._stability_values(summary("train-s", new_runs))["core_fraction_percent"] == "off"


def test_experiment_gap_reads_either_side_of_the_measured_barrier():
    """The barrier gap's wording and the σ factor it leaves follow the numbers (once a fixed "below ... most of").
    Experiment: 0.18 eV and 17 mS/cm (report_values.LITERATURE[0])."""
    kT_eV = 8.617333e-5 * 300
    low = report_values.experiment_gap_values({"Ea_eV": 0.175, "sigma300K_S_cm": 0.051})
    assert (low["Ea_gap_meV"], low["Ea_gap_side"], low["Ea_gap_comparative"]) == ("5", "below", "lower")
    assert low["Ea_gap_effect"] == f"{math.exp(0.005 / kT_eV):.1f} times larger" == "1.2 times larger"
    assert (low["sigma_ratio"], low["sigma_rest"], low["sigma_conducts"]) == ("3.0", "2.5", "better")
    assert (low["dft_gap_meV"], low["dft_gap_side"]) == ("25", "above")  # the DFT hop barrier: 0.15 eV
    high = report_values.experiment_gap_values({"Ea_eV": 0.20, "sigma300K_S_cm": 0.010})
    assert (high["Ea_gap_meV"], high["Ea_gap_side"], high["Ea_gap_comparative"]) == ("20", "above", "higher")
    assert high["Ea_gap_effect"] == "2.2 times smaller"  # exp(0.02 / kT) = 2.17
    assert (high["sigma_ratio"], high["sigma_rest"], high["sigma_conducts"]) == ("0.6", "1.3", "worse")
    assert report_values.experiment_gap_values({"Ea_eV": 0.12, "sigma300K_S_cm": 0.1})["dft_gap_side"] == "below"
    assert set(report_values.experiment_gap_values(None).values()) == {"n/a"}


def test_finite_size_sentence_follows_the_supercell_runs():
    """Limitations: no larger cell, one still running (a pending supercell set, no finished piece), or its D."""
    assert report_values.finite_size_sentence({}) == "no larger cell was run."
    sets = [{"set": "finite size", "role": "pending", "supercell": 2}]
    assert report_values.finite_size_sentence({"diffusion_plan_sets": sets}) == \
        "a 2×2×2 cell (664 atoms), the finite-size check, is still running."
    cell = {"temperature_K": 500, "D_cm2_s": 7.3e-6, "D_err_cm2_s": 8.1e-7}
    [row] = temperature_series.finite_size([{"temperature_K": 500, "D_cm2_s": 8.0e-6, "D_err_cm2_s": 1.0e-6,
                                             "n_runs": 2}], [cell], 2, 664)
    done = {"diffusion_plan_sets": sets, "diffusion_pending": {"finite_size": [row]}}
    assert report_values.finite_size_sentence(done) == (  # ratio error: 1.10 × hypot(1/8, 0.81/7.3) = 0.18
        "a 2×2×2 cell (664 atoms, 2 runs) at 500 K gives 1.10 ± 0.18 times the 83-atom D (0.5 σ: no size effect "
        "resolved).")
    [slower] = temperature_series.finite_size([{"temperature_K": 500, "D_cm2_s": 4.0e-6, "D_err_cm2_s": 1.0e-6,
                                                "n_runs": 2}], [cell], 2, 664)
    assert report_values.finite_size_sentence({"diffusion_pending": {"finite_size": [slower]}}).endswith(
        "gives 0.55 ± 0.15 times the 83-atom D (2.6 σ: a size effect).")
    [alone] = temperature_series.finite_size([{"temperature_K": 500, "D_cm2_s": 8.0e-6, "D_err_cm2_s": 1.0e-6,
                                               "n_runs": 1}], [], 2, 664)
    assert report_values.finite_size_sentence({"diffusion_pending": {"finite_size": [alone]}}).endswith(
        "1 run) at 500 K gives D = 8.0 × 10^−6^ ± 1.0 × 10^−6^ cm²/s (no 83-atom run at that temperature to compare).")


def test_the_report_date_is_that_of_its_results_not_of_the_day_it_is_rendered(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796599800")  # 2026-12-06 23:30 UTC
    assert render.report_date() == "2026-12-06"


def test_a_rare_event_in_a_table_is_not_rounded_to_none():
    assert report_values.percent(1 / 1600) == "0.06"  # one broken frame in 1600 is not "0"
    assert [report_values.percent(x) for x in (0.0, 0.004, 0.0123, 0.5)] == ["0", "0.4", "1", "50"]
    assert report_values.percent(None) == "n/a"


def test_the_ps4_dft_check_names_whose_runs_its_frames_come_from_and_the_production_models_error():
    def row(run, error):
        return {"run": run, "n_broken": 3, "n_intact": 3, "delta_dft_eV": 0.5, "delta_dft_err_eV": 0.5,
                "delta_model_eV": 0.5 + error, "delta_model_err_eV": 0.5, "delta_model_minus_dft_eV": error,
                "delta_model_minus_dft_err_eV": 0.05}
    ps4 = {"per_run": [row("md-T600-seed2", -0.3), row("md-T640-seed1", -0.2)]}
    v = report_values._ps4_dft_values(ps4, {"md-T600-seed1-pt"}, fine_tuned=True)
    assert v["ps4_source"] == "the from-scratch model's runs" and v["ps4_T"] == "600 and 640"
    assert v["ps4_model_error"] == "−0.25" and v["ps4_reading"].startswith("it makes breaking too cheap")
    # frames from the production model's own runs, or a from-scratch production model: just "runs"
    assert report_values._ps4_dft_values(ps4, {"md-T600-seed2"}, fine_tuned=True)["ps4_source"] == "runs"
    assert report_values._ps4_dft_values(ps4, set(), fine_tuned=False)["ps4_source"] == "runs"


def test_the_slowest_run_is_named_with_its_temperature():
    summary = {"diffusion": [{"temperature_K": T, "rms_displacement_at_fit_end_A": rms, "production_ps": 100.0,
                              "min_distance_A": 2.0, "fit_start_ps": 5.0, "fit_end_ps": 50.0, "msd_exponent": 0.9,
                              "timestep_fs": 2.0, "steps_per_s": 10.0}
                             for T, rms in ((350, 4.6), (500, 4.49), (600, 5.1))]}
    v = report_values.variables(summary)
    assert (v["md_rms_disp_min"], v["md_rms_disp_min_T"]) == ("4.5", "500")  # not the coldest temperature


def test_runs_too_short_for_an_msd_exponent_are_rendered_as_n_a_not_a_crash():
    """A 0.4-ps run has no MSD points beyond the fit start for a log-log slope: null in JSON, n/a in the report."""
    run = {"temperature_K": 600, "rms_displacement_at_fit_end_A": 1.0, "production_ps": 0.4, "min_distance_A": 2.0,
           "fit_start_ps": 0.05, "fit_end_ps": 0.2, "msd_exponent": None, "timestep_fs": 1.0, "steps_per_s": 10.0}
    v = report_values.variables({"diffusion": [run, {**run, "temperature_K": 800}]})
    assert (v["md_msd_exponent_min"], v["md_msd_exponent_max"]) == ("n/a", "n/a")
    v = report_values.variables({"diffusion": [run, {**run, "temperature_K": 800, "msd_exponent": 0.93}]})
    assert (v["md_msd_exponent_min"], v["md_msd_exponent_max"]) == ("0.93", "0.93")  # the one there is


def test_the_names_table_defines_the_fitted_series_by_its_plan_name_and_cap():
    h = {"num_channels": 32, "max_L": 1, "r_max_A": 5.0, "max_epochs": 120, "stage_two_start_epoch": 90,
         "energy_weight": 1.0, "stage_two_energy_weight": 1000.0}
    sets = [{"set": "series", "role": "previous"}, {"set": "converged series", "role": "fit", "cap_ps": 1000.0},
            {"set": "replacement seeds of the converged series", "role": "fit"}]
    table = report_values.labels_table({"model": {"hyperparameters": h, "n_train": 160}, "diffusion_plan_sets": sets})
    row = next(line for line in table.splitlines() if line.startswith("| converged series"))
    assert "until it passes the convergence rule or reaches 1000 ps" in row
    sets[1].pop("cap_ps")  # a series with no cap (the smoke plan's) is not said to be extended
    table = report_values.labels_table({"model": {"hyperparameters": h, "n_train": 160}, "diffusion_plan_sets": sets})
    assert "extended" not in next(line for line in table.splitlines() if line.startswith("| converged series"))
