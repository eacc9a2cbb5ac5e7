//! Test-side reading of a generated inbox and an independent check of the contract rules
//! that clean rows must satisfy (CONTRACT.md sections 1-3), written without the crate's
//! internals so that it checks them rather than repeats them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;
use retention_synth::{AgencySpec, GeneratedInbox, generate};

pub const SOURCES: [&str; 6] = [
    "offices",
    "job_history",
    "caseload_snapshots",
    "supervision_sessions",
    "survey_responses",
    "program_enrollments",
];

pub fn spec(workers: u32, years: u32, offices: u32, faults: f64) -> AgencySpec {
    AgencySpec {
        workers,
        years,
        offices,
        seed: 42,
        as_of: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
        faults,
    }
}

pub fn run(spec: &AgencySpec, dir: &Path) -> GeneratedInbox {
    let mut seen = Vec::new();
    let inbox = generate(spec, dir, &mut |m| seen.push(m.to_string())).expect("generate");
    for s in SOURCES {
        assert!(
            seen.iter().any(|m| m == s),
            "progress never reported {s}: {seen:?}"
        );
    }
    inbox
}

/// One data record: its line and trimmed, unquoted fields by header name.
pub struct Row {
    pub line: u64,
    pub fields: HashMap<String, String>,
}

impl Row {
    pub fn get(&self, column: &str) -> &str {
        self.fields
            .get(column)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no column {column}"))
    }
    pub fn opt(&self, column: &str) -> Option<&str> {
        let v = self.get(column);
        if v.is_empty() { None } else { Some(v) }
    }
}

/// Splits one physical line of the generator's CSV (no line breaks inside quotes).
pub fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            out.push(std::mem::take(&mut field));
            at_start = true;
        } else {
            field.push(c);
            at_start = false;
        }
    }
    out.push(field);
    out.into_iter().map(|f| f.trim().to_string()).collect()
}

/// Reads `source` from `dir`, skipping the lines in `skip`.
pub fn read_source(dir: &Path, source: &str, skip: &HashSet<u64>) -> Vec<Row> {
    let bytes = std::fs::read(dir.join(format!("{source}.csv"))).expect("read source");
    assert!(!bytes.contains(&b'\r'), "{source}: CR in output");
    let mut lines = bytes.split(|&b| b == b'\n');
    let header: Vec<String> = split_csv(std::str::from_utf8(lines.next().unwrap()).unwrap());
    let mut rows = Vec::new();
    for (i, raw) in lines.enumerate() {
        let line = i as u64 + 2;
        if raw.is_empty() || skip.contains(&line) {
            continue;
        }
        let text = std::str::from_utf8(raw)
            .unwrap_or_else(|_| panic!("{source}:{line}: invalid UTF-8 in a clean row"));
        let values = split_csv(text);
        assert_eq!(
            values.len(),
            header.len(),
            "{source}:{line}: field count in {text:?}"
        );
        rows.push(Row {
            line,
            fields: header.iter().cloned().zip(values).collect(),
        });
    }
    rows
}

/// expected_quarantine.csv as (source, line, reason).
pub fn read_expected(dir: &Path) -> Vec<(String, u64, String)> {
    let text = std::fs::read_to_string(dir.join("expected_quarantine.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("source,line,reason"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].parse().unwrap(), f[2].to_string())
        })
        .collect()
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    if let Some((y, rest)) = s.split_once('-') {
        let (m, d) = rest.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        return NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    }
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() != 3
        || parts[2].len() != 4
        || parts[0].is_empty()
        || parts[0].len() > 2
        || parts[1].len() > 2
    {
        return None;
    }
    NaiveDate::from_ymd_opt(
        parts[2].parse().ok()?,
        parts[0].parse().ok()?,
        parts[1].parse().ok()?,
    )
}

fn id_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
        && !s.eq_ignore_ascii_case("all")
}

fn int_in(s: &str, lo: i64, hi: i64) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
        && !s.is_empty()
        && s.parse::<i64>().is_ok_and(|n| (lo..=hi).contains(&n))
}

fn code_in(s: &str, allowed: &[&str]) -> bool {
    allowed.iter().any(|a| a.eq_ignore_ascii_case(s))
}

/// Employment spells per worker, from accepted job history.
pub type Spells = BTreeMap<String, Vec<(NaiveDate, Option<NaiveDate>)>>;

fn employed(spells: &Spells, worker: &str, d: NaiveDate) -> bool {
    spells
        .get(worker)
        .is_some_and(|s| s.iter().any(|&(a, b)| a <= d && b.is_none_or(|b| d <= b)))
}

/// Checks every clean-row rule; returns the problems found (empty when clean) and the spells.
pub fn check_clean(
    dir: &Path,
    as_of: NaiveDate,
    skip: &HashMap<String, HashSet<u64>>,
) -> (Vec<String>, Spells) {
    let none = HashSet::new();
    let skip_of = |s: &str| skip.get(s).unwrap_or(&none);
    let mut problems = Vec::new();
    let floor = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap();
    let date =
        |source: &str, row: &Row, col: &str, problems: &mut Vec<String>| -> Option<NaiveDate> {
            let d = parse_date(row.get(col));
            match d {
                Some(d) if d >= floor && d <= as_of => Some(d),
                _ => {
                    problems.push(format!(
                        "{source}:{} bad {col} {:?}",
                        row.line,
                        row.get(col)
                    ));
                    None
                }
            }
        };
    let ids = |source: &str, row: &Row, cols: &[&str], problems: &mut Vec<String>| {
        for c in cols {
            if let Some(v) = row.opt(c)
                && !id_ok(v)
            {
                problems.push(format!("{source}:{} bad id {c} {v:?}", row.line));
            }
        }
    };

    // offices
    let mut offices = HashSet::new();
    for r in read_source(dir, "offices", skip_of("offices")) {
        ids("offices", &r, &["office_id"], &mut problems);
        if !offices.insert(r.get("office_id").to_string()) || r.opt("office_name").is_none() {
            problems.push(format!("offices:{} duplicate or unnamed", r.line));
        }
        if !int_in(r.get("caseload_standard"), 1, 100) {
            problems.push(format!("offices:{} standard", r.line));
        }
    }

    // job_history: keys, fields, replay
    let mut jobs: BTreeMap<String, Vec<(NaiveDate, u64, String)>> = BTreeMap::new();
    let mut keys = HashSet::new();
    for r in read_source(dir, "job_history", skip_of("job_history")) {
        ids(
            "job_history",
            &r,
            &["worker_id", "supervisor_id"],
            &mut problems,
        );
        let Some(d) = date("job_history", &r, "effective_date", &mut problems) else {
            continue;
        };
        let action = r.get("action").to_ascii_uppercase();
        let w = r.get("worker_id").to_string();
        if !keys.insert((w.clone(), d)) {
            problems.push(format!("job_history:{} duplicate key", r.line));
        }
        match action.as_str() {
            "HIRE" | "REHIRE" | "TRANSFER" => {
                if !r.opt("office_id").is_some_and(|o| offices.contains(o)) {
                    problems.push(format!("job_history:{} office", r.line));
                }
                if action != "TRANSFER" && r.opt("role").is_none() {
                    problems.push(format!("job_history:{} role missing", r.line));
                }
                if let Some(role) = r.opt("role")
                    && !code_in(role, &["CASEWORKER", "INVESTIGATOR", "SUPERVISOR", "OTHER"])
                {
                    problems.push(format!("job_history:{} role", r.line));
                }
            }
            "TERMINATION" => {
                if !r.opt("reason").is_some_and(|x| {
                    code_in(x, &["VOLUNTARY", "INVOLUNTARY", "RETIREMENT", "OTHER"])
                }) {
                    problems.push(format!("job_history:{} reason", r.line));
                }
            }
            _ => problems.push(format!("job_history:{} action {action}", r.line)),
        }
        if let Some(fte) = r.opt("fte")
            && !fte.parse::<f64>().is_ok_and(|x| x > 0.0 && x <= 1.0)
        {
            problems.push(format!("job_history:{} fte {fte}", r.line));
        }
        jobs.entry(w).or_default().push((d, r.line, action));
    }
    let mut spells: Spells = BTreeMap::new();
    for (w, mut rows) in jobs {
        rows.sort();
        let mut open: Option<NaiveDate> = None;
        let list = spells.entry(w.clone()).or_default();
        for (d, line, action) in rows {
            match (action.as_str(), open) {
                ("HIRE" | "REHIRE", None) => open = Some(d),
                ("TRANSFER", Some(_)) => {}
                ("TERMINATION", Some(s)) => {
                    list.push((s, Some(d)));
                    open = None;
                }
                _ => problems.push(format!(
                    "job_history:{line} invalid transition {action} for {w}"
                )),
            }
        }
        if let Some(s) = open {
            list.push((s, None));
        }
    }

    // caseload_snapshots
    let mut keys = HashSet::new();
    for r in read_source(dir, "caseload_snapshots", skip_of("caseload_snapshots")) {
        ids("caseload_snapshots", &r, &["worker_id"], &mut problems);
        let Some(d) = date("caseload_snapshots", &r, "snapshot_date", &mut problems) else {
            continue;
        };
        let w = r.get("worker_id");
        if !keys.insert((w.to_string(), d)) {
            problems.push(format!("caseload_snapshots:{} duplicate key", r.line));
        }
        if !employed(&spells, w, d) {
            problems.push(format!("caseload_snapshots:{} not employed", r.line));
        }
        let ok = int_in(r.get("active_cases"), 0, 1000)
            && r.opt("new_assignments").is_none_or(|v| int_in(v, 0, 1000))
            && r.opt("removals").is_none_or(|v| int_in(v, 0, 100));
        if !ok {
            problems.push(format!("caseload_snapshots:{} numbers", r.line));
        }
    }

    // supervision_sessions
    let mut keys = HashSet::new();
    for r in read_source(dir, "supervision_sessions", skip_of("supervision_sessions")) {
        ids(
            "supervision_sessions",
            &r,
            &["session_id", "worker_id", "supervisor_id"],
            &mut problems,
        );
        let Some(d) = date("supervision_sessions", &r, "session_date", &mut problems) else {
            continue;
        };
        let w = r.get("worker_id");
        if !keys.insert((r.get("session_id").to_string(), w.to_string())) {
            problems.push(format!("supervision_sessions:{} duplicate key", r.line));
        }
        if !employed(&spells, w, d) {
            problems.push(format!("supervision_sessions:{} not employed", r.line));
        }
        if !int_in(r.get("minutes"), 1, 600)
            || !code_in(r.get("format"), &["INDIVIDUAL", "GROUP"])
            || r.opt("focus")
                .is_some_and(|f| !code_in(f, &["CASE", "RETENTION", "PEER_SUPPORT", "OTHER"]))
        {
            problems.push(format!("supervision_sessions:{} values", r.line));
        }
    }

    // survey_responses
    let mut keys = HashSet::new();
    let mut first: HashMap<String, (String, NaiveDate, String)> = HashMap::new();
    for r in read_source(dir, "survey_responses", skip_of("survey_responses")) {
        ids(
            "survey_responses",
            &r,
            &["response_id", "worker_id"],
            &mut problems,
        );
        let Some(d) = date("survey_responses", &r, "administered_on", &mut problems) else {
            continue;
        };
        let rid = r.get("response_id").to_string();
        let w = r.get("worker_id").to_string();
        let instrument = r.get("instrument").to_ascii_uppercase();
        let items = match instrument.as_str() {
            "STSS" => 17,
            "PROQOL5" => 30,
            "BRS" => 6,
            _ => 0,
        };
        if !int_in(r.get("item"), 1, items) || !int_in(r.get("value"), 1, 5) {
            problems.push(format!("survey_responses:{} item/value", r.line));
        }
        let item: i64 = r.get("item").parse().unwrap_or(-1);
        if !keys.insert((rid.clone(), item)) {
            problems.push(format!("survey_responses:{} duplicate key", r.line));
        }
        let this = (w.clone(), d, instrument);
        if *first.entry(rid).or_insert_with(|| this.clone()) != this {
            problems.push(format!("survey_responses:{} inconsistent", r.line));
        }
        if !employed(&spells, &w, d) {
            problems.push(format!("survey_responses:{} not employed", r.line));
        }
    }

    // program_enrollments
    let mut keys = HashSet::new();
    for r in read_source(dir, "program_enrollments", skip_of("program_enrollments")) {
        ids(
            "program_enrollments",
            &r,
            &["worker_id", "cohort_id"],
            &mut problems,
        );
        let Some(d) = date("program_enrollments", &r, "start_date", &mut problems) else {
            continue;
        };
        let w = r.get("worker_id");
        let program = r.get("program").to_ascii_uppercase();
        if !code_in(
            &program,
            &[
                "RESILIENCE_ALLIANCE",
                "SUPPORT_GROUP",
                "RETENTION_SUPERVISION",
                "OTHER",
            ],
        ) {
            problems.push(format!("program_enrollments:{} program", r.line));
        }
        if !keys.insert((w.to_string(), program, r.get("cohort_id").to_string())) {
            problems.push(format!("program_enrollments:{} duplicate key", r.line));
        }
        if !employed(&spells, w, d) {
            problems.push(format!("program_enrollments:{} not employed", r.line));
        }
        if let Some(end) = r.opt("end_date")
            && parse_date(end).is_none_or(|e| e < d)
        {
            problems.push(format!("program_enrollments:{} end_date", r.line));
        }
        let offered = r
            .opt("sessions_offered")
            .map(|v| v.parse::<i64>().unwrap_or(-1));
        let attended = r
            .opt("sessions_attended")
            .map(|v| v.parse::<i64>().unwrap_or(-1));
        if offered.is_some_and(|o| !(0..=1000).contains(&o))
            || attended.is_some_and(|a| a < 0 || a > offered.unwrap_or(1000))
        {
            problems.push(format!("program_enrollments:{} sessions", r.line));
        }
    }
    (problems, spells)
}
