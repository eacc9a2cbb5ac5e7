//! The pipeline file (`pipelines/nightly.toml`): which stages run, which sources are
//! optional, every setting CONTRACT.md names, and how many past runs to keep.
//!
//! Each section is declared once (the `section!` macro): its struct, defaults and keys.
//!
//! Loading happens in two passes. The first walks the TOML table against the sections' keys and
//! collects *every* problem (unknown key, wrong type, value out of range) so that
//! `retention validate` can report them all at once; the second deserializes into the
//! typed [`PipelineConfig`], which cannot fail once the first pass is clean.

use retention_contract::Source;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// The stages a pipeline runs, in the only order they can run: each takes what the one
/// before made (`crate::stage`). A pipeline file's `stages` must list these in this order,
/// [`OPTIONAL_STAGES`] excepted, so a list the code cannot run is refused by
/// `retention validate` before any run starts.
pub const STAGES: [&str; 6] = ["ingest", "derive", "model", "sql", "report", "publish"];

/// The stages a pipeline file may leave out: `report` (the leadership page) reads what the
/// others made and nothing reads it.
pub const OPTIONAL_STAGES: [&str; 1] = ["report"];

/// What a key must hold.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Int { min: i64, max: i64 },
    Float { min: f64, max: f64 },
    Stages,
    SourceList,
}

/// Declares one section of the pipeline file once: the typed struct (serde, unknown keys
/// refused, every key optional), its defaults, and the keys with what each must hold.
macro_rules! section {
    (
        $(#[$doc:meta])*
        $name:ident = $section:literal {
            $(
                $(#[$fdoc:meta])*
                $field:ident : $ty:ty = $default:expr, $kind:expr;
            )*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $name {
            $( $(#[$fdoc])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $( $field: $default, )* }
            }
        }

        impl $name {
            /// The section's name in the file.
            const SECTION: &'static str = $section;
            /// Every key of the section and what it must hold.
            const KEYS: &'static [(&'static str, Kind)] = &[$( (stringify!($field), $kind), )*];
        }
    };
}

/// A whole pipeline file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// `[pipeline]`: name and stages.
    #[serde(default)]
    pub pipeline: PipelineSection,
    /// `[sources]`: which sources may be absent from the inbox.
    #[serde(default)]
    pub sources: SourcesSection,
    /// `[settings]`: thresholds and windows of CONTRACT.md.
    #[serde(default)]
    pub settings: Settings,
    /// `[publish]`: warehouse housekeeping.
    #[serde(default)]
    pub publish: PublishSection,
}

section! {
    /// `[pipeline]`
    PipelineSection = "pipeline" {
        /// Name shown in logs and the manifest.
        name: String = "nightly".into(), Kind::Text;
        /// Stages in order: ingest (read and validate the inbox), derive (spells, worker
        /// months, survey scores), model (the risk model and its backtest), sql (the staging, intermediate and mart models of `sql/`,
        /// then suppression and survival curves), report (the leadership page, report.html;
        /// the only stage a file may leave out), publish (write tables, switch `current`).
        stages: Vec<String> = STAGES.iter().map(|s| s.to_string()).collect(), Kind::Stages;
    }
}

section! {
    /// `[sources]`
    SourcesSection = "sources" {
        /// Sources that may be missing from the inbox (offices and job_history never may).
        optional: Vec<String> = Vec::new(), Kind::SourceList;
    }
}

section! {
    /// `[settings]`: every setting CONTRACT.md mentions, with its defaults.
    Settings = "settings" {
        /// Largest quarantined share of a source of 100 rows or more before the run is
        /// refused (exit 3). Default 0.05.
        max_quarantine_share: f64 = 0.05, Kind::Float { min: 0.0, max: 1.0 };
        /// Run guard *drop*: a source whose rows read fall below this share of the rows
        /// the run in `current` read refuses the run (exit 3; `--accept drop`). Default 0.5.
        min_rows_vs_last: f64 = 0.5, Kind::Float { min: 0.0, max: 1.0 };
        /// Run guard *stale*: the most days as-of may be after the latest activity date
        /// of the extracts (exit 3; `--accept stale`). Default 31.
        max_staleness_days: u32 = 31, Kind::Int { min: 0, max: 36_500 };
        /// Monthly periods in the history window, ending with as-of's month. Default 120.
        history_months: u32 = 120, Kind::Int { min: 1, max: 1200 };
        /// Smallest group whose survey results are shown. Default 5.
        min_group_size: u32 = 5, Kind::Int { min: 1, max: 1000 };
        /// Supervision minutes a month for compliance. Default 240.
        supervision_minutes: u32 = 240, Kind::Int { min: 0, max: 10_000 };
        /// INDIVIDUAL supervision minutes a month for compliance. Default 120.
        supervision_individual_minutes: u32 = 120, Kind::Int { min: 0, max: 10_000 };
        /// Predicted turnover (or a worker's p_separation_12m) at or above which a cell
        /// (or worker) is `elevated`. Default 0.15.
        risk_tier_elevated: f64 = 0.15, Kind::Float { min: 0.0, max: 1.0 };
        /// Predicted turnover at or above which a cell is `high`. Default 0.30 (as above).
        risk_tier_high: f64 = 0.30, Kind::Float { min: 0.0, max: 1.0 };
    }
}

section! {
    /// `[publish]`
    PublishSection = "publish" {
        /// Completed runs kept under `WAREHOUSE/runs/` (the current one included). Default 7.
        keep_runs: u32 = 7, Kind::Int { min: 1, max: 1000 };
    }
}

/// Every section of the file and its keys, in the order of the file.
const SECTIONS: [(&str, &[(&str, Kind)]); 4] = [
    (PipelineSection::SECTION, PipelineSection::KEYS),
    (SourcesSection::SECTION, SourcesSection::KEYS),
    (Settings::SECTION, Settings::KEYS),
    (PublishSection::SECTION, PublishSection::KEYS),
];

/// The keys of `section` (None: no such section).
fn keys_of(section: &str) -> Option<&'static [(&'static str, Kind)]> {
    SECTIONS
        .iter()
        .find(|(s, _)| *s == section)
        .map(|(_, keys)| *keys)
}

/// One problem in a pipeline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The file.
    pub file: PathBuf,
    /// Dotted key (`settings.history_months`), or empty for a syntax error.
    pub key: String,
    /// The offending value as written.
    pub value: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}: key {} = {}: {}",
                self.file.display(),
                self.key,
                self.value,
                self.message
            )
        }
    }
}

impl PipelineConfig {
    /// Reads and checks a pipeline file, reporting every problem.
    pub fn load(path: &Path) -> Result<PipelineConfig, Vec<ConfigProblem>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![ConfigProblem {
                file: path.into(),
                key: String::new(),
                value: String::new(),
                message: format!(
                    "cannot read the pipeline file ({e}); pass an existing file with --pipeline"
                ),
            }]
        })?;
        PipelineConfig::parse(&text, path)
    }

    /// Parses pipeline-file text; `path` is used in messages only.
    pub fn parse(text: &str, path: &Path) -> Result<PipelineConfig, Vec<ConfigProblem>> {
        let problem = |key: &str, value: String, message: String| ConfigProblem {
            file: path.into(),
            key: key.into(),
            value,
            message,
        };
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            vec![problem(
                "",
                String::new(),
                format!(
                    "not valid TOML: {}",
                    e.to_string().trim_end().replace('\n', " ")
                ),
            )]
        })?;
        let mut problems = Vec::new();
        for (section, value) in &table {
            let keys = keys_of(section);
            let Some(inner) = value.as_table() else {
                if keys.is_some() {
                    problems.push(problem(
                        section,
                        value.to_string(),
                        format!("must be a table: write it as [{section}]"),
                    ));
                } else {
                    problems.push(problem(section, value.to_string(), "unknown key; the sections are [pipeline], [sources], [settings] and [publish]".into()));
                }
                continue;
            };
            let Some(keys) = keys else {
                problems.push(problem(section, "[table]".into(), "unknown section; the sections are [pipeline], [sources], [settings] and [publish]".into()));
                continue;
            };
            for (key, value) in inner {
                let dotted = format!("{section}.{key}");
                let Some((_, kind)) = keys.iter().find(|(k, _)| k == key) else {
                    let known: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
                    problems.push(problem(
                        &dotted,
                        value.to_string(),
                        format!("unknown key; [{section}] takes {}", known.join(", ")),
                    ));
                    continue;
                };
                if let Some(message) = check(*kind, value) {
                    problems.push(problem(&dotted, value.to_string(), message));
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let config: PipelineConfig = toml::from_str(text).map_err(|e| {
            vec![problem(
                "",
                String::new(),
                e.to_string().trim_end().replace('\n', " "),
            )]
        })?;
        let s = &config.settings;
        if s.risk_tier_elevated >= s.risk_tier_high {
            problems.push(problem(
                "settings.risk_tier_high",
                s.risk_tier_high.to_string(),
                format!(
                    "must be greater than settings.risk_tier_elevated ({})",
                    s.risk_tier_elevated
                ),
            ));
        }
        for name in &config.sources.optional {
            if name == "offices" || name == "job_history" {
                problems.push(problem(
                    "sources.optional",
                    format!("{name:?}"),
                    "offices and job_history are always required; remove it".into(),
                ));
            }
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// Whether `source` may be absent from the inbox.
    pub fn is_optional(&self, source: Source) -> bool {
        self.sources.optional.iter().any(|s| s == source.name())
    }

    /// The run plan of a checked file: its stages and the sources that may be absent.
    pub fn build(&self) -> RunPlan {
        RunPlan {
            stages: STAGES
                .into_iter()
                .filter(|s| self.pipeline.stages.iter().any(|t| t == s))
                .collect(),
            optional: Source::ALL
                .into_iter()
                .filter(|s| self.is_optional(*s))
                .collect(),
        }
    }
}

/// What a run does, made once from the pipeline file ([`PipelineConfig::build`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPlan {
    /// The stages, in order: all of [`STAGES`] but the [`OPTIONAL_STAGES`] the file leaves out.
    pub stages: Vec<&'static str>,
    /// The sources that may be absent from the inbox.
    pub optional: Vec<Source>,
}

fn check(kind: Kind, value: &toml::Value) -> Option<String> {
    match kind {
        Kind::Text => (!value.is_str()).then(|| "must be a string in double quotes".into()),
        Kind::Int { min, max } => match value.as_integer() {
            None => Some(format!("must be a whole number from {min} to {max}")),
            Some(n) if !(min..=max).contains(&n) => Some(format!(
                "out of range: use a whole number from {min} to {max}"
            )),
            Some(_) => None,
        },
        Kind::Float { min, max } => match value
            .as_float()
            .or_else(|| value.as_integer().map(|i| i as f64))
        {
            None => Some(format!("must be a number from {min} to {max}")),
            Some(x) if !(min..=max).contains(&x) => {
                Some(format!("out of range: use a number from {min} to {max}"))
            }
            Some(_) => None,
        },
        Kind::Stages => {
            let names: Option<Vec<&str>> = value
                .as_array()
                .and_then(|a| a.iter().map(|v| v.as_str()).collect());
            match names {
                Some(n)
                    if n == STAGES
                        .iter()
                        .filter(|s| n.contains(s) || !OPTIONAL_STAGES.contains(s))
                        .copied()
                        .collect::<Vec<_>>() =>
                {
                    None
                }
                Some(n) if n.iter().any(|s| !STAGES.contains(s)) => Some(format!(
                    "unknown stage; the stages are {}",
                    STAGES.map(|s| format!("{s:?}")).join(", ")
                )),
                _ => Some(format!(
                    "must list the stages in order: [{}] (only {} may be left out)",
                    STAGES.map(|s| format!("{s:?}")).join(", "),
                    OPTIONAL_STAGES.map(|s| format!("{s:?}")).join(", ")
                )),
            }
        }
        Kind::SourceList => {
            let names: Option<Vec<&str>> = value
                .as_array()
                .and_then(|a| a.iter().map(|v| v.as_str()).collect());
            match names {
                None => Some("must be a list of source names in double quotes".into()),
                Some(n) => n
                    .iter()
                    .find(|s| Source::from_name(s).is_none())
                    .map(|bad| {
                        format!(
                            "{bad:?} is not a source; the sources are {}",
                            Source::ALL.map(|s| s.name()).join(", ")
                        )
                    }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_the_contract_defaults() {
        let c = PipelineConfig::parse("", Path::new("p.toml")).unwrap();
        assert_eq!(c.settings.max_quarantine_share, 0.05);
        assert_eq!(c.settings.history_months, 120);
        assert_eq!(c.settings.min_group_size, 5);
        assert_eq!(
            (
                c.settings.supervision_minutes,
                c.settings.supervision_individual_minutes
            ),
            (240, 120)
        );
        assert_eq!(
            (c.settings.risk_tier_elevated, c.settings.risk_tier_high),
            (0.15, 0.30)
        );
        assert_eq!(c.publish.keep_runs, 7);
        assert_eq!(c.pipeline.stages, STAGES);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = "[settings]\nhistory_months = 0\nmin_group_size = \"five\"\ncolour = 3\n[publish]\nkeep_runs = 2.5\n[extra]\nx = 1\n[sources]\noptional = [\"offices\", \"nope\"]\n";
        let problems = PipelineConfig::parse(text, Path::new("nightly.toml")).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "extra",
                "publish.keep_runs",
                "settings.colour",
                "settings.history_months",
                "settings.min_group_size",
                "sources.optional"
            ]
        );
        let shown = problems[3].to_string();
        assert_eq!(
            shown,
            "nightly.toml: key settings.history_months = 0: out of range: use a whole number from 1 to 1200"
        );
    }

    #[test]
    fn cross_key_rules() {
        let p = PipelineConfig::parse("[settings]\nrisk_tier_elevated = 0.4\nrisk_tier_high = 0.3\n[sources]\noptional=[\"job_history\"]", Path::new("x")).unwrap_err();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].key, "settings.risk_tier_high");
        let p = PipelineConfig::parse(
            "[pipeline]\nstages = [\"publish\", \"ingest\", \"derive\"]",
            Path::new("x"),
        )
        .unwrap_err();
        assert_eq!(p[0].key, "pipeline.stages");
        // Only the report may be left out.
        let c = PipelineConfig::parse(
            "[pipeline]\nstages = [\"ingest\", \"derive\", \"model\", \"sql\", \"publish\"]",
            Path::new("x"),
        )
        .unwrap();
        assert!(!c.build().stages.contains(&"report"));
        let p = PipelineConfig::parse(
            "[pipeline]\nstages = [\"ingest\", \"derive\", \"sql\", \"report\", \"publish\"]",
            Path::new("x"),
        )
        .unwrap_err();
        assert!(p[0].message.contains("in order"), "{}", p[0].message);
        let c = PipelineConfig::parse(
            "[sources]\noptional = [\"program_enrollments\"]",
            Path::new("x"),
        )
        .unwrap();
        assert!(
            c.is_optional(Source::ProgramEnrollments) && !c.is_optional(Source::SurveyResponses)
        );
        assert_eq!(
            c.build(),
            RunPlan {
                stages: STAGES.to_vec(),
                optional: vec![Source::ProgramEnrollments]
            }
        );
    }

    #[test]
    fn the_shipped_file_shows_every_key_at_its_default() {
        let text = include_str!("../../../pipelines/nightly.toml");
        let shipped = PipelineConfig::parse(text, Path::new("nightly.toml")).unwrap();
        assert_eq!(
            shipped,
            PipelineConfig::parse("", Path::new("(defaults)")).unwrap()
        );
        for (section, keys) in SECTIONS {
            assert!(text.contains(&format!("[{section}]")), "[{section}]");
            for (key, _) in keys {
                assert!(
                    text.lines().any(|l| l.starts_with(&format!("{key} = "))),
                    "{section}.{key} is not in pipelines/nightly.toml"
                );
            }
        }
    }
}
