//! Stage `model`: the risk model of CONTRACT.md section 9 ([`crate::risk`]). It fits the
//! hazard model twice, on the history up to as-of (for `worker_risk`) and up to
//! train_end = as-of - 365 (the backtest of `model_evaluation`), predicts, and sums the
//! driver scenarios and each office's staff for `risk_drivers` and `hiring_plan`. Those
//! two tables, and the predicted columns of `office_indicators`, are finished by the SQL
//! stage, after suppression, which they follow.

use crate::error::PipelineError;
use crate::risk::{self, Driver, Model, Predicted, RiskInputs};
use crate::risk_tables::{DriverSum, OfficeNames, Staffing};
use crate::run::RunRequest;
use crate::stage::derive::Derived;
use crate::stage::ingest::Ingested;
use arrow::array::RecordBatch;
use retention_contract::Day;
use std::time::Instant;
use tracing::{info, warn};

/// What the model stage hands on.
pub struct Risk {
    /// The workers of worker_risk, in worker key order.
    pub predicted: Vec<Predicted>,
    /// `worker_risk`.
    pub worker_risk: RecordBatch,
    /// `model_evaluation`.
    pub model_evaluation: RecordBatch,
    /// Per office index, per driver (in [`Driver::ALL`] order): the sums.
    pub drivers: Vec<[DriverSum; 4]>,
    /// Per office index: its staff on as-of.
    pub staffing: Vec<Staffing>,
    /// caseload_standard per office index.
    pub standards: Vec<u8>,
    /// Milliseconds the stage took.
    pub elapsed_ms: u64,
}

/// Fits, predicts and backtests.
pub fn run(
    request: &RunRequest<'_>,
    ingested: &Ingested,
    derived: &Derived,
) -> Result<Risk, PipelineError> {
    let started = Instant::now();
    let checked = &ingested.checked;
    let settings = &request.config.settings;
    let standards = caseload_standards(ingested);
    let inputs = risk_inputs(ingested, derived, &standards, settings);
    let fit_error = |step: &'static str| {
        move |e: retention_models::logistic::FitError| PipelineError::Internal {
            step,
            message: e.to_string(),
        }
    };
    let as_of = request.as_of;
    let train_end = as_of.add_days(-365);
    // The two fits are independent: the backtest's runs on a thread beside the nightly's.
    let (nightly, backtest) = std::thread::scope(|scope| {
        let backtest = scope.spawn(|| backtest(&inputs, train_end));
        let model = risk::fit(&inputs, as_of).map_err(fit_error("the risk model's fit"));
        (
            model,
            backtest.join().expect("the backtest thread panicked"),
        )
    });
    let model = nightly?;
    // The backtest only scores the model: a fit it cannot make leaves model_evaluation
    // empty, with the reason in the log, and the night's tables are published.
    let backtest = backtest.unwrap_or_else(|e| {
        warn!(error = %e, "the backtest's model could not be fitted: model_evaluation has no rows tonight");
        None
    });
    log_model("nightly", &model);
    if model.coefficients.is_none() {
        warn!(
            months = model.training.months,
            separations = model.training.events,
            p_separation_12m = 1.0 - (1.0 - model.constant).powi(12),
            "the risk model's training months hold no separation, or nothing but separations: there is nothing to fit, and every worker gets the same p_separation_12m"
        );
    }
    let fitted_at = started.elapsed();
    let predicted = risk::predict(&inputs, &model, as_of);

    let offices = OfficeNames {
        ids: &checked.office_set().ids,
    };
    let tiers = (settings.risk_tier_elevated, settings.risk_tier_high);
    let worker_risk =
        crate::risk_tables::worker_risk(&predicted, &derived.names.keys, &offices, tiers);
    let evaluations = match &backtest {
        Some(b) => crate::risk_tables::evaluations(b, &offices, i64::from(settings.min_group_size)),
        None => Vec::new(),
    };
    let model_evaluation = crate::risk_tables::model_evaluation(&evaluations, train_end);
    if let Some(state) = evaluations.first() {
        info!(
            train_end = %train_end,
            n = state.n,
            events = state.events,
            predicted_events = state.predicted_events,
            auc = state.auc,
            brier = state.brier,
            calibration_slope = state.calibration_slope,
            "backtest"
        );
    }

    let drivers = driver_sums(&predicted, &model, settings, standards.len());
    let staffing = staffing(&inputs, &predicted, as_of, standards.len());
    tracing::debug!(
        fits_ms = fitted_at.as_millis() as u64,
        predictions_and_scenarios_ms = (started.elapsed() - fitted_at).as_millis() as u64,
        "model stage"
    );
    let elapsed_ms = started.elapsed().as_millis() as u64;
    info!(
        elapsed_ms,
        workers = predicted.len(),
        expected_separations = predicted.iter().map(|w| w.p).sum::<f64>(),
        "risk model fitted, backtested and scored"
    );
    Ok(Risk {
        predicted,
        worker_risk,
        model_evaluation,
        drivers,
        staffing,
        standards,
        elapsed_ms,
    })
}

/// caseload_standard of each office index.
fn caseload_standards(ingested: &Ingested) -> Vec<u8> {
    ingested
        .checked
        .offices
        .accepted
        .iter()
        .map(|o| o.caseload_standard)
        .collect()
}

/// What the model is built from, out of what ingest and derive made.
fn risk_inputs<'a>(
    ingested: &'a Ingested,
    derived: &'a Derived,
    standards: &'a [u8],
    settings: &crate::config::Settings,
) -> RiskInputs<'a> {
    RiskInputs {
        roster: ingested.checked.roster(),
        names: &derived.names,
        standards,
        facts: &derived.facts,
        surveys: &derived.surveyed,
        history_months: settings.history_months,
        supervision_minutes: settings.supervision_minutes,
        supervision_individual_minutes: settings.supervision_individual_minutes,
    }
}

fn log_model(which: &str, model: &Model) {
    let t = model.training;
    info!(
        model = which,
        training_months = t.months,
        separations = t.events,
        kept = t.kept,
        share_kept = t.share_kept,
        newton_steps = t.iterations,
        "risk model fitted"
    );
}

/// The backtest's predictions on train_end, or None (with a log line) when fewer than 12
/// calendar months ending on or before it hold a day on which some worker was employed.
fn backtest(
    inputs: &RiskInputs<'_>,
    train_end: Day,
) -> Result<Option<Vec<Predicted>>, retention_models::logistic::FitError> {
    let months = risk::months_with_staff(inputs.roster, train_end);
    if months < 12 {
        info!(
            train_end = %train_end,
            months_with_staff = months,
            "no backtest: fewer than 12 calendar months ending on or before train_end hold a day on which some worker was employed; model_evaluation has no rows"
        );
        return Ok(None);
    }
    let model = risk::fit(inputs, train_end)?;
    log_model("backtest", &model);
    let predicted = risk::predict(inputs, &model, train_end);
    for (decile, (n, p, observed)) in risk::deciles(&predicted).into_iter().enumerate() {
        tracing::debug!(
            decile = decile + 1,
            workers = n,
            mean_p = p,
            separated = observed,
            "backtest calibration"
        );
    }
    Ok(Some(predicted))
}

/// Each office's predicted and scenario sums per driver.
fn driver_sums(
    predicted: &[Predicted],
    model: &Model,
    settings: &crate::config::Settings,
    offices: usize,
) -> Vec<[DriverSum; 4]> {
    let medians: [Option<f64>; 3] = std::array::from_fn(|i| {
        risk::median(predicted.iter().filter_map(|w| w.features.scores[i]))
    });
    let policy_hours = f64::from(settings.supervision_minutes) / 60.0;
    let mut sums = vec![[DriverSum::default(); 4]; offices];
    for w in predicted {
        let office = &mut sums[w.features.office as usize];
        for (d, driver) in Driver::ALL.iter().enumerate() {
            let scenario = driver.apply(&w.features, &medians, policy_hours);
            office[d].headcount += 1;
            office[d].predicted += w.p;
            office[d].scenario += model.p_12m(&scenario);
        }
    }
    sums
}

/// Each office's headcount, fte and active cases on as-of (every worker employed on
/// as-of), and the sum of p of its workers in worker_risk.
pub(crate) fn staffing(
    inputs: &RiskInputs<'_>,
    predicted: &[Predicted],
    as_of: Day,
    offices: usize,
) -> Vec<Staffing> {
    let mut out = vec![Staffing::default(); offices];
    for &w in &inputs.names.order {
        let Some(spell) = inputs.roster.spell_on(w, as_of) else {
            continue;
        };
        let segment = spell.segment_on(as_of);
        let s = &mut out[segment.office.0 as usize];
        s.headcount += 1;
        s.fte += segment.fte;
        let snapshots = inputs.facts.snapshots.of(w);
        let upto = snapshots.partition_point(|x| x.0 <= as_of);
        if let Some(&(day, cases)) = snapshots[..upto].last()
            && day.0 >= as_of.0 - 34
        {
            s.active_cases += i64::from(cases);
        }
    }
    for w in predicted {
        out[w.features.office as usize].expected += w.p;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PipelineConfig;
    use crate::risk::DENSE_COLUMNS;
    use crate::run::Silent;
    use std::path::Path;

    const KEY: &[u8] = b"test-key";

    fn request<'a>(inbox: &Path, as_of: Day) -> RunRequest<'a> {
        RunRequest {
            inbox: inbox.to_path_buf(),
            as_of,
            config: PipelineConfig::parse("", Path::new("(defaults)")).unwrap(),
            pipeline_file: None,
            accept: Vec::new(),
            new_pseudonym_key: false,
            progress: &Silent,
        }
    }

    /// Ingests and derives, then hands the model's inputs to `with`.
    fn with_inputs<T>(
        inbox: &Path,
        as_of: Day,
        with: impl FnOnce(&RiskInputs<'_>, &Derived) -> T,
    ) -> T {
        let request = request(inbox, as_of);
        let mut ingested = crate::stage::ingest::run(&request, Some(KEY)).unwrap();
        let derived = crate::stage::derive::run(&request, &mut ingested, Ok(KEY.to_vec())).unwrap();
        let standards = caseload_standards(&ingested);
        let inputs = risk_inputs(&ingested, &derived, &standards, &request.config.settings);
        with(&inputs, &derived)
    }

    fn generate(dir: &Path, as_of: Day) -> retention_synth::GeneratedInbox {
        let spec = retention_synth::AgencySpec {
            workers: 1500,
            years: 5,
            offices: 8,
            seed: 11,
            as_of: as_of.naive(),
            faults: 0.0,
        };
        retention_synth::generate(&spec, dir, &mut |_| {}).unwrap()
    }

    fn backtest_by_key(inbox: &Path, as_of: Day) -> Vec<(String, u64)> {
        with_inputs(inbox, as_of, |inputs, derived| {
            let train_end = as_of.add_days(-365);
            let model = risk::fit(inputs, train_end).unwrap();
            risk::predict(inputs, &model, train_end)
                .iter()
                .map(|w| (derived.names.keys[w.worker as usize].clone(), w.p.to_bits()))
                .collect()
        })
    }

    fn parse_day(text: &str) -> Option<Day> {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .or_else(|_| chrono::NaiveDate::parse_from_str(text, "%m/%d/%Y"))
            .ok()
            .map(Day::from_naive)
    }

    /// Rewrites `file` of `inbox`: rows whose `date_column` is after `cutoff` are deleted,
    /// and a `blank_column` date after it is emptied.
    fn forget_after(
        inbox: &Path,
        file: &str,
        date_column: usize,
        blank: Option<usize>,
        cutoff: Day,
    ) {
        let path = inbox.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut out = String::new();
        for (i, line) in text.lines().enumerate() {
            let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
            if i > 0 {
                if parse_day(&fields[date_column]).is_some_and(|d| d > cutoff) {
                    continue;
                }
                if let Some(b) = blank
                    && parse_day(&fields[b]).is_some_and(|d| d > cutoff)
                {
                    fields[b].clear();
                }
            }
            out.push_str(&fields.join(","));
            out.push('\n');
        }
        std::fs::write(&path, out).unwrap();
    }

    /// CONTRACT.md section 9: the backtest sees nothing after train_end. Deleting every row
    /// dated after it (and emptying end dates after it) leaves every prediction bit for bit
    /// as it was.
    #[test]
    fn rows_after_train_end_do_not_change_the_backtest() {
        let dir = tempfile::tempdir().unwrap();
        let as_of = Day::from_ymd(2026, 6, 30).unwrap();
        generate(dir.path(), as_of);
        let before = backtest_by_key(dir.path(), as_of);
        assert!(before.len() > 1000, "{}", before.len());
        let train_end = as_of.add_days(-365);
        forget_after(dir.path(), "job_history.csv", 1, None, train_end);
        forget_after(dir.path(), "caseload_snapshots.csv", 1, None, train_end);
        forget_after(dir.path(), "supervision_sessions.csv", 3, None, train_end);
        forget_after(dir.path(), "survey_responses.csv", 2, None, train_end);
        forget_after(dir.path(), "program_enrollments.csv", 3, Some(4), train_end);
        let after = backtest_by_key(dir.path(), as_of);
        assert_eq!(before.len(), after.len());
        assert!(before == after, "a backtest prediction changed");
    }

    /// On a generated agency with a known hazard, the fitted coefficients have the
    /// generator's signs: new hires leave more, a caseload above standard, missed
    /// supervision and secondary traumatic stress raise the hazard, resilience and a
    /// completed program lower it. The backtest is calibrated and beats chance.
    #[test]
    fn recovered_coefficients_have_the_generators_signs() {
        let dir = tempfile::tempdir().unwrap();
        let as_of = Day::from_ymd(2026, 6, 30).unwrap();
        let truth = generate(dir.path(), as_of).truth;
        let (model, evaluation) = with_inputs(dir.path(), as_of, |inputs, _| {
            let model = risk::fit(inputs, as_of).unwrap();
            let train_end = as_of.add_days(-365);
            let backtest = risk::predict(inputs, &risk::fit(inputs, train_end).unwrap(), train_end);
            let ids: Vec<Box<str>> = (0..inputs.standards.len())
                .map(|i| format!("O{i}").into())
                .collect();
            let offices = OfficeNames { ids: &ids };
            (
                model,
                crate::risk_tables::evaluations(&backtest, &offices, 5),
            )
        });
        let beta = model.coefficients.expect("separations to fit");
        let coefficient = |name: &str| beta[DENSE_COLUMNS.iter().position(|c| *c == name).unwrap()];
        assert!(coefficient("tenure >= 1 year") < 0.0);
        assert!(coefficient("caseload ratio - 1 (clamped to -1..2)") > 0.0);
        // The supervision the generator draws is the month's own, missed more often by
        // stressed workers: last month's compliance stands for that propensity.
        assert!(coefficient("supervision compliant last month") < 0.0);
        assert!(
            coefficient("supervision compliant last month")
                + coefficient("supervision compliant share, last 3 months")
                < 0.0
        );
        assert!(coefficient("(sts_total - 30) / 10") > 0.0);
        assert!(coefficient("brs_mean - 3") < 0.0);
        assert!(coefficient("completed a program in the last 2 years") < 0.0);
        let state = &evaluation[0];
        let (events, predicted) = (
            state.events.unwrap() as f64,
            state.predicted_events.unwrap(),
        );
        assert!(
            (predicted - events).abs() < 0.15 * events,
            "{predicted} vs {events}"
        );
        assert!(state.auc.unwrap() > 0.6, "{:?}", state.auc);
        // The generator's own probabilities on the same workers are the ceiling.
        assert_eq!(state.n as u64, truth.workers);
        let ceiling = truth.auc.unwrap();
        assert!(
            state.auc.unwrap() >= 0.9 * ceiling,
            "AUC {:?}, the truth's {ceiling}",
            state.auc
        );
    }
}
