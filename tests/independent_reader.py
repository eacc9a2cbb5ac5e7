"""Reads the published Parquet with an independent reader (pyarrow) and checks it
against the inbox with logic written separately from the Rust code.

Run by `make test` as: python tests/independent_reader.py target/debug/retention

It generates a small agency with faults, runs the pipeline, then checks:
- every table reads with pyarrow and has the contract's columns;
- source_counts balances and matches what the generator wrote;
- the quarantine is exactly the generator's expected bad rows;
- survey_scores equals an independent re-scoring of the accepted item rows
  (CONTRACT.md section 3: reversed items, proration, the 80% rule, bands);
- worker_months' days per worker equal the days of worker_spells inside the window;
- program_outcomes.attendance_rate equals one recomputed from the accepted enrollment lines;
- no published table except quarantine holds a raw worker_id;
- every file carries its provenance (run id, as-of, table, versions) and a description
  of every column, equal to the `columns` table's, and current.json names the run.
"""

import csv
import datetime as dt
import glob
import math
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

import pyarrow.parquet as pq

AS_OF = dt.date(2025, 6, 30)
HISTORY_MONTHS = 120
failures = []
checks = [0]


def check(condition, message):
    checks[0] += 1
    if not condition:
        failures.append(message)


def table(wh, name):
    files = sorted(glob.glob(os.path.join(wh, "current", name, "*.parquet")))
    assert files, f"no Parquet files for {name}"
    return pq.read_table(files).to_pylist()


SCALES = {
    "sts_total": ("STSS", list(range(1, 18)), [], False),
    "sts_intrusion": ("STSS", [2, 3, 6, 10, 13], [], False),
    "sts_avoidance": ("STSS", [1, 5, 7, 9, 12, 14, 17], [], False),
    "sts_arousal": ("STSS", [4, 8, 11, 15, 16], [], False),
    "proqol_cs": ("PROQOL5", [3, 6, 12, 16, 18, 20, 22, 24, 27, 30], [], False),
    "proqol_bo": ("PROQOL5", [1, 4, 8, 10, 15, 17, 19, 21, 26, 29], [1, 4, 15, 17, 29], False),
    "proqol_sts": ("PROQOL5", [2, 5, 7, 9, 11, 13, 14, 23, 25, 28], [], False),
    "brs_mean": ("BRS", [1, 2, 3, 4, 5, 6], [2, 4, 6], True),
}


def score(instrument, answers):
    out = {}
    for name, (inst, items, reversed_items, mean) in SCALES.items():
        if inst != instrument:
            out[name] = None
            continue
        values = [6 - answers[i] if i in reversed_items else answers[i] for i in items if i in answers]
        if len(values) < math.ceil(0.8 * len(items) - 1e-9):
            out[name] = None
        elif mean:
            out[name] = sum(values) / len(values)
        else:
            out[name] = sum(values) / len(values) * len(items)
    return out


def sts_band(x):
    return None if x is None else "little_or_none" if x < 28 else "mild" if x < 38 else "moderate" if x < 44 else "high" if x < 49 else "severe"


def proqol_band(x):
    return None if x is None else "low" if x <= 22 else "moderate" if x < 42 else "high"


def brs_band(x):
    return None if x is None else "low" if x < 3.0 else "normal" if x <= 4.3 else "high"


def tier(p):
    return "low" if p < 0.15 else "elevated" if p < 0.30 else "high"


def close(a, b, tolerance=1e-9):
    return a is not None and b is not None and abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))


def check_risk(tables):
    """Sections 5, 8 and 9, recomputed from worker_risk, retention_curves and the tables' own columns."""
    risk = tables["worker_risk"]
    check(len(risk) > 0, "worker_risk has rows")
    sums = {}
    for w in risk:
        p = w["p_separation_12m"]
        check(0.0 <= p <= 1.0 and w["risk_tier"] == tier(p), f"worker_risk p {p} tier {w['risk_tier']}")
        for key in [(w["office_id"], w["tenure_band"]), (w["office_id"], "ALL"), ("ALL", w["tenure_band"]), ("ALL", "ALL")]:
            sums[key] = sums.get(key, 0.0) + p
    shown = {}
    state_turnover = None
    for row in tables["office_indicators"]:
        predicted = row["predicted_separations_12m"]
        if row["period_type"] != "trailing_12m":
            check(predicted is None and row["risk_tier"] is None, "predicted columns on a month row")
            continue
        if predicted is None:
            check(row["predicted_turnover_12m"] is None and row["risk_tier"] is None, "half-suppressed prediction")
            continue
        check(row["headcount_end"] >= 5, f"a prediction for {row['headcount_end']} people is shown")
        key = (row["office_id"], row["tenure_band"])
        check(close(predicted, sums.get(key, 0.0)), f"{key} predicted {predicted}, worker_risk sums {sums.get(key)}")
        turnover = predicted / row["headcount_end"]
        check(close(row["predicted_turnover_12m"], turnover) and row["risk_tier"] == tier(turnover),
              f"{key} predicted turnover {row['predicted_turnover_12m']} / tier {row['risk_tier']}")
        if row["tenure_band"] == "ALL":
            shown[row["office_id"]] = predicted
            if row["office_id"] == "ALL":
                state_turnover = turnover
    check("ALL" in shown, "the state's prediction is shown")

    drivers = tables["risk_drivers"]
    by_driver = {}
    for d in drivers:
        check(d["headcount"] == sum(1 for w in risk if d["office_id"] in ("ALL", w["office_id"])),
              f"risk_drivers headcount {d}")
        if d["office_id"] not in shown:
            check(d["predicted_separations_12m"] is None and d["avoidable_separations_12m"] is None,
                  f"risk_drivers undoes a suppression: {d}")
            continue
        check(close(d["predicted_separations_12m"], shown[d["office_id"]]), f"risk_drivers predicted {d}")
        check(close(d["avoidable_separations_12m"], d["predicted_separations_12m"] - d["scenario_separations_12m"]),
              f"risk_drivers avoidable {d}")
        by_driver.setdefault(d["driver"], []).append(d)
    check(sorted(by_driver) == ["caseload", "program", "supervision", "wellbeing"], f"drivers {sorted(by_driver)}")

    curves = {(c["group_type"], c["group_value"]): c for c in tables["retention_curves"] if c["t_days"] == 365}
    state_curve = curves.get(("state", "ALL"))
    for h in tables["hiring_plan"]:
        office = h["office_id"]
        check(close(h["required_fte"], h["active_cases"] / h["caseload_standard"]), f"required_fte {h}")
        check(close(h["fte_gap"], h["required_fte"] - h["fte"]), f"fte_gap {h}")
        expected = shown.get(office)
        check((expected is None and h["expected_separations_12m"] is None) or close(expected, h["expected_separations_12m"]),
              f"expected separations {h} vs office_indicators {expected}")
        curve = curves.get(("office", office))
        if curve is None or curve["at_risk"] < 20:
            curve = state_curve
        survival = None if curve is None else curve["survival"]
        attrition = None if survival is None else min(1.0 - survival, 0.9)
        check((attrition is None and h["new_hire_attrition_12m"] is None) or close(attrition, h["new_hire_attrition_12m"]),
              f"attrition {h} vs {attrition}")
        leaving = expected if expected is not None else (
            None if state_turnover is None else h["headcount"] * state_turnover)
        hires = None if attrition is None or leaving is None else math.ceil((max(h["fte_gap"], 0.0) + leaving) / (1.0 - attrition))
        check(hires == h["hires_needed_12m"], f"hires {h} vs {hires}")

    evaluation = tables["model_evaluation"]
    if evaluation:
        state = evaluation[0]
        check(state["scope"] == "state" and state["office_id"] == "ALL", f"model_evaluation first row {state}")
        check(sum(r["n"] for r in evaluation[1:]) == state["n"], "office rows add up to the state's n")
        for r in evaluation[1:]:
            check((r["n"] >= 5) or r["events"] is None, f"model_evaluation shows {r['n']} people")


def main(binary):
    work = tempfile.mkdtemp(prefix="retention-pyarrow-")
    inbox, wh = os.path.join(work, "inbox"), os.path.join(work, "wh")
    pipeline = os.path.join(work, "p.toml")
    with open(pipeline, "w") as f:
        f.write("[settings]\nmax_quarantine_share = 1.0\n")
    env = dict(os.environ, RETENTION_PSEUDONYM_KEY="pyarrow-check", RUST_LOG="warn")
    generated = subprocess.run(
        [binary, "generate", "--workers", "150", "--years", "3", "--offices", "4", "--seed", "9",
         "--faults", "0.005", "--as-of", AS_OF.isoformat(), "--out", inbox],
        check=True, capture_output=True, text=True, env=env).stdout
    subprocess.run([binary, "run", "--inbox", inbox, "--warehouse", wh, "--as-of", AS_OF.isoformat(),
                    "--pipeline", pipeline], check=True, capture_output=True, text=True, env=env)

    columns = {
        "quarantine": ["source", "line", "reason", "detail", "raw"],
        "source_counts": ["source", "rows_read", "rows_accepted", "rows_quarantined"],
        "offices": ["office_id", "office_name", "region", "caseload_standard"],
        "worker_spells": ["worker_key", "spell_no", "start_date", "end_date", "end_reason",
                          "start_office_id", "start_role", "duration_days", "censored"],
        "worker_months": ["worker_key", "month", "office_id", "role", "tenure_band", "fte", "days_employed",
                          "separated", "separation_reason", "caseload_mean", "supervision_minutes",
                          "individual_minutes", "sts_total", "proqol_bo", "brs_mean", "in_program"],
        "survey_scores": ["response_id", "worker_key", "administered_on", "instrument", "office_id", "tenure_band",
                          "items_answered"] + list(SCALES) +
                         ["sts_band", "proqol_cs_band", "proqol_bo_band", "proqol_sts_band", "brs_band"],
        "office_indicators": ["period_type", "period_start", "period_end", "office_id", "tenure_band", "days",
                              "exposure_days", "avg_headcount", "headcount_end", "separations",
                              "voluntary_separations", "transfers_out", "turnover_rate", "voluntary_turnover_rate",
                              "caseload_worker_months", "caseload_mean", "caseload_over_standard_share",
                              "supervision_eligible_months", "supervision_compliance", "supervision_hours_mean",
                              "retention_focus_share", "sts_respondents", "sts_mean", "sts_high_share", "burnout_respondents", "burnout_mean",
                              "burnout_high_share", "resilience_respondents", "resilience_mean",
                              "resilience_low_share", "predicted_separations_12m", "predicted_turnover_12m",
                              "risk_tier"],
        "retention_curves": ["group_type", "group_value", "t_days", "at_risk", "events", "survival", "ci_lower",
                             "ci_upper"],
        "program_outcomes": ["program", "cohort_id", "measure", "enrolled", "completed", "pairs", "pre_mean",
                             "post_mean", "mean_change", "sd_change", "t_stat", "p_value", "effect_size_dz",
                             "retained_12m", "comparison_retained_12m", "attendance_rate"],
        "worker_risk": ["worker_key", "office_id", "role", "tenure_band", "p_separation_12m", "risk_tier"],
        "model_evaluation": ["scope", "office_id", "train_end", "n", "events", "predicted_events", "auc", "brier",
                             "calibration_slope"],
        "risk_drivers": ["office_id", "driver", "headcount", "predicted_separations_12m",
                         "scenario_separations_12m", "avoidable_separations_12m"],
        "hiring_plan": ["office_id", "headcount", "fte", "active_cases", "caseload_standard", "required_fte",
                        "fte_gap", "expected_separations_12m", "new_hire_attrition_12m", "hires_needed_12m"],
    }
    tables = {}
    for name, cols in columns.items():
        files = sorted(glob.glob(os.path.join(wh, "current", name, "*.parquet")))
        schema_names = pq.read_schema(files[0]).names
        check(schema_names == cols, f"{name} columns {schema_names} != {cols}")
        tables[name] = table(wh, name)

    written = {}
    for line in generated.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "rows":
            written[parts[0]] = int(parts[1])
    for row in tables["source_counts"]:
        check(row["rows_read"] == row["rows_accepted"] + row["rows_quarantined"], f"unbalanced {row}")
        check(row["rows_read"] == written[row["source"]], f"{row['source']}: read {row['rows_read']}, written {written[row['source']]}")

    with open(os.path.join(inbox, "expected_quarantine.csv")) as f:
        expected = sorted((r["source"], int(r["line"]), r["reason"]) for r in csv.DictReader(f))
    got = sorted((r["source"], r["line"], r["reason"]) for r in tables["quarantine"])
    check(got == expected, f"quarantine differs from the injected faults: {len(got)} vs {len(expected)}")

    # Independent re-scoring of the accepted survey rows (physical line = record line:
    # the generator writes no multi-line records in survey_responses.csv).
    refused = {line for (source, line, _) in expected if source == "survey_responses"}
    responses = {}
    with open(os.path.join(inbox, "survey_responses.csv"), newline="", encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if number == 1 or number in refused or not line.strip():
                continue
            rid, _worker, _date, instrument, item, value = next(csv.reader([line]))
            r = responses.setdefault(rid.strip(), {"instrument": instrument.strip().upper(), "answers": {}})
            r["answers"][int(item)] = int(value)
    scores = {r["response_id"]: r for r in tables["survey_scores"]}
    check(set(scores) == set(responses), f"scored responses differ: {len(scores)} vs {len(responses)}")
    ids = sorted(scores)
    check([r["response_id"] for r in tables["survey_scores"]] == sorted(ids, key=lambda s: s.encode()),
          "survey_scores is sorted by response_id")
    for rid, r in responses.items():
        if rid not in scores:
            continue
        mine = score(r["instrument"], r["answers"])
        theirs = scores[rid]
        check(theirs["items_answered"] == len(r["answers"]), f"{rid} items_answered")
        for name, value in mine.items():
            other = theirs[name]
            same = (value is None and other is None) or (value is not None and other is not None and abs(value - other) < 1e-9)
            check(same, f"{rid} {name}: independent {value}, published {other}")
        check(theirs["sts_band"] == sts_band(mine["sts_total"]), f"{rid} sts_band")
        check(theirs["proqol_bo_band"] == proqol_band(mine["proqol_bo"]), f"{rid} proqol_bo_band")
        check(theirs["brs_band"] == brs_band(mine["brs_mean"]), f"{rid} brs_band")

    # Days in worker_months per worker = days of their spells inside the window.
    first = AS_OF.replace(day=1)
    for _ in range(HISTORY_MONTHS - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    spell_days = defaultdict(int)
    for s in tables["worker_spells"]:
        start, end = max(s["start_date"], first), min(s["end_date"] or AS_OF, AS_OF)
        if start <= end:
            spell_days[s["worker_key"]] += (end - start).days + 1
    month_days = defaultdict(int)
    for m in tables["worker_months"]:
        month_days[m["worker_key"]] += m["days_employed"]
        check(m["month"].day == 1, "month is the 1st")
    check(dict(spell_days) == dict(month_days), "worker_months days differ from worker_spells days")

    # The ALL x ALL cell of every period, recomputed from worker_spells alone (CONTRACT.md
    # section 5): exposure = spell days in the period, headcount_end = spells holding
    # period_end, separations = spells ending in the period, turnover = seps * 365.25 / exposure.
    for row in tables["office_indicators"]:
        if row["office_id"] != "ALL" or row["tenure_band"] != "ALL":
            continue
        start, end = row["period_start"], row["period_end"]
        exposure = headcount = separations = 0
        for s in tables["worker_spells"]:
            last = min(s["end_date"] or AS_OF, AS_OF)
            lo, hi = max(s["start_date"], start), min(last, end)
            if lo <= hi:
                exposure += (hi - lo).days + 1
            if s["start_date"] <= end <= last:
                headcount += 1
            if s["end_date"] is not None and start <= s["end_date"] <= end:
                separations += 1
        label = f"{row['period_type']} {start}"
        check(row["exposure_days"] == exposure, f"{label}: exposure {row['exposure_days']} != {exposure}")
        check(row["headcount_end"] == headcount, f"{label}: headcount_end {row['headcount_end']} != {headcount}")
        check(row["separations"] == separations, f"{label}: separations {row['separations']} != {separations}")
        check(abs(row["turnover_rate"] - separations * 365.25 / exposure) < 1e-9, f"{label}: turnover_rate")
        check(row["days"] == (end - start).days + 1, f"{label}: days")

    # attendance_rate recomputed from the accepted lines of program_enrollments.csv
    # (CONTRACT.md section 7): sessions attended / offered over enrollments with offered > 0
    # and attended present, null below min_group_size (5) of them.
    refused = {line for (source, line, _) in expected if source == "program_enrollments"}
    sessions = defaultdict(lambda: [0, 0, 0])
    with open(os.path.join(inbox, "program_enrollments.csv"), newline="", encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if number == 1 or number in refused or not line.strip():
                continue
            _worker, program, cohort, _start, _end, offered, attended = next(csv.reader([line]))
            counts = sessions[(program.strip().upper(), cohort.strip())]
            if offered.strip() and attended.strip() and int(offered) > 0:
                counts[0] += 1
                counts[1] += int(attended)
                counts[2] += int(offered)
    rates = {(r["program"], r["cohort_id"]): r["attendance_rate"] for r in tables["program_outcomes"]}
    check(set(rates) == set(sessions), f"program cohorts differ: {sorted(rates)} vs {sorted(sessions)}")
    for key, (n, attended, offered) in sessions.items():
        mine, theirs = (attended / offered if n >= 5 else None), rates.get(key)
        same = (mine is None and theirs is None) or (None not in (mine, theirs) and abs(mine - theirs) < 1e-12)
        check(same, f"{key} attendance_rate: independent {mine}, published {theirs}")
    check(any(v is not None for v in rates.values()), "some cohort has an attendance_rate")
    for row in tables["office_indicators"]:
        share = row["retention_focus_share"]
        check(share is None or 0.0 <= share <= 1.0, f"retention_focus_share {share} out of [0, 1]")

    check_risk(tables)

    # Provenance: every file of the run says which run, as-of and table it is, and
    # describes every column exactly as the published dictionary does.
    import json
    with open(os.path.join(wh, "current.json")) as f:
        pointer = json.load(f)
    run_id = os.path.basename(os.readlink(os.path.join(wh, "current")))
    check(pointer["run_id"] == run_id and pointer["path"] == f"runs/{run_id}", f"current.json {pointer}")
    check(pointer["as_of"] == AS_OF.isoformat(), f"current.json as_of {pointer['as_of']}")
    dictionary = {(r["table_name"], r["column_name"]): r for r in table(wh, "columns")}
    described = 0
    for name in sorted(os.listdir(os.path.join(wh, "current"))):
        files = sorted(glob.glob(os.path.join(wh, "current", name, "*.parquet")))
        if not files:
            continue
        check([os.path.basename(f) for f in files] == [f"part-0-{run_id}.parquet"], f"{name} files {files}")
        meta = pq.ParquetFile(files[0]).metadata
        check(meta.created_by.startswith("retention version "), f"{name} created_by {meta.created_by}")
        schema = pq.read_schema(files[0])
        kv = {k.decode(): v.decode() for k, v in (meta.metadata or {}).items()}
        check(kv.get("retention.run_id") == run_id, f"{name} run id {kv.get('retention.run_id')}")
        check(kv.get("retention.as_of") == AS_OF.isoformat(), f"{name} as_of")
        check(kv.get("retention.table") == name, f"{name} table {kv.get('retention.table')}")
        for position, field in enumerate(schema, start=1):
            text = (field.metadata or {}).get(b"description", b"").decode()
            entry = dictionary.get((name, field.name))
            check(entry is not None and text != "" and entry["description"] == text
                  and entry["position"] == position, f"{name}.{field.name}: description {text!r} vs {entry}")
            described += 1
    check(described == len(dictionary), f"{described} columns in the files, {len(dictionary)} in the dictionary")

    # No raw worker id outside the quarantine.
    with open(os.path.join(inbox, "job_history.csv"), newline="", encoding="utf-8", errors="replace") as f:
        raw_ids = {row[0].strip() for row in csv.reader(f) if row}
    for name, rows in tables.items():
        if name == "quarantine":
            continue
        for row in rows:
            for value in row.values():
                check(not (isinstance(value, str) and value in raw_ids), f"{name} holds a raw worker id {value!r}")

    print(f"independent reader (pyarrow): {len(tables)} tables, {len(responses)} responses re-scored, ALL cells of office_indicators and attendance of {len(sessions)} cohorts recomputed")
    for message in failures[:30]:
        print("FAIL:", message)
    print(f"{checks[0] - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main(sys.argv[1])
