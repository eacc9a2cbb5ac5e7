//! The data dictionary: every published column's description and the CONTRACT.md section
//! that defines it, written once. The Parquet field metadata of every file
//! ([`crate::provenance::described`]), the published `columns` table
//! ([`crate::tables::columns_table`]) and the dictionary in docs/tables.md
//! ([`markdown`], checked by an end-to-end test) all come from this list, so the three
//! cannot disagree; a published column missing here fails the run and the tests.

use arrow::datatypes::{DataType, SchemaRef};

/// One published column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnDoc {
    /// The table.
    pub table: &'static str,
    /// The column's name.
    pub column: &'static str,
    /// One or two sentences for an analyst: what the value is, its unit, when it is null.
    pub description: &'static str,
    /// The CONTRACT.md section that defines it ("1" to "9"; "" for a column the contract does
    /// not name).
    pub section: &'static str,
}

const fn c(
    table: &'static str,
    column: &'static str,
    section: &'static str,
    description: &'static str,
) -> ColumnDoc {
    ColumnDoc {
        table,
        column,
        description,
        section,
    }
}

/// Every published column, table by table in publish order, columns in the order they
/// are written.
pub const COLUMNS: &[ColumnDoc] = &[
    // quarantine
    c(
        "quarantine",
        "source",
        "2",
        "The source the refused row came from (offices, job_history, ...).",
    ),
    c(
        "quarantine",
        "line",
        "2",
        "Physical line where the record starts, the file's first line being 1; for Parquet, the 1-based row number.",
    ),
    c(
        "quarantine",
        "reason",
        "2",
        "The first quarantine reason that applies, in the contract's order (MALFORMED_ROW ... NOT_EMPLOYED).",
    ),
    c(
        "quarantine",
        "detail",
        "2",
        "A sentence naming the field and value, or the earlier line a duplicate repeats.",
    ),
    c(
        "quarantine",
        "raw",
        "2",
        "The record's text as read (invalid UTF-8 shown as U+FFFD); it may hold a raw worker id, so the file is owner-only.",
    ),
    // source_counts
    c(
        "source_counts",
        "source",
        "4",
        "The source: offices, job_history, caseload_snapshots, supervision_sessions, survey_responses or program_enrollments.",
    ),
    c(
        "source_counts",
        "rows_read",
        "4",
        "Records read (header and blank lines excluded); 0 for an optional source that was absent.",
    ),
    c("source_counts", "rows_accepted", "4", "Rows accepted."),
    c(
        "source_counts",
        "rows_quarantined",
        "4",
        "Rows written to the quarantine; rows_read = rows_accepted + rows_quarantined.",
    ),
    // offices
    c("offices", "office_id", "1", "The office's id."),
    c("offices", "office_name", "1", "The office's name."),
    c(
        "offices",
        "region",
        "1",
        "The office's region; null when the extract leaves it blank.",
    ),
    c(
        "offices",
        "caseload_standard",
        "1",
        "Cases per full-time worker the office's standard allows (1 to 100).",
    ),
    // worker_spells
    c(
        "worker_spells",
        "worker_key",
        "3",
        "The worker's pseudonym: 16 hex digits of HMAC-SHA256(key, worker_id).",
    ),
    c(
        "worker_spells",
        "spell_no",
        "4",
        "The worker's spells numbered 1, 2, ... by start_date.",
    ),
    c(
        "worker_spells",
        "start_date",
        "3",
        "The HIRE or REHIRE date that starts the spell.",
    ),
    c(
        "worker_spells",
        "end_date",
        "3",
        "The TERMINATION date, the last day worked; null while the spell is open.",
    ),
    c(
        "worker_spells",
        "end_reason",
        "4",
        "The TERMINATION's reason (VOLUNTARY, INVOLUNTARY, RETIREMENT, OTHER); null while open.",
    ),
    c(
        "worker_spells",
        "start_office_id",
        "4",
        "The office of the HIRE or REHIRE that starts the spell.",
    ),
    c(
        "worker_spells",
        "start_role",
        "4",
        "The role of the HIRE or REHIRE that starts the spell: CASEWORKER, INVESTIGATOR, SUPERVISOR or OTHER.",
    ),
    c(
        "worker_spells",
        "duration_days",
        "4",
        "Days in the spell, both ends included: (end_date or as-of) - start_date + 1.",
    ),
    c(
        "worker_spells",
        "censored",
        "4",
        "True while the spell is open (end_date is null).",
    ),
    // worker_months
    c(
        "worker_months",
        "worker_key",
        "3",
        "The worker's pseudonym, as in worker_spells.",
    ),
    c(
        "worker_months",
        "month",
        "4",
        "The calendar month, as its 1st day.",
    ),
    c(
        "worker_months",
        "office_id",
        "4",
        "An office the worker was employed in at least one day of the month up to as-of.",
    ),
    c(
        "worker_months",
        "role",
        "4",
        "The worker's role on the last day of the month (or as-of) employed in this office.",
    ),
    c(
        "worker_months",
        "tenure_band",
        "3",
        "The worker's tenure band on that same day (00-06m, 06-12m, 01-02y, 02-05y, 05y+).",
    ),
    c(
        "worker_months",
        "fte",
        "4",
        "The worker's fte (full-time equivalent, above 0 and at most 1) on that same day.",
    ),
    c(
        "worker_months",
        "days_employed",
        "4",
        "Days of the month up to as-of employed in this office, over all spells.",
    ),
    c(
        "worker_months",
        "separated",
        "4",
        "A TERMINATION is dated in the month while the worker was in this office.",
    ),
    c(
        "worker_months",
        "separation_reason",
        "4",
        "That TERMINATION's reason (the latest, if two); null when not separated.",
    ),
    c(
        "worker_months",
        "caseload_mean",
        "4",
        "Mean active_cases of the month's snapshots taken while in this office; null when none.",
    ),
    c(
        "worker_months",
        "supervision_minutes",
        "4",
        "All minutes of the month's sessions, on the row of the office held on the last employed day of the month (0 there when none); null on the other rows.",
    ),
    c(
        "worker_months",
        "individual_minutes",
        "4",
        "INDIVIDUAL minutes of the month's sessions, on the same row as supervision_minutes; null on the other rows.",
    ),
    c(
        "worker_months",
        "sts_total",
        "4",
        "STSS total of the worker's latest response with one, administered by the month's last day; null when none.",
    ),
    c(
        "worker_months",
        "proqol_bo",
        "4",
        "ProQOL burnout score of the latest such response by the month's last day; null when none.",
    ),
    c(
        "worker_months",
        "brs_mean",
        "4",
        "Brief Resilience Scale mean of the latest such response by the month's last day; null when none.",
    ),
    c(
        "worker_months",
        "in_program",
        "4",
        "Some enrollment of the worker (any program) overlaps the month.",
    ),
    // survey_scores
    c(
        "survey_scores",
        "response_id",
        "3",
        "The response (one completion of one instrument).",
    ),
    c(
        "survey_scores",
        "worker_key",
        "3",
        "The respondent's pseudonym.",
    ),
    c(
        "survey_scores",
        "administered_on",
        "3",
        "The date the instrument was administered.",
    ),
    c("survey_scores", "instrument", "3", "STSS, PROQOL5 or BRS."),
    c(
        "survey_scores",
        "office_id",
        "3",
        "The worker's office on administered_on.",
    ),
    c(
        "survey_scores",
        "tenure_band",
        "3",
        "The worker's tenure band on administered_on.",
    ),
    c(
        "survey_scores",
        "items_answered",
        "3",
        "Accepted item rows of the response.",
    ),
    c(
        "survey_scores",
        "sts_total",
        "3",
        "STSS total, items 1-17, prorated when 80% or more are answered; null otherwise or for other instruments.",
    ),
    c(
        "survey_scores",
        "sts_intrusion",
        "3",
        "STSS intrusion subscale (items 2, 3, 6, 10, 13), prorated; null when not scored.",
    ),
    c(
        "survey_scores",
        "sts_avoidance",
        "3",
        "STSS avoidance subscale (items 1, 5, 7, 9, 12, 14, 17), prorated; null when not scored.",
    ),
    c(
        "survey_scores",
        "sts_arousal",
        "3",
        "STSS arousal subscale (items 4, 8, 11, 15, 16), prorated; null when not scored.",
    ),
    c(
        "survey_scores",
        "proqol_cs",
        "3",
        "ProQOL compassion satisfaction (10 items), prorated; null when not scored.",
    ),
    c(
        "survey_scores",
        "proqol_bo",
        "3",
        "ProQOL burnout (10 items, 5 reversed), prorated; null when not scored.",
    ),
    c(
        "survey_scores",
        "proqol_sts",
        "3",
        "ProQOL secondary traumatic stress (10 items), prorated; null when not scored.",
    ),
    c(
        "survey_scores",
        "brs_mean",
        "3",
        "Brief Resilience Scale: mean of the answered items 1-6 (2, 4, 6 reversed); null when not scored.",
    ),
    c(
        "survey_scores",
        "sts_band",
        "3",
        "Band of sts_total: little_or_none (< 28), mild (< 38), moderate (< 44), high (< 49), severe.",
    ),
    c(
        "survey_scores",
        "proqol_cs_band",
        "3",
        "Band of proqol_cs: low (<= 22), moderate (< 42), high.",
    ),
    c(
        "survey_scores",
        "proqol_bo_band",
        "3",
        "Band of proqol_bo: low (<= 22), moderate (< 42), high.",
    ),
    c(
        "survey_scores",
        "proqol_sts_band",
        "3",
        "Band of proqol_sts: low (<= 22), moderate (< 42), high.",
    ),
    c(
        "survey_scores",
        "brs_band",
        "3",
        "Band of brs_mean: low (< 3.00), normal (<= 4.30), high.",
    ),
    // office_indicators
    c(
        "office_indicators",
        "period_type",
        "5",
        "month (each month of the history window) or trailing_12m (the 12 months to as-of).",
    ),
    c(
        "office_indicators",
        "period_start",
        "5",
        "First day of the period.",
    ),
    c(
        "office_indicators",
        "period_end",
        "5",
        "Last day of the period: the month's last day or as-of, whichever is earlier.",
    ),
    c(
        "office_indicators",
        "office_id",
        "5",
        "The office, or ALL for the whole agency.",
    ),
    c(
        "office_indicators",
        "tenure_band",
        "5",
        "The tenure band, or ALL for every band; events are placed by the worker's band on their date.",
    ),
    c(
        "office_indicators",
        "days",
        "5",
        "Days in the period: period_end - period_start + 1.",
    ),
    c(
        "office_indicators",
        "exposure_days",
        "5",
        "Worker-days employed in the period (headcount, not fte).",
    ),
    c(
        "office_indicators",
        "avg_headcount",
        "5",
        "Average number of workers employed: exposure_days / days.",
    ),
    c(
        "office_indicators",
        "headcount_end",
        "5",
        "Workers employed on period_end.",
    ),
    c(
        "office_indicators",
        "separations",
        "5",
        "TERMINATION rows dated in the period.",
    ),
    c(
        "office_indicators",
        "voluntary_separations",
        "5",
        "Those with reason VOLUNTARY.",
    ),
    c(
        "office_indicators",
        "transfers_out",
        "5",
        "TRANSFER rows that change office, placed on the day before the transfer (the last day in the old office).",
    ),
    c(
        "office_indicators",
        "turnover_rate",
        "5",
        "separations x 365.25 / exposure_days: separations per worker-year; null when exposure_days is 0.",
    ),
    c(
        "office_indicators",
        "voluntary_turnover_rate",
        "5",
        "voluntary_separations x 365.25 / exposure_days; null when exposure_days is 0.",
    ),
    c(
        "office_indicators",
        "caseload_worker_months",
        "5",
        "Groups (worker, month, office, band) of snapshots dated in the period.",
    ),
    c(
        "office_indicators",
        "caseload_mean",
        "5",
        "Mean over those groups of the group's mean active_cases; null when there is none.",
    ),
    c(
        "office_indicators",
        "caseload_over_standard_share",
        "5",
        "Share (0-1) of those groups whose mean active_cases exceeds their mean caseload_standard x fte; null when there is none.",
    ),
    c(
        "office_indicators",
        "supervision_eligible_months",
        "5",
        "Whole calendar months in the period the worker was employed every day, from the supervision extract's first month.",
    ),
    c(
        "office_indicators",
        "supervision_compliance",
        "5",
        "Share (0-1) of eligible months with >= supervision_minutes (default 240) minutes and >= supervision_individual_minutes (120) INDIVIDUAL; null when none.",
    ),
    c(
        "office_indicators",
        "supervision_hours_mean",
        "5",
        "Mean supervision hours (minutes / 60) per eligible month; null when there is none.",
    ),
    c(
        "office_indicators",
        "retention_focus_share",
        "5",
        "Share (0-1) of the eligible months' supervision minutes whose focus is RETENTION; null when they hold no minutes.",
    ),
    c(
        "office_indicators",
        "sts_respondents",
        "5",
        "Workers with an STSS total in the period (their latest response in it).",
    ),
    c(
        "office_indicators",
        "sts_mean",
        "5",
        "Mean sts_total of those responses; null when fewer than min_group_size respondents or suppressed.",
    ),
    c(
        "office_indicators",
        "sts_high_share",
        "5",
        "Share (0-1) of those respondents with sts_total >= 38; null when fewer than min_group_size respondents or suppressed.",
    ),
    c(
        "office_indicators",
        "burnout_respondents",
        "5",
        "Workers with a ProQOL burnout score in the period (their latest response in it).",
    ),
    c(
        "office_indicators",
        "burnout_mean",
        "5",
        "Mean proqol_bo; null when fewer than min_group_size respondents or suppressed.",
    ),
    c(
        "office_indicators",
        "burnout_high_share",
        "5",
        "Share (0-1) of those respondents with proqol_bo >= 42; null when fewer than min_group_size respondents or suppressed.",
    ),
    c(
        "office_indicators",
        "resilience_respondents",
        "5",
        "Workers with a BRS mean in the period (their latest response in it).",
    ),
    c(
        "office_indicators",
        "resilience_mean",
        "5",
        "Mean brs_mean; null when fewer than min_group_size respondents or suppressed.",
    ),
    c(
        "office_indicators",
        "resilience_low_share",
        "5",
        "Share (0-1) of those respondents with brs_mean < 3.0; null when fewer than min_group_size respondents or suppressed.",
    ),
    c(
        "office_indicators",
        "predicted_separations_12m",
        "5",
        "Separations the risk model expects in the 12 months after as-of among the cell's workers (trailing_12m rows); null on month rows, below min_group_size headcount or suppressed.",
    ),
    c(
        "office_indicators",
        "predicted_turnover_12m",
        "5",
        "predicted_separations_12m / headcount_end; null where that is null or headcount_end is 0.",
    ),
    c(
        "office_indicators",
        "risk_tier",
        "5",
        "low (< risk_tier_elevated, 0.15), elevated (< risk_tier_high, 0.30) or high, from predicted_turnover_12m; null where it is null.",
    ),
    // retention_curves
    c(
        "retention_curves",
        "group_type",
        "6",
        "state, office, role or hire_year.",
    ),
    c(
        "retention_curves",
        "group_value",
        "6",
        "ALL for the state, else the office id, role or hire year (as text).",
    ),
    c(
        "retention_curves",
        "t_days",
        "6",
        "Days since the spell started: 90, 180, 365, 730, 1095 or 1826.",
    ),
    c(
        "retention_curves",
        "at_risk",
        "6",
        "Spells started in the history window with duration >= t_days.",
    ),
    c(
        "retention_curves",
        "events",
        "6",
        "Ended spells (events) with duration <= t_days.",
    ),
    c(
        "retention_curves",
        "survival",
        "6",
        "Kaplan-Meier probability of still being employed at t_days; null when at_risk is 0.",
    ),
    c(
        "retention_curves",
        "ci_lower",
        "6",
        "Lower 95% bound (exponential Greenwood); null when at_risk is 0.",
    ),
    c(
        "retention_curves",
        "ci_upper",
        "6",
        "Upper 95% bound (exponential Greenwood); null when at_risk is 0.",
    ),
    // program_outcomes
    c(
        "program_outcomes",
        "program",
        "7",
        "RESILIENCE_ALLIANCE, SUPPORT_GROUP, RETENTION_SUPERVISION or OTHER.",
    ),
    c(
        "program_outcomes",
        "cohort_id",
        "7",
        "The cohort's id, as in program_enrollments.",
    ),
    c(
        "program_outcomes",
        "measure",
        "7",
        "The score compared before and after: sts_total, proqol_bo or brs_mean.",
    ),
    c(
        "program_outcomes",
        "enrolled",
        "7",
        "Accepted enrollments of the cohort.",
    ),
    c(
        "program_outcomes",
        "completed",
        "7",
        "Those with end_date on or before as-of.",
    ),
    c(
        "program_outcomes",
        "pairs",
        "7",
        "Completed enrollments with both a pre and a post response.",
    ),
    c(
        "program_outcomes",
        "pre_mean",
        "7",
        "Mean pre score (latest response in start_date - 60 .. start_date + 14 days); null when pairs < min_group_size.",
    ),
    c(
        "program_outcomes",
        "post_mean",
        "7",
        "Mean post score (earliest response after pre in end_date - 14 .. end_date + 90 days); null when pairs < min_group_size.",
    ),
    c(
        "program_outcomes",
        "mean_change",
        "7",
        "Mean of post - pre; null when pairs < min_group_size.",
    ),
    c(
        "program_outcomes",
        "sd_change",
        "7",
        "Sample standard deviation of the changes; null when pairs < min_group_size.",
    ),
    c(
        "program_outcomes",
        "t_stat",
        "7",
        "Paired t statistic; null when pairs < min_group_size or sd_change is 0.",
    ),
    c(
        "program_outcomes",
        "p_value",
        "7",
        "Two-sided p-value of the paired t (pairs - 1 degrees of freedom); null as t_stat.",
    ),
    c(
        "program_outcomes",
        "effect_size_dz",
        "7",
        "mean_change / sd_change (Cohen's dz); null as t_stat.",
    ),
    c(
        "program_outcomes",
        "retained_12m",
        "7",
        "Share (0-1) of enrollees with end_date + 365 days <= as-of still employed on that day; null when fewer than min_group_size of them.",
    ),
    c(
        "program_outcomes",
        "comparison_retained_12m",
        "7",
        "The same share for comparable workers never enrolled in the program; null when fewer than min_group_size count.",
    ),
    c(
        "program_outcomes",
        "attendance_rate",
        "7",
        "Share (0-1): sessions attended / offered over the cohort's enrollments with offered > 0 and attended given; null when fewer than min_group_size.",
    ),
    // worker_risk
    c(
        "worker_risk",
        "worker_key",
        "9",
        "The worker's pseudonym: one row per worker employed on as-of, less those leaving on as-of. Owner-only; in no leadership view.",
    ),
    c(
        "worker_risk",
        "office_id",
        "9",
        "The worker's office on as-of.",
    ),
    c("worker_risk", "role", "9", "The worker's role on as-of."),
    c(
        "worker_risk",
        "tenure_band",
        "9",
        "The worker's tenure band on as-of.",
    ),
    c(
        "worker_risk",
        "p_separation_12m",
        "9",
        "The risk model's probability (0-1) that the spell ends with a TERMINATION within 365 days after as-of (docs/model.md).",
    ),
    c(
        "worker_risk",
        "risk_tier",
        "9",
        "low, elevated or high: p_separation_12m against risk_tier_elevated and risk_tier_high.",
    ),
    // model_evaluation
    c(
        "model_evaluation",
        "scope",
        "9",
        "state (office_id ALL) or office (the workers' office on train_end).",
    ),
    c("model_evaluation", "office_id", "9", "ALL or the office."),
    c(
        "model_evaluation",
        "train_end",
        "9",
        "as-of - 365: the backtest fits and predicts with only what was known on this day.",
    ),
    c(
        "model_evaluation",
        "n",
        "9",
        "Workers employed on train_end, less those whose spell ends on it.",
    ),
    c(
        "model_evaluation",
        "events",
        "9",
        "Those whose spell ended with a TERMINATION in (train_end, as-of]; null on an office row suppressed (n below min_group_size, or its complement).",
    ),
    c(
        "model_evaluation",
        "predicted_events",
        "9",
        "Sum of the backtest's p_separation_12m; null where events is.",
    ),
    c(
        "model_evaluation",
        "auc",
        "9",
        "Chance that a random worker with an event has a higher p than one without, ties half; null when events is 0 or n, or suppressed.",
    ),
    c(
        "model_evaluation",
        "brier",
        "9",
        "Mean of (p - event)^2; null where suppressed.",
    ),
    c(
        "model_evaluation",
        "calibration_slope",
        "9",
        "Slope of a logistic regression of event on logit(p) (1 is ideal; below 1, too extreme); null where auc is null, 0 or 1, or p is constant.",
    ),
    // risk_drivers
    c(
        "risk_drivers",
        "office_id",
        "9",
        "An accepted office, or ALL (the offices' rows add up to it).",
    ),
    c(
        "risk_drivers",
        "driver",
        "9",
        "caseload (ratio capped at 1), supervision (every month compliant), wellbeing (scores no worse than the state medians) or program (everyone in a program).",
    ),
    c(
        "risk_drivers",
        "headcount",
        "9",
        "Workers of worker_risk in the office.",
    ),
    c(
        "risk_drivers",
        "predicted_separations_12m",
        "9",
        "Separations the model expects in the next 12 months as things are; null where office_indicators suppresses the office's prediction.",
    ),
    c(
        "risk_drivers",
        "scenario_separations_12m",
        "9",
        "The same with only this driver changed for every worker; null as above.",
    ),
    c(
        "risk_drivers",
        "avoidable_separations_12m",
        "9",
        "predicted minus scenario: the separations associated with the driver (an association, not a proven cause); may be negative; null as above.",
    ),
    // hiring_plan
    c("hiring_plan", "office_id", "8", "An accepted office."),
    c(
        "hiring_plan",
        "headcount",
        "8",
        "Workers employed on as-of in the office.",
    ),
    c("hiring_plan", "fte", "8", "Their fte, summed."),
    c(
        "hiring_plan",
        "active_cases",
        "8",
        "Sum of their latest snapshot's active_cases dated in [as-of - 34, as-of] (0 for a worker without one).",
    ),
    c(
        "hiring_plan",
        "caseload_standard",
        "8",
        "The office's cases per full-time worker.",
    ),
    c(
        "hiring_plan",
        "required_fte",
        "8",
        "active_cases / caseload_standard.",
    ),
    c("hiring_plan", "fte_gap", "8", "required_fte - fte."),
    c(
        "hiring_plan",
        "expected_separations_12m",
        "8",
        "Sum of p_separation_12m over the office's workers in worker_risk; null where office_indicators suppresses the office's prediction.",
    ),
    c(
        "hiring_plan",
        "new_hire_attrition_12m",
        "8",
        "1 - survival at 365 days of the office's curve (the state's when under 20 spells are at risk at 365 days), at most 0.9.",
    ),
    c(
        "hiring_plan",
        "hires_needed_12m",
        "8",
        "ceil((max(fte_gap, 0) + expected separations) / (1 - new_hire_attrition_12m)); headcount x the state's predicted turnover where suppressed.",
    ),
    // tenure_bands
    c(
        "tenure_bands",
        "tenure_band",
        "3",
        "A tenure band (00-06m, 06-12m, 01-02y, 02-05y, 05y+) or ALL.",
    ),
    c(
        "tenure_bands",
        "tenure_band_order",
        "",
        "Sort key: 1 (00-06m) to 5 (05y+), 6 for ALL; join on tenure_band and order by it, since the text sorts 06-12m last.",
    ),
    c(
        "tenure_bands",
        "first_tenure_day",
        "3",
        "First day of tenure (days since the spell started) in the band; null for ALL.",
    ),
    c(
        "tenure_bands",
        "last_tenure_day",
        "3",
        "Last day of tenure in the band; null for 05y+ (no end) and ALL.",
    ),
    // columns
    c("columns", "table_name", "", "The published table."),
    c("columns", "column_name", "", "The column."),
    c(
        "columns",
        "position",
        "",
        "The column's 1-based position in its table.",
    ),
    c(
        "columns",
        "data_type",
        "",
        "The column's Arrow type (Utf8, Int64, Float64, Date32, Boolean).",
    ),
    c(
        "columns",
        "nullable",
        "",
        "Whether the column may hold nulls.",
    ),
    c(
        "columns",
        "description",
        "",
        "What the column holds: the same text as the Parquet field metadata and docs/tables.md.",
    ),
    c(
        "columns",
        "contract_section",
        "",
        "The CONTRACT.md section that defines the column; empty for a column the contract does not name.",
    ),
];

/// The columns of `table`, in order.
pub fn columns_of(table: &str) -> impl Iterator<Item = &'static ColumnDoc> {
    COLUMNS.iter().filter(move |c| c.table == table)
}

/// The description of `table.column`, if the dictionary has it.
pub fn describe(table: &str, column: &str) -> Option<&'static str> {
    columns_of(table)
        .find(|c| c.column == column)
        .map(|c| c.description)
}

fn type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Utf8 => "text".into(),
        DataType::Int64 => "int64".into(),
        DataType::Int32 => "int32".into(),
        DataType::Float64 => "float64".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Date32 => "date".into(),
        other => other.to_string(),
    }
}

/// The dictionary as Markdown: per table a `### table` heading and a table
/// `| column | type | null | description | contract |`, the type and nullability taken
/// from `schemas` (table name and the schema of its published file); a table missing from
/// `schemas` has empty type and null columns.
pub fn markdown(schemas: &[(&str, SchemaRef)]) -> String {
    render(COLUMNS, schemas)
}

/// [`markdown`] of any list of columns (each table's columns together), so that the tests
/// can render a hand-made one.
fn render(docs: &[ColumnDoc], schemas: &[(&str, SchemaRef)]) -> String {
    let mut out = String::new();
    let mut tables: Vec<&str> = docs.iter().map(|c| c.table).collect();
    tables.dedup();
    for table in tables {
        out.push_str(&format!(
            "\n### {table}\n\n| column | type | null | description | contract |\n|---|---|---|---|---|\n"
        ));
        let schema = schemas.iter().find(|(t, _)| *t == table).map(|(_, s)| s);
        for doc in docs.iter().filter(|c| c.table == table) {
            let field = schema.and_then(|s| s.field_with_name(doc.column).ok());
            let (data_type, null) = field.map_or((String::new(), ""), |f| {
                (
                    type_name(f.data_type()),
                    if f.is_nullable() { "yes" } else { "no" },
                )
            });
            let section = if doc.section.is_empty() {
                String::new()
            } else {
                format!("section {}", doc.section)
            };
            out.push_str(&format!(
                "| `{}` | {data_type} | {null} | {} | {section} |\n",
                doc.column,
                doc.description.replace('|', "\\|")
            ));
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{Field, Schema};
    use std::sync::Arc;

    #[test]
    fn every_column_once_described_as_a_sentence() {
        let mut seen = std::collections::HashSet::new();
        for c in COLUMNS {
            assert!(
                seen.insert((c.table, c.column)),
                "{}.{} twice",
                c.table,
                c.column
            );
            assert!(
                c.description.len() > 1 && c.description.ends_with('.'),
                "{}.{}",
                c.table,
                c.column
            );
            assert!(c.description.len() < 200, "{}.{}", c.table, c.column);
        }
        // Each table's columns stand together.
        let mut tables: Vec<&str> = COLUMNS.iter().map(|c| c.table).collect();
        tables.dedup();
        let mut unique = tables.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(tables.len(), unique.len());
        assert_eq!(tables.last(), Some(&"columns"));
    }

    #[test]
    fn office_indicators_start_with_their_keys() {
        let first: Vec<&str> = columns_of("office_indicators")
            .take(6)
            .map(|c| c.column)
            .collect();
        assert_eq!(
            first,
            [
                "period_type",
                "period_start",
                "period_end",
                "office_id",
                "tenure_band",
                "days"
            ]
        );
        assert_eq!(describe("offices", "nope"), None);
    }

    #[test]
    fn markdown_of_one_table_by_hand() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("office_id", DataType::Utf8, false),
            Field::new("office_name", DataType::Utf8, false),
            Field::new("region", DataType::Utf8, true),
            Field::new("caseload_standard", DataType::Int64, false),
        ]));
        let text = markdown(&[("offices", schema)]);
        let start = text.find("### offices").unwrap();
        let end = text[start..].find("\n\n### ").unwrap() + start;
        assert_eq!(
            &text[start..end],
            "### offices\n\n| column | type | null | description | contract |\n|---|---|---|---|---|\n\
             | `office_id` | text | no | The office's id. | section 1 |\n\
             | `office_name` | text | no | The office's name. | section 1 |\n\
             | `region` | text | yes | The office's region; null when the extract leaves it blank. | section 1 |\n\
             | `caseload_standard` | int64 | no | Cases per full-time worker the office's standard allows (1 to 100). | section 1 |"
        );
    }

    #[test]
    fn markdown_escapes_pipes_names_types_and_leaves_an_unwritten_table_untyped() {
        let docs = [
            c("t", "day", "3", "A day | or none."),
            c("t", "n", "", "A count."),
            c("t", "flag", "4", "A flag."),
            c("t", "amount", "5", "An amount."),
            c("u", "x", "7", "Not written."),
        ];
        let schema = Arc::new(Schema::new(vec![
            Field::new("day", DataType::Date32, true),
            Field::new("n", DataType::Int32, false),
            Field::new("flag", DataType::Boolean, false),
            Field::new("amount", DataType::Decimal128(10, 2), true),
        ]));
        let header = "| column | type | null | description | contract |\n|---|---|---|---|---|\n";
        let expected = format!(
            "\n### t\n\n{header}\
             | `day` | date | yes | A day \\| or none. | section 3 |\n\
             | `n` | int32 | no | A count. |  |\n\
             | `flag` | boolean | no | A flag. | section 4 |\n\
             | `amount` | {} | yes | An amount. | section 5 |\n\
             \n### u\n\n{header}\
             | `x` |  |  | Not written. | section 7 |\n\n",
            DataType::Decimal128(10, 2)
        );
        assert_eq!(render(&docs, &[("t", schema)]), expected);
    }
}
