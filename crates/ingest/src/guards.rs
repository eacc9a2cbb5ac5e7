//! What refuses a whole night's inbox (CONTRACT.md section 2): the quarantine share, and
//! the run guards that catch extracts which are plausibly broken rather than bad in a few
//! rows: *empty* (a required source with no accepted row), *drop* (far fewer rows than
//! the run in `current` read) and *stale* (as-of long after the latest activity date).
//!
//! Every rule is evaluated and every one that fires is returned, so that one refusal names
//! them all. The functions are pure over the counts; the pipeline supplies the counts of
//! the run in `current` and applies `--accept`.

use crate::inbox::{SourceCount, over_limit};
use crate::validate::QuarantineRow;
use retention_contract::{Day, Reason, Source};
use std::fmt;

/// A run guard that `--accept` can let through (the quarantine share cannot be).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Guard {
    /// A required source has no accepted row.
    Empty,
    /// A source read far fewer rows than in the run `current` holds.
    Drop,
    /// as-of is long after the latest activity date.
    Stale,
}

impl Guard {
    /// Every guard, in the order they are evaluated.
    pub const ALL: [Guard; 3] = [Guard::Empty, Guard::Drop, Guard::Stale];

    /// The guard's name, as `--accept` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Guard::Empty => "empty",
            Guard::Drop => "drop",
            Guard::Stale => "stale",
        }
    }

    /// The guard named `text` (case-insensitive).
    pub fn parse(text: &str) -> Option<Guard> {
        Guard::ALL
            .into_iter()
            .find(|g| g.name().eq_ignore_ascii_case(text.trim()))
    }
}

impl fmt::Display for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The settings the rules read (pipeline file, `[settings]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// `max_quarantine_share`.
    pub max_quarantine_share: f64,
    /// `min_rows_vs_last`, compared exactly as the decimal it is written as.
    pub min_rows_vs_last: f64,
    /// `max_staleness_days`.
    pub max_staleness_days: u32,
}

/// What the run in `current` read, for the *drop* guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastRun {
    /// Its run id.
    pub run_id: String,
    /// Rows read per source; None where the source was absent from that run.
    pub rows_read: Vec<(Source, Option<u64>)>,
}

impl LastRun {
    fn rows_read(&self, source: Source) -> Option<u64> {
        self.rows_read
            .iter()
            .find(|(s, _)| *s == source)
            .and_then(|(_, n)| *n)
    }
}

/// One reason a run is refused (exit 3).
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// A source of [`crate::inbox::SHARE_CHECKED_FROM`] rows or more has too large a quarantined share.
    QuarantineShare {
        /// The source.
        source: Source,
        /// Rows quarantined.
        quarantined: u64,
        /// Rows read.
        read: u64,
        /// `max_quarantine_share`.
        limit: f64,
    },
    /// Not a rule but the cause of quarantine-share refusals, said first: rows of other
    /// sources were refused because they name an office (or worker) whose own row in
    /// offices (or job_history) was refused, and without those rows their shares would
    /// be within the limit. See [`root_cause`].
    Cascade {
        /// offices or job_history.
        root: Source,
        /// Its file's name.
        file: String,
        /// Its quarantined rows that are not themselves part of a cascade.
        lost: u64,
        /// The first of them: line, reason, detail.
        first: (u64, Reason, String),
        /// The reasons the referring rows got: UNKNOWN_OFFICE, and UNKNOWN_WORKER for
        /// workers whose job_history rows were lost with the office.
        reasons: Vec<Reason>,
        /// Each refused source the cascade explains, with its rows quarantined for it.
        dependents: Vec<(Source, u64)>,
    },
    /// A required source has no accepted row.
    Empty {
        /// The source.
        source: Source,
        /// Rows read (all of them quarantined, or none).
        read: u64,
    },
    /// A source read fewer rows than `min_rows_vs_last` times the last run's.
    Drop {
        /// The source.
        source: Source,
        /// Rows read now.
        read: u64,
        /// Rows read by the run in `current`.
        last_read: u64,
        /// `min_rows_vs_last`.
        min_rows_vs_last: f64,
        /// The run in `current`.
        last_run: String,
    },
    /// as-of is more than `max_staleness_days` after the latest activity date.
    Stale {
        /// The run's as-of.
        as_of: Day,
        /// The latest activity date and the source it is in (None: no such row).
        latest: Option<(Day, Source)>,
        /// `max_staleness_days`.
        max_staleness_days: u32,
    },
}

impl Refusal {
    /// The guard this is, or None for the quarantine share (which `--accept` cannot pass).
    pub fn guard(&self) -> Option<Guard> {
        match self {
            Refusal::QuarantineShare { .. } | Refusal::Cascade { .. } => None,
            Refusal::Empty { .. } => Some(Guard::Empty),
            Refusal::Drop { .. } => Some(Guard::Drop),
            Refusal::Stale { .. } => Some(Guard::Stale),
        }
    }

    /// A short machine-readable name: `root_cause`, `quarantine_share`, `empty`, `drop`,
    /// `stale`.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::Cascade { .. } => "root_cause",
            _ => self.guard().map_or("quarantine_share", Guard::name),
        }
    }
}

/// The column a source's activity date is read from.
fn activity_column(source: Source) -> &'static str {
    match source {
        Source::JobHistory => "effective_date",
        Source::CaseloadSnapshots => "snapshot_date",
        Source::SupervisionSessions => "session_date",
        Source::SurveyResponses => "administered_on",
        Source::Offices | Source::ProgramEnrollments => "",
    }
}

impl Refusal {
    /// What was found, naming the source and the figures.
    pub fn fact(&self) -> String {
        match self {
            Refusal::QuarantineShare {
                source,
                quarantined,
                read,
                ..
            } => format!(
                "{source} has {quarantined} of {read} rows quarantined ({:.1}%)",
                100.0 * *quarantined as f64 / *read as f64
            ),
            Refusal::Cascade {
                root,
                file,
                lost,
                first: (line, reason, detail),
                reasons,
                dependents,
            } => {
                let more = match lost {
                    1 => String::new(),
                    n => format!(" and {} more of its rows", n - 1),
                };
                let what = if *root == Source::Offices {
                    "an office"
                } else {
                    "a worker"
                };
                let codes: Vec<&str> = reasons.iter().map(|r| r.code()).collect();
                let dependents: Vec<String> =
                    dependents.iter().map(|(s, n)| format!("{s} {n}")).collect();
                format!(
                    "the root cause is {file} line {line} ({} {detail}){more}: rows of other sources that name {what} refused there were quarantined as {} ({})",
                    reason.code(),
                    codes.join(" or "),
                    dependents.join(", ")
                )
            }
            Refusal::Empty { source, read } => {
                format!("{source} has no accepted row ({read} read, {read} quarantined)")
            }
            Refusal::Drop {
                source,
                read,
                last_read,
                min_rows_vs_last,
                last_run,
            } => format!(
                "{source} has {read} rows, fewer than min_rows_vs_last {min_rows_vs_last} x the {last_read} rows of the run in current ({last_run})"
            ),
            Refusal::Stale {
                as_of,
                latest: Some((day, source)),
                max_staleness_days,
            } => format!(
                "as-of {as_of} is {} days after the latest activity date in the extracts, {day} ({source} {}), more than max_staleness_days {max_staleness_days}",
                as_of.days_since_epoch() - day.days_since_epoch(),
                activity_column(*source)
            ),
            Refusal::Stale {
                as_of,
                latest: None,
                max_staleness_days,
            } => format!(
                "no accepted row of job_history, caseload_snapshots, supervision_sessions or survey_responses has a date on or before as-of {as_of}, so the extracts cannot be shown to be within max_staleness_days {max_staleness_days}"
            ),
        }
    }

    /// What to do, the same for every refusal of one kind (said once after their facts),
    /// with the separator that goes before it.
    fn advice(&self) -> (&'static str, String) {
        match self {
            Refusal::QuarantineShare { limit, .. } => (
                ", ",
                format!(
                    "over max_quarantine_share {:.1}%; fix the extracts (see the quarantine with `retention validate`) or raise the limit in the pipeline file",
                    100.0 * limit
                ),
            ),
            Refusal::Cascade { file, .. } => (
                "; ",
                format!("fix {file} first, and the shares below follow"),
            ),
            Refusal::Empty { .. } => (
                "; ",
                "every figure drawn from such a source would read as zero: check that night's export, mark the source optional in the pipeline file, or pass --accept empty to publish anyway".into(),
            ),
            Refusal::Drop { .. } => (
                "; ",
                "check that night's export is complete, or pass --accept drop to publish anyway"
                    .into(),
            ),
            Refusal::Stale { .. } => (
                "; ",
                "check --as-of and that the extracts are tonight's, or pass --accept stale to publish anyway".into(),
            ),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (separator, advice) = self.advice();
        write!(f, "{}{separator}{advice}", self.fact())
    }
}

/// Every refusal in one message: the facts of one kind together, then that kind's advice
/// once, the kinds separated by "; ".
pub fn describe(refusals: &[Refusal]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < refusals.len() {
        let kind = refusals[i].kind();
        let group: Vec<&Refusal> = refusals[i..]
            .iter()
            .take_while(|r| r.kind() == kind)
            .collect();
        i += group.len();
        let facts: Vec<String> = group.iter().map(|r| r.fact()).collect();
        let (separator, advice) = group[0].advice();
        parts.push(format!("{}{separator}{advice}", facts.join(", ")));
    }
    parts.join("; ")
}

/// The refusal that names the root cause of quarantine-share refusals, when there is one:
/// offices (or job_history) lost rows of its own, and every source it pushed over the
/// limit would be within it without the rows that name an office (or worker) lost there.
/// Offices are tried first, as a lost office also loses its workers' job_history rows.
pub fn root_cause(
    refusals: &[Refusal],
    counts: &[SourceCount],
    quarantine: &[QuarantineRow],
) -> Option<Refusal> {
    let rows = |source: Source, reasons: &[Reason]| {
        quarantine
            .iter()
            .filter(|q| q.source == source && reasons.contains(&q.reason))
            .count() as u64
    };
    let office_lost_workers = rows(Source::JobHistory, &[Reason::UnknownOffice]) > 0;
    for root in [Source::Offices, Source::JobHistory] {
        let reasons = match root {
            Source::Offices if office_lost_workers => {
                vec![Reason::UnknownOffice, Reason::UnknownWorker]
            }
            Source::Offices => vec![Reason::UnknownOffice],
            _ => vec![Reason::UnknownWorker],
        };
        let own: Vec<&QuarantineRow> = quarantine
            .iter()
            .filter(|q| q.source == root && !reasons.contains(&q.reason))
            .filter(|q| root == Source::Offices || q.reason != Reason::UnknownOffice)
            .collect();
        let Some(first) = own.first() else {
            continue;
        };
        let dependents: Vec<(Source, u64)> = refusals
            .iter()
            .filter_map(|r| match r {
                Refusal::QuarantineShare {
                    source,
                    quarantined,
                    read,
                    limit,
                } if *source != root => {
                    let cascaded = rows(*source, &reasons);
                    let without = (quarantined - cascaded) as f64 / *read as f64;
                    (cascaded > 0 && without <= *limit).then_some((*source, cascaded))
                }
                _ => None,
            })
            .collect();
        if dependents.is_empty() {
            continue;
        }
        let file = counts
            .iter()
            .find(|c| c.source == root)
            .and_then(|c| c.path.as_ref())
            .and_then(|p| p.file_name())
            .map_or_else(
                || root.name().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
        return Some(Refusal::Cascade {
            root,
            file,
            lost: own.len() as u64,
            first: (first.line, first.reason, first.detail.clone()),
            reasons,
            dependents,
        });
    }
    None
}

/// Whether `now < share * last`, with `share` taken as the decimal its shortest text is
/// (0.3 is three tenths, not the nearest binary fraction), in exact integer arithmetic.
pub fn below_share_of(now: u64, share: f64, last: u64) -> bool {
    let text = format!("{share}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = format!("{whole}{fraction}");
    let exact = || {
        let numerator: u128 = digits.parse().ok()?;
        let denominator = 10u128.checked_pow(fraction.len() as u32)?;
        Some(u128::from(now).checked_mul(denominator)? < numerator.checked_mul(u128::from(last))?)
    };
    // A setting with more digits than 128 bits can hold is compared as a float.
    exact().unwrap_or((now as f64) < share * last as f64)
}

/// Every rule that refuses this inbox, share first, then the guards not in `accept`.
pub fn refusals(
    counts: &[SourceCount],
    optional: &[Source],
    as_of: Day,
    last: Option<&LastRun>,
    limits: Limits,
    accept: &[Guard],
) -> Vec<Refusal> {
    let mut out: Vec<Refusal> = over_limit(counts, limits.max_quarantine_share)
        .into_iter()
        .map(|(source, quarantined, read)| Refusal::QuarantineShare {
            source,
            quarantined,
            read,
            limit: limits.max_quarantine_share,
        })
        .collect();
    let accepted = |g: Guard| accept.contains(&g);
    if !accepted(Guard::Empty) {
        out.extend(
            counts
                .iter()
                .filter(|c| !optional.contains(&c.source) && c.rows_accepted == 0)
                .map(|c| Refusal::Empty {
                    source: c.source,
                    read: c.rows_read,
                }),
        );
    }
    if let (false, Some(last)) = (accepted(Guard::Drop), last) {
        for c in counts {
            if let Some(last_read) = last.rows_read(c.source)
                && below_share_of(c.rows_read, limits.min_rows_vs_last, last_read)
            {
                out.push(Refusal::Drop {
                    source: c.source,
                    read: c.rows_read,
                    last_read,
                    min_rows_vs_last: limits.min_rows_vs_last,
                    last_run: last.run_id.clone(),
                });
            }
        }
    }
    if !accepted(Guard::Stale) {
        // The latest date over the four sources; on a tie, the first source in contract order.
        let latest = counts
            .iter()
            .filter_map(|c| c.latest_activity.map(|d| (d, c.source)))
            .fold(None::<(Day, Source)>, |best, (d, s)| match best {
                Some((b, _)) if b >= d => best,
                _ => Some((d, s)),
            });
        let fresh = latest.is_some_and(|(day, _)| {
            i64::from(as_of.days_since_epoch()) - i64::from(day.days_since_epoch())
                <= i64::from(limits.max_staleness_days)
        });
        if !fresh {
            out.push(Refusal::Stale {
                as_of,
                latest,
                max_staleness_days: limits.max_staleness_days,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        retention_contract::field::parse_date(text).unwrap()
    }

    fn count(source: Source, read: u64, accepted: u64, latest: Option<&str>) -> SourceCount {
        SourceCount {
            source,
            path: Some(format!("{source}.csv").into()),
            sha256: None,
            rows_read: read,
            rows_accepted: accepted,
            rows_quarantined: read - accepted,
            latest_activity: latest.map(day),
        }
    }

    const LIMITS: Limits = Limits {
        max_quarantine_share: 0.05,
        min_rows_vs_last: 0.5,
        max_staleness_days: 31,
    };

    fn inbox() -> Vec<SourceCount> {
        vec![
            count(Source::Offices, 10, 10, None),
            count(Source::JobHistory, 1000, 1000, Some("2026-06-30")),
            count(Source::CaseloadSnapshots, 500, 500, Some("2026-06-29")),
            count(Source::SupervisionSessions, 400, 400, Some("2026-06-30")),
            count(Source::SurveyResponses, 300, 300, Some("2026-05-01")),
            count(Source::ProgramEnrollments, 50, 50, None),
        ]
    }

    #[test]
    fn a_good_night_passes() {
        assert_eq!(
            refusals(&inbox(), &[], day("2026-07-31"), None, LIMITS, &[]),
            vec![]
        );
    }

    #[test]
    fn stale_counts_days_after_the_latest_date_and_names_its_source() {
        // 2026-06-30 + 31 = 2026-07-31 passes; one day more fires.
        let r = refusals(&inbox(), &[], day("2026-08-01"), None, LIMITS, &[]);
        assert_eq!(
            r,
            vec![Refusal::Stale {
                as_of: day("2026-08-01"),
                latest: Some((day("2026-06-30"), Source::JobHistory)),
                max_staleness_days: 31
            }]
        );
        assert!(r[0].to_string().starts_with(
            "as-of 2026-08-01 is 32 days after the latest activity date in the extracts, 2026-06-30 (job_history effective_date), more than max_staleness_days 31;"
        ));
        assert_eq!(
            refusals(
                &inbox(),
                &[],
                day("2026-08-01"),
                None,
                LIMITS,
                &[Guard::Stale]
            ),
            vec![]
        );
    }

    #[test]
    fn stale_fires_with_no_dated_row() {
        let mut counts = inbox();
        for c in &mut counts {
            c.latest_activity = None;
        }
        let r = refusals(&counts, &[], day("2026-07-01"), None, LIMITS, &[]);
        assert!(matches!(r[..], [Refusal::Stale { latest: None, .. }]));
    }

    #[test]
    fn empty_fires_for_required_sources_only() {
        let mut counts = inbox();
        counts[3] = count(Source::SupervisionSessions, 0, 0, None);
        counts[4] = count(Source::SurveyResponses, 7, 0, None);
        let r = refusals(&counts, &[], day("2026-07-01"), None, LIMITS, &[]);
        assert_eq!(
            r,
            vec![
                Refusal::Empty {
                    source: Source::SupervisionSessions,
                    read: 0
                },
                Refusal::Empty {
                    source: Source::SurveyResponses,
                    read: 7
                },
            ]
        );
        let optional = [Source::SurveyResponses];
        let r = refusals(&counts, &optional, day("2026-07-01"), None, LIMITS, &[]);
        assert_eq!(r.len(), 1);
        let r = refusals(
            &counts,
            &[],
            day("2026-07-01"),
            None,
            LIMITS,
            &[Guard::Empty],
        );
        assert_eq!(r, vec![]);
    }

    #[test]
    fn drop_compares_exactly_and_skips_sources_absent_last_time() {
        let last = LastRun {
            run_id: "r1".into(),
            rows_read: vec![
                (Source::Offices, Some(10)),
                (Source::JobHistory, Some(2000)),
                (Source::CaseloadSnapshots, Some(1001)),
                (Source::SupervisionSessions, None),
                (Source::SurveyResponses, Some(300)),
                (Source::ProgramEnrollments, Some(40)),
            ],
        };
        // job_history 1000 = 0.5 x 2000: not below; snapshots 500 < 500.5: below.
        let r = refusals(&inbox(), &[], day("2026-07-01"), Some(&last), LIMITS, &[]);
        assert_eq!(
            r,
            vec![Refusal::Drop {
                source: Source::CaseloadSnapshots,
                read: 500,
                last_read: 1001,
                min_rows_vs_last: 0.5,
                last_run: "r1".into()
            }]
        );
        assert_eq!(
            r[0].to_string(),
            "caseload_snapshots has 500 rows, fewer than min_rows_vs_last 0.5 x the 1001 rows of the run in current (r1); check that night's export is complete, or pass --accept drop to publish anyway"
        );
        // An optional source absent now (0 rows) but present last time is a drop.
        let mut counts = inbox();
        counts[5] = SourceCount {
            path: None,
            ..count(Source::ProgramEnrollments, 0, 0, None)
        };
        let r = refusals(
            &counts,
            &[Source::ProgramEnrollments],
            day("2026-07-01"),
            Some(&last),
            LIMITS,
            &[],
        );
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].kind(), "drop");
    }

    #[test]
    fn the_share_is_a_decimal() {
        // 0.3 as a float is 0.299999999999999988898; as a decimal 3 x 10 = 30 exactly.
        assert!(!below_share_of(3, 0.3, 10));
        assert!(below_share_of(2, 0.3, 10));
        assert!(!below_share_of(1, 0.1, 10));
        assert!(below_share_of(0, 0.5, 1));
        assert!(!below_share_of(0, 0.0, 1000));
        assert!(!below_share_of(7, 1.0, 7));
        assert!(below_share_of(6, 1.0, 7));
        assert!(!below_share_of(u64::MAX, 1.0, u64::MAX));
        assert!(!below_share_of(1, 1e-30, 1000));
    }

    #[test]
    fn share_and_guards_are_all_named() {
        let mut counts = inbox();
        counts[1] = count(Source::JobHistory, 1000, 900, Some("2026-06-30"));
        counts[2] = count(Source::CaseloadSnapshots, 0, 0, None);
        let r = refusals(&counts, &[], day("2026-09-01"), None, LIMITS, &[]);
        let kinds: Vec<&str> = r.iter().map(Refusal::kind).collect();
        assert_eq!(kinds, ["quarantine_share", "empty", "stale"]);
        assert_eq!(
            r[0].to_string(),
            "job_history has 100 of 1000 rows quarantined (10.0%), over max_quarantine_share 5.0%; fix the extracts (see the quarantine with `retention validate`) or raise the limit in the pipeline file"
        );
        let mut both = vec![
            Refusal::Empty {
                source: Source::CaseloadSnapshots,
                read: 0,
            },
            Refusal::Empty {
                source: Source::SurveyResponses,
                read: 3,
            },
        ];
        both.insert(0, r[0].clone());
        assert_eq!(
            describe(&both),
            "job_history has 100 of 1000 rows quarantined (10.0%), over max_quarantine_share 5.0%; fix the extracts (see the quarantine with `retention validate`) or raise the limit in the pipeline file; caseload_snapshots has no accepted row (0 read, 0 quarantined), survey_responses has no accepted row (3 read, 3 quarantined); every figure drawn from such a source would read as zero: check that night's export, mark the source optional in the pipeline file, or pass --accept empty to publish anyway"
        );
        // --accept cannot pass the quarantine share.
        let r = refusals(&counts, &[], day("2026-09-01"), None, LIMITS, &Guard::ALL);
        assert_eq!(r.len(), 1);
    }

    fn quarantined(source: Source, reason: Reason, n: u64, from_line: u64) -> Vec<QuarantineRow> {
        (0..n)
            .map(|i| QuarantineRow {
                source,
                line: from_line + i,
                reason,
                detail: format!("detail {}", from_line + i),
                raw: String::new(),
            })
            .collect()
    }

    /// A lost worker (job_history line 7, a bad date) explains caseload_snapshots' share:
    /// 30 of 500 quarantined is over 5%, the 10 that are not UNKNOWN_WORKER are within it.
    /// supervision_sessions is over on its own (26 of 400 without the cascade), so it is
    /// not among the dependents.
    #[test]
    fn the_root_cause_of_a_cascade_comes_first() {
        let mut counts = inbox();
        counts[1] = count(Source::JobHistory, 1000, 999, Some("2026-06-30"));
        counts[2] = count(Source::CaseloadSnapshots, 500, 470, Some("2026-06-29"));
        counts[3] = count(Source::SupervisionSessions, 400, 370, Some("2026-06-30"));
        let mut q = quarantined(Source::JobHistory, Reason::BadDate, 1, 7);
        q.extend(quarantined(
            Source::CaseloadSnapshots,
            Reason::UnknownWorker,
            20,
            2,
        ));
        q.extend(quarantined(
            Source::CaseloadSnapshots,
            Reason::BadDate,
            10,
            40,
        ));
        q.extend(quarantined(
            Source::SupervisionSessions,
            Reason::UnknownWorker,
            4,
            2,
        ));
        q.extend(quarantined(
            Source::SupervisionSessions,
            Reason::BadDate,
            26,
            9,
        ));
        let r = refusals(&counts, &[], day("2026-06-30"), None, LIMITS, &[]);
        assert_eq!(r.len(), 2);
        let root = root_cause(&r, &counts, &q).expect("a root cause");
        assert_eq!(
            root,
            Refusal::Cascade {
                root: Source::JobHistory,
                file: "job_history.csv".into(),
                lost: 1,
                first: (7, Reason::BadDate, "detail 7".into()),
                reasons: vec![Reason::UnknownWorker],
                dependents: vec![(Source::CaseloadSnapshots, 20)],
            }
        );
        let mut all = vec![root];
        all.extend(r);
        assert!(
            describe(&all).starts_with(
                "the root cause is job_history.csv line 7 (BAD_DATE detail 7): rows of other sources that name a worker refused there were quarantined as UNKNOWN_WORKER (caseload_snapshots 20); fix job_history.csv first, and the shares below follow; caseload_snapshots has 30 of 500 rows quarantined (6.0%), supervision_sessions has 30 of 400"
            ),
            "{}",
            describe(&all)
        );
        assert_eq!(all[0].kind(), "root_cause");
        assert_eq!(all[0].guard(), None);
    }

    /// No root cause without a lost parent row, nor when the cascade does not explain a
    /// share.
    #[test]
    fn no_root_cause_when_the_shares_are_their_own() {
        let mut counts = inbox();
        counts[2] = count(Source::CaseloadSnapshots, 500, 470, Some("2026-06-29"));
        let r = refusals(&counts, &[], day("2026-06-30"), None, LIMITS, &[]);
        let lost_worker = quarantined(Source::CaseloadSnapshots, Reason::UnknownWorker, 30, 2);
        assert_eq!(
            root_cause(&r, &counts, &lost_worker),
            None,
            "job_history lost no row"
        );
        let mut q = quarantined(Source::JobHistory, Reason::BadDate, 1, 7);
        q.extend(quarantined(
            Source::CaseloadSnapshots,
            Reason::UnknownWorker,
            2,
            2,
        ));
        q.extend(quarantined(
            Source::CaseloadSnapshots,
            Reason::BadDate,
            28,
            9,
        ));
        assert_eq!(
            root_cause(&r, &counts, &q),
            None,
            "28 of 500 is over without it"
        );
    }
}
