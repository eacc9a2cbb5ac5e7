//! The pipeline file (`pipelines/nightly.toml`): which stages run, which sources are
//! optional, every setting CONTRACT.md names, and how many past runs to keep.
//!
//! Loading happens in two passes. The first walks the TOML table against [`KEYS`] and
//! collects *every* problem (unknown key, wrong type, value out of range) so that
//! `retention validate` can report them all at once; the second deserializes into the
//! typed [`PipelineConfig`], which cannot fail once the first pass is clean.

use retention_contract::Source;
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// The stages a pipeline runs, in the only order that makes sense today.
pub const STAGES: [&str; 4] = ["ingest", "derive", "sql", "publish"];

/// A whole pipeline file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
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

/// `[pipeline]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineSection {
    /// Name shown in logs and the manifest.
    pub name: String,
    /// Stages in order: ingest (read and validate the inbox), derive (spells, worker
    /// months, survey scores), sql (the staging, intermediate and mart models of `sql/`,
    /// then suppression and survival curves), publish (write tables, switch `current`).
    pub stages: Vec<String>,
}

impl Default for PipelineSection {
    fn default() -> Self {
        PipelineSection {
            name: "nightly".into(),
            stages: STAGES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// `[sources]`
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesSection {
    /// Sources that may be missing from the inbox (offices and job_history never may).
    pub optional: Vec<String>,
}

/// `[settings]`: every setting CONTRACT.md mentions, with its defaults.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Largest quarantined share of a source of 100 rows or more before the run is
    /// refused (exit 3). Default 0.05.
    pub max_quarantine_share: f64,
    /// Monthly periods in the history window, ending with as-of's month. Default 120.
    pub history_months: u32,
    /// Smallest group whose survey results are shown. Default 5.
    pub min_group_size: u32,
    /// Supervision minutes a month for compliance. Default 240.
    pub supervision_minutes: u32,
    /// INDIVIDUAL supervision minutes a month for compliance. Default 120.
    pub supervision_individual_minutes: u32,
    /// Predicted turnover at or above which a cell is `elevated`. Default 0.15.
    pub risk_tier_elevated: f64,
    /// Predicted turnover at or above which a cell is `high`. Default 0.30.
    pub risk_tier_high: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_quarantine_share: 0.05,
            history_months: 120,
            min_group_size: 5,
            supervision_minutes: 240,
            supervision_individual_minutes: 120,
            risk_tier_elevated: 0.15,
            risk_tier_high: 0.30,
        }
    }
}

/// `[publish]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PublishSection {
    /// Completed runs kept under `WAREHOUSE/runs/` (the current one included). Default 7.
    pub keep_runs: u32,
}

impl Default for PublishSection {
    fn default() -> Self {
        PublishSection { keep_runs: 7 }
    }
}

/// What a key must hold.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Int { min: i64, max: i64 },
    Float { min: f64, max: f64 },
    Stages,
    SourceList,
}

/// Every key the pipeline file may hold: `(section, key, kind)`.
const KEYS: &[(&str, &str, Kind)] = &[
    ("pipeline", "name", Kind::Text),
    ("pipeline", "stages", Kind::Stages),
    ("sources", "optional", Kind::SourceList),
    (
        "settings",
        "max_quarantine_share",
        Kind::Float { min: 0.0, max: 1.0 },
    ),
    (
        "settings",
        "history_months",
        Kind::Int { min: 1, max: 1200 },
    ),
    (
        "settings",
        "min_group_size",
        Kind::Int { min: 1, max: 1000 },
    ),
    (
        "settings",
        "supervision_minutes",
        Kind::Int {
            min: 0,
            max: 10_000,
        },
    ),
    (
        "settings",
        "supervision_individual_minutes",
        Kind::Int {
            min: 0,
            max: 10_000,
        },
    ),
    (
        "settings",
        "risk_tier_elevated",
        Kind::Float { min: 0.0, max: 1.0 },
    ),
    (
        "settings",
        "risk_tier_high",
        Kind::Float { min: 0.0, max: 1.0 },
    ),
    ("publish", "keep_runs", Kind::Int { min: 1, max: 1000 }),
];

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
            let Some(inner) = value.as_table() else {
                if KEYS.iter().any(|(s, _, _)| s == section) {
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
            if !KEYS.iter().any(|(s, _, _)| s == section) {
                problems.push(problem(section, "[table]".into(), "unknown section; the sections are [pipeline], [sources], [settings] and [publish]".into()));
                continue;
            }
            for (key, value) in inner {
                let dotted = format!("{section}.{key}");
                let Some((_, _, kind)) = KEYS.iter().find(|(s, k, _)| s == section && k == key)
                else {
                    let known: Vec<&str> = KEYS
                        .iter()
                        .filter(|(s, _, _)| s == section)
                        .map(|(_, k, _)| *k)
                        .collect();
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
                Some(n) if n == STAGES => None,
                Some(n) if n.iter().any(|s| !STAGES.contains(s)) => Some(format!(
                    "unknown stage; the stages are {}",
                    STAGES.map(|s| format!("{s:?}")).join(", ")
                )),
                _ => Some(format!(
                    "must list the stages in order: [{}]",
                    STAGES.map(|s| format!("{s:?}")).join(", ")
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
        let c = PipelineConfig::parse(
            "[sources]\noptional = [\"program_enrollments\"]",
            Path::new("x"),
        )
        .unwrap();
        assert!(
            c.is_optional(Source::ProgramEnrollments) && !c.is_optional(Source::SurveyResponses)
        );
    }
}
