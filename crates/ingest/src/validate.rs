//! The per-source validation driver: frames records, applies rules 1-15 of CONTRACT.md
//! section 2 in precedence order, and keeps exact counts.
//!
//! Rules 1-8 look at one row (the contract crate). Rules 9-11 compare a row with earlier
//! rows of its source that passed the rules before them, so every row that passed 1-8 is
//! kept as a *candidate* and indexed by full value and by key; later refusals (10-15)
//! stay candidates because the contract counts them for the earlier rules. Rules 12, 13
//! and 15 consult the offices and the roster, which exist before these sources are read
//! because sources are validated in order. Rule 14 needs a worker's whole history and is
//! applied afterwards by the job_history step.

use crate::error::IngestError;
use crate::fast::{FastLookup, Grouped};
use crate::input::{SourceFile, SourceReader};
use crate::intern::{Interner, same_text};
use crate::keys::KeyIndex;
use crate::roster::{OfficeSet, Roster};
use retention_contract::rows::{Refusal, RowContext};
use retention_contract::{Day, Instrument, Reason, Source, Sym};
use std::path::PathBuf;

/// One refused row, as published in the `quarantine` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRow {
    /// Source name.
    pub source: Source,
    /// Physical line where the record starts (Parquet: 1-based row number).
    pub line: u64,
    /// Reason code.
    pub reason: Reason,
    /// A sentence naming the field and value.
    pub detail: String,
    /// The record's text (invalid UTF-8 shown as U+FFFD).
    pub raw: String,
}

/// What the other sources are checked against.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Per-row rules' context (as-of).
    pub row: RowContext,
    /// Accepted offices (rule 12).
    pub offices: Option<&'a OfficeSet>,
    /// Accepted workers and spells (rules 13 and 15).
    pub roster: Option<&'a Roster>,
}

/// Everything learned from one source.
#[derive(Debug)]
pub struct Outcome<R> {
    /// The source.
    pub source: Source,
    /// The file read.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Records read (header and blank lines excluded).
    pub rows_read: u64,
    /// Accepted rows, in file order.
    pub accepted: Vec<R>,
    /// The latest [`retention_contract::rows::SourceRow::activity_date`] of the accepted rows (the *stale* run
    /// guard), kept as rows are accepted so that no second pass over them is needed.
    pub latest_activity: Option<Day>,
    /// Line of each accepted row.
    pub lines: Vec<u32>,
    /// Text of each accepted row (kept only when asked for: job_history, which can
    /// still refuse rows after the stream has ended).
    pub raws: Vec<String>,
    /// Refused rows, in file order.
    pub quarantine: Vec<QuarantineRow>,
    /// Ids of this source's rows.
    pub ids: Interner,
    /// Worker index in the roster for each worker symbol of `ids` (None: not a worker id
    /// or unknown).
    pub worker_of: Vec<Option<u32>>,
    /// Warnings about the file (unknown columns).
    pub warnings: Vec<String>,
}

impl<R> Outcome<R> {
    /// Rows accepted.
    pub fn rows_accepted(&self) -> u64 {
        self.accepted.len() as u64
    }

    /// Rows quarantined.
    pub fn rows_quarantined(&self) -> u64 {
        self.quarantine.len() as u64
    }

    /// Roster index of an accepted row's worker symbol.
    pub fn worker(&self, sym: Sym) -> u32 {
        self.worker_of[sym.0 as usize].expect("accepted rows name known workers")
    }
}

/// Reads and validates one source file.
pub fn ingest<R: Grouped>(
    file: SourceFile,
    ctx: &Context<'_>,
    keep_raw: bool,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Outcome<R>, IngestError> {
    let mut reader = SourceReader::open(file)?;
    let source = reader.file.source;
    let columns = reader.columns.clone();
    // Only a plain CSV's size predicts its row count (gz is compressed, Parquet encoded).
    let file_size = if reader.file.format == crate::input::Format::Csv {
        reader.file_size()
    } else {
        0
    };
    let warnings = columns
        .unknown
        .iter()
        .map(|name| {
            format!(
                "{}: column {name:?} is not in the contract and is ignored",
                reader.file.path.display()
            )
        })
        .collect();
    let mut lookup = FastLookup::default();
    let mut candidates: Vec<R> = Vec::new();
    let mut candidate_lines: Vec<u32> = Vec::new();
    let mut accepted_flags: Vec<bool> = Vec::new();
    let mut keys = KeyIndex::default();
    let mut sized = false;
    let mut responses: Vec<Option<(Sym, Day, Instrument)>> = Vec::new();
    // Roster index per symbol, looked up on a worker symbol's first row.
    const NOT_LOOKED_UP: u32 = u32::MAX;
    const UNKNOWN: u32 = u32::MAX - 1;
    let mut roster_index: Vec<u32> = Vec::new();
    // Per roster worker, the first and last day of the spell that placed their row last.
    let mut last_spell: Vec<(Day, Day)> =
        vec![(Day(0), Day(-1)); ctx.roster.map_or(0, Roster::len)];
    // The last row that passed rules 2-8 starting a group, and its group columns' text
    // (column k's is `group_text[group_ends[k]..group_ends[k + 1]]`).
    let mut group: Option<R> = None;
    let mut group_text = String::new();
    let mut group_ends = [0usize; 9];
    let mut quarantine = Vec::new();
    let mut raws = Vec::new();
    let mut rows_read = 0u64;
    let mut latest_activity: Option<Day> = None;
    let width = columns.position.len();
    let mut last_progress = 0u64;
    let mut progress_due = false;

    while let Some(rec) = reader.next_record()? {
        rows_read += 1;
        if !sized && rows_read == 4096 {
            // Reserve for the whole file from the first records' average length, so the
            // large vectors and the key table do not double (and briefly double their
            // memory) as they grow.
            sized = true;
            let consumed = rec.offset;
            if consumed > 0 {
                let estimate = (file_size as f64 / consumed as f64 * 4096.0 * 1.02) as usize;
                candidates.reserve(estimate.saturating_sub(candidates.len()));
                candidate_lines.reserve(estimate.saturating_sub(candidate_lines.len()));
                accepted_flags.reserve(estimate.saturating_sub(accepted_flags.len()));
                keys.reserve(estimate.saturating_sub(candidates.len()));
                // Distinct ids grow about in proportion to rows (session ids are nearly
                // all new; response ids every dozen rows): room for as many as the first
                // records suggest spares the interner's rehashing as it grows.
                let per_row = lookup.ids.len() as f64 / 4096.0;
                lookup.ids.reserve(
                    ((estimate as f64 * per_row * 1.1) as usize).saturating_sub(lookup.ids.len()),
                );
            }
        }
        let line = rec.line;
        let refuse = |reason: Reason, detail: String| QuarantineRow {
            source,
            line,
            reason,
            detail,
            raw: String::from_utf8_lossy(rec.raw).into_owned(),
        };
        if let Some(broken) = rec.broken {
            quarantine.push(refuse(
                Reason::MalformedRow,
                format!("broken quoting: {}", broken.describe()),
            ));
            continue;
        }
        // The record's bytes are checked, not only the unquoted data: two fields holding
        // halves of one character concatenate into valid UTF-8 in `data`. A quote-free
        // line's data is its raw bytes, checked once.
        let raw = std::str::from_utf8(rec.raw);
        let text = if std::ptr::eq(rec.data, rec.raw) {
            raw
        } else {
            raw.and_then(|_| std::str::from_utf8(rec.data))
        };
        let Ok(text) = text else {
            quarantine.push(refuse(
                Reason::MalformedRow,
                not_utf8(source, &columns.position, &rec),
            ));
            continue;
        };
        if rec.fields.len() != columns.width {
            let detail = format!(
                "the record has {} fields but the header has {}",
                rec.fields.len(),
                columns.width
            );
            quarantine.push(refuse(Reason::MalformedRow, detail));
            continue;
        }
        // A stack array: no source has more than eight contract columns.
        let mut fields: [&str; 8] = [""; 8];
        for (slot, p) in fields.iter_mut().zip(&columns.position) {
            if let Some(i) = p {
                let (a, b) = rec.fields[*i];
                *slot = text[a..b].trim_ascii();
            }
        }
        // A row repeating the group columns of the last row that passed rules 2-8 has
        // only its other columns checked (a response's items, a session's attendees).
        let in_group = group.as_ref().is_some_and(|_| {
            R::GROUP
                .iter()
                .zip(group_ends.windows(2))
                .all(|(&c, w)| same_text(fields[c].as_bytes(), &group_text.as_bytes()[w[0]..w[1]]))
        });
        let validated = match &group {
            Some(group) if in_group => {
                R::validate_in_group(group, &fields[..width], &ctx.row, &mut lookup)
            }
            _ => R::validate(&fields[..width], &ctx.row, &mut lookup),
        };
        let row = match validated {
            Ok(row) => {
                if !in_group && !R::GROUP.is_empty() {
                    group_text.clear();
                    for (&c, end) in R::GROUP.iter().zip(&mut group_ends[1..]) {
                        group_text.push_str(fields[c]);
                        *end = group_text.len();
                    }
                    group = Some(row.clone());
                }
                row
            }
            Err(Refusal { reason, detail }) => {
                quarantine.push(refuse(reason, detail));
                continue;
            }
        };

        // Rules 9 and 10, against the earlier rows that passed 1-8 (exact copies are not
        // kept: they equal a kept row).
        if let Some(earlier) = keys.earlier(&candidates, &row) {
            if let Some(equal) = earlier.first_equal {
                let detail = format!(
                    "every field equals line {}",
                    candidate_lines[equal as usize]
                );
                quarantine.push(refuse(Reason::Duplicate, detail));
                continue;
            }
            let index = candidates.len() as u32;
            keys.add(&candidates, index, &row);
            candidates.push(row);
            candidate_lines.push(u32::try_from(line).unwrap_or(u32::MAX));
            accepted_flags.push(false);
            let names = key_columns(source);
            let detail = format!(
                "{names} equals that of line {} but other values differ",
                candidate_lines[earlier.first_with_key as usize]
            );
            quarantine.push(refuse(Reason::DuplicateKey, detail));
            continue;
        }
        // What rules 11-15 need is taken from the row before it is stored: reading it
        // back from `candidates` would wait for earlier (cache-missing) stores to commit.
        let (response, office, employment) = (row.response(), row.office(), row.employment());
        let activity = row.activity_date();
        let index = candidates.len() as u32;
        keys.add(&candidates, index, &row);
        candidates.push(row);
        candidate_lines.push(u32::try_from(line).unwrap_or(u32::MAX));
        accepted_flags.push(false);

        // Rule 11: a response's rows agree on worker, date and instrument.
        if let Some((response, header)) = response {
            let slot = response.0 as usize;
            if responses.len() <= slot {
                responses.resize(slot + 1, None);
            }
            match responses[slot] {
                None => responses[slot] = Some(header),
                Some(first) if first != header => {
                    let what = if first.0 != header.0 {
                        format!(
                            "worker_id {:?} differs from {:?}",
                            lookup.ids.resolve(header.0),
                            lookup.ids.resolve(first.0)
                        )
                    } else if first.1 != header.1 {
                        format!("administered_on {} differs from {}", header.1, first.1)
                    } else {
                        format!(
                            "instrument {} differs from {}",
                            header.2.code(),
                            first.2.code()
                        )
                    };
                    let detail = format!(
                        "response_id {:?}: {what} on its first row",
                        lookup.ids.resolve(response)
                    );
                    quarantine.push(refuse(Reason::InconsistentResponse, detail));
                    continue;
                }
                Some(_) => {}
            }
        }

        // Rule 12: the office must be an accepted office.
        if let (Some(office), Some(offices)) = (office, ctx.offices) {
            let id = lookup.ids.resolve(office);
            if offices.get(id).is_none() {
                quarantine.push(refuse(
                    Reason::UnknownOffice,
                    format!("office_id {id:?} is not an accepted office"),
                ));
                continue;
            }
        }

        // Rules 13 and 15: a known worker, employed on the row's date.
        if let (Some((worker, day)), Some(roster)) = (employment, ctx.roster) {
            let slot = worker.0 as usize;
            if roster_index.len() <= slot {
                roster_index.resize(lookup.ids.len(), NOT_LOOKED_UP);
            }
            if roster_index[slot] == NOT_LOOKED_UP {
                roster_index[slot] = roster.worker(lookup.ids.resolve(worker)).unwrap_or(UNKNOWN);
            }
            let w = roster_index[slot];
            if w == UNKNOWN {
                let id = lookup.ids.resolve(worker);
                quarantine.push(refuse(
                    Reason::UnknownWorker,
                    format!("worker_id {id:?} has no accepted job_history row"),
                ));
                continue;
            }
            // The worker's spell found last answers most of their rows.
            let (first, last) = last_spell[w as usize];
            let employed = if first <= day && day <= last {
                true
            } else if let Some(period) = roster.period_on(w, day) {
                last_spell[w as usize] = period;
                true
            } else {
                false
            };
            if !employed {
                let id = lookup.ids.resolve(worker);
                let column = source
                    .columns()
                    .iter()
                    .find(|c| c.name.ends_with("date") || c.name == "administered_on");
                let column = column.map_or("date", |c| c.name);
                let detail =
                    format!("{column} {day} lies outside every employment spell of worker {id:?}");
                quarantine.push(refuse(Reason::NotEmployed, detail));
                continue;
            }
        }

        accepted_flags[index as usize] = true;
        latest_activity = latest_activity.max(activity);
        if keep_raw {
            raws.push(String::from_utf8_lossy(rec.raw).into_owned());
        }
        if rows_read - last_progress >= 65_536 {
            last_progress = rows_read;
            progress_due = true;
        }
        if progress_due {
            progress_due = false;
            progress(reader.progress());
        }
    }
    progress(reader.progress());
    drop(keys);

    let mut flags = accepted_flags.iter();
    candidate_lines.retain(|_| *flags.next().expect("one flag per candidate"));
    let mut flags = accepted_flags.iter();
    candidates.retain(|_| *flags.next().expect("one flag per candidate"));
    roster_index.resize(lookup.ids.len(), NOT_LOOKED_UP);
    let worker_of = roster_index
        .into_iter()
        .map(|w| (w < UNKNOWN).then_some(w))
        .collect();
    Ok(Outcome {
        source,
        path: reader.file.path.clone(),
        sha256: reader.sha256(),
        rows_read,
        accepted: candidates,
        lines: candidate_lines,
        raws,
        quarantine,
        ids: lookup.ids,
        worker_of,
        warnings,
        latest_activity,
    })
}

/// The detail of a record that is not UTF-8: the column holding the first bad byte, and
/// what the file most likely is (kept out of the hot loop: only refused records get here).
#[cold]
fn not_utf8(source: Source, position: &[Option<usize>], rec: &crate::frame::Record<'_>) -> String {
    let (bytes, offset) = match std::str::from_utf8(rec.data) {
        Err(e) => (rec.data, e.valid_up_to()),
        // Each field is valid alone but the record's bytes are not: a character split
        // across two fields.
        Ok(_) => (
            rec.raw,
            std::str::from_utf8(rec.raw)
                .err()
                .map_or(0, |e| e.valid_up_to()),
        ),
    };
    let field = rec
        .fields
        .iter()
        .position(|&(a, b)| a <= offset && offset < b);
    let column = field.map_or_else(
        || "a field".to_string(),
        |i| {
            position
                .iter()
                .position(|p| *p == Some(i))
                .map_or(format!("column {}", i + 1), |k| {
                    format!("column {}", source.columns()[k].name)
                })
        },
    );
    let byte = bytes.get(offset).copied().unwrap_or(0);
    let zeros = rec.raw.iter().filter(|b| **b == 0).count();
    let guess = if zeros * 4 >= rec.raw.len() && zeros > 0 {
        "it looks like UTF-16 text"
    } else if byte >= 0x80 {
        "it looks like Windows-1252 (or Latin-1) text"
    } else {
        "it is not text in a known encoding"
    };
    format!(
        "the record is not valid UTF-8 ({column}, byte 0x{byte:02X}); {guess}: re-export the file as UTF-8"
    )
}

fn key_columns(source: Source) -> &'static str {
    match source {
        Source::Offices => "office_id",
        Source::JobHistory => "(worker_id, effective_date)",
        Source::CaseloadSnapshots => "(worker_id, snapshot_date)",
        Source::SupervisionSessions => "(session_id, worker_id)",
        Source::SurveyResponses => "(response_id, item)",
        Source::ProgramEnrollments => "(worker_id, program, cohort_id)",
    }
}
