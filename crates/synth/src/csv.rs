//! Writing one source file: field formatting without per-field allocation, RFC 4180
//! quoting, and the [`Sink`] that interleaves injected bad rows with the clean ones while
//! counting physical lines for `expected_quarantine.csv`.
//!
//! Every record the generator writes is exactly one physical line (no line breaks inside
//! quoted fields), so a record's line number is simply the count of lines written.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::SynthError;
use crate::codes::Reason;

/// How a row is spelled. Every variant parses to the same values under the contract, so
/// clean rows may use them to exercise parsers, and DUPLICATE rows to differ in bytes only.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Look {
    /// Dates as `M/D/YYYY`.
    pub us_date: bool,
    /// Codes in lower case.
    pub lower: bool,
    /// The first field quoted although it needs no quoting.
    pub quote: bool,
    /// Small integers with a leading zero, decimals with a trailing zero.
    pub pad: bool,
    /// A space either side of every unquoted field.
    pub spaces: bool,
}

impl Look {
    /// The look of a clean row from one random word: about 2% of rows get US dates, 2%
    /// lower-case codes and 0.5% a quoted first field.
    pub(crate) fn clean(r: u32) -> Look {
        Look {
            us_date: r.is_multiple_of(50),
            lower: (r >> 8).is_multiple_of(50),
            quote: (r >> 16).is_multiple_of(200),
            pad: false,
            spaces: false,
        }
    }
}

/// The fields of one record, in one buffer.
#[derive(Default)]
pub(crate) struct Fields {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

/// Appends the id every source file gives simulated worker `worker`: `W` and its number
/// plus one, zero-padded to six digits (more when needed).
pub(crate) fn push_worker_id(buf: &mut Vec<u8>, worker: u32) {
    buf.push(b'W');
    push_uint(buf, worker as u64 + 1, 6);
}

fn push_uint(buf: &mut Vec<u8>, mut n: u64, min_width: usize) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in (tmp.len() - i)..min_width {
        buf.push(b'0');
    }
    buf.extend_from_slice(&tmp[i..]);
}

impl Fields {
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    fn end(&mut self) {
        self.ends.push(self.bytes.len());
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// The fields as owned byte strings, for mutation into a bad row.
    pub(crate) fn to_vecs(&self) -> Vec<Vec<u8>> {
        (0..self.len()).map(|i| self.get(i).to_vec()).collect()
    }

    pub(crate) fn empty(&mut self) {
        self.end();
    }

    pub(crate) fn text(&mut self, s: &str) {
        self.bytes.extend_from_slice(s.as_bytes());
        self.end();
    }

    /// An id made of a prefix and a zero-padded number, like `W000123` or `OFF007`.
    pub(crate) fn id(&mut self, prefix: &str, n: u64, width: usize) {
        self.bytes.extend_from_slice(prefix.as_bytes());
        push_uint(&mut self.bytes, n, width);
        self.end();
    }

    /// A worker id: `W` and six digits (more when needed).
    pub(crate) fn worker(&mut self, worker: u32) {
        push_worker_id(&mut self.bytes, worker);
        self.end();
    }

    /// An office id.
    pub(crate) fn office(&mut self, office: u16) {
        self.id("OFF", office as u64 + 1, 3);
    }

    pub(crate) fn int(&mut self, n: u64, look: Look) {
        push_uint(&mut self.bytes, n, if look.pad { 2 } else { 1 });
        self.end();
    }

    pub(crate) fn opt_int(&mut self, n: Option<u32>, look: Look) {
        match n {
            Some(n) => self.int(n as u64, look),
            None => self.empty(),
        }
    }

    /// fte in tenths, as a decimal.
    pub(crate) fn fte(&mut self, tenths: u8, look: Look) {
        push_uint(&mut self.bytes, tenths as u64 / 10, 1);
        self.bytes.push(b'.');
        push_uint(&mut self.bytes, tenths as u64 % 10, 1);
        if look.pad {
            self.bytes.push(b'0');
        }
        self.end();
    }

    pub(crate) fn code(&mut self, code: &str, look: Look) {
        if look.lower {
            self.bytes
                .extend(code.bytes().map(|b| b.to_ascii_lowercase()));
        } else {
            self.bytes.extend_from_slice(code.as_bytes());
        }
        self.end();
    }

    pub(crate) fn date(&mut self, d: NaiveDate, look: Look) {
        push_date(&mut self.bytes, d, look.us_date);
        self.end();
    }

    pub(crate) fn opt_date(&mut self, d: Option<NaiveDate>, look: Look) {
        match d {
            Some(d) => self.date(d, look),
            None => self.empty(),
        }
    }
}

/// Appends a date as `YYYY-MM-DD`, or `M/D/YYYY` when `us` is set.
pub(crate) fn push_date(buf: &mut Vec<u8>, d: NaiveDate, us: bool) {
    if us {
        push_uint(buf, d.month() as u64, 1);
        buf.push(b'/');
        push_uint(buf, d.day() as u64, 1);
        buf.push(b'/');
        push_uint(buf, d.year() as u64, 4);
    } else {
        push_uint(buf, d.year() as u64, 4);
        buf.push(b'-');
        push_uint(buf, d.month() as u64, 2);
        buf.push(b'-');
        push_uint(buf, d.day() as u64, 2);
    }
}

/// A date as text in the contract's ISO form.
pub(crate) fn date_text(d: NaiveDate) -> Vec<u8> {
    let mut buf = Vec::with_capacity(10);
    push_date(&mut buf, d, false);
    buf
}

fn needs_quotes(field: &[u8]) -> bool {
    field
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

/// Appends one CSV record (no line end) from its fields, quoting where RFC 4180 needs it.
pub(crate) fn push_record<'a>(
    out: &mut Vec<u8>,
    fields: impl Iterator<Item = &'a [u8]>,
    look: Look,
) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if needs_quotes(f) || (look.quote && i == 0) {
            out.push(b'"');
            for &b in f {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        } else if look.spaces {
            out.push(b' ');
            out.extend_from_slice(f);
            out.push(b' ');
        } else {
            out.extend_from_slice(f);
        }
    }
}

/// A record from owned fields with ordinary quoting.
pub(crate) fn record(fields: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    push_record(
        &mut out,
        fields.iter().map(|f| f.as_slice()),
        Look::default(),
    );
    out
}

/// A record from owned fields joined by commas with no quoting at all (for broken quoting).
pub(crate) fn raw_record(fields: &[Vec<u8>]) -> Vec<u8> {
    fields.join(&b","[..])
}

/// One row type of one source.
pub(crate) trait Record: Clone {
    /// Writes the row's fields in header order.
    fn render(&self, look: Look, fields: &mut Fields);
}

/// The fault side of one source: which reasons can be provoked, and how.
pub(crate) trait Source {
    /// The clean row type.
    type Row: Record;
    /// File stem.
    const NAME: &'static str;
    /// Header, in column order.
    const HEADER: &'static [&'static str];
    /// Every reason that can apply to this source: one row of each is injected, unless the
    /// source's bad-row budget (see [`Sink`]) has no room for them all.
    const REASONS: &'static [Reason];
    /// Sees every clean row as it is written (when faults are on).
    fn observe(&mut self, _row: &Self::Row) {}
    /// Called once after the last clean row.
    fn end_of_rows(&mut self) {}
    /// A bad record (no line end) that the contract quarantines with exactly `reason`, given
    /// the most recent clean rows (oldest first); None when it cannot be made yet.
    fn bad(
        &mut self,
        reason: Reason,
        rng: &mut ChaCha8Rng,
        recent: &VecDeque<Self::Row>,
    ) -> Option<Vec<u8>>;
}

/// What a finished source reports.
pub(crate) struct SourceSummary {
    pub name: &'static str,
    /// Data records written, clean and injected.
    pub records: u64,
    /// (line, reason) of every injected row.
    pub expected: Vec<(u64, Reason)>,
}

const RECENT_ROWS: usize = 64;

/// The pipeline refuses a source of at least this many rows whose quarantined share is over
/// `max_quarantine_share` (default 0.05); smaller sources are never refused.
const SHARE_CHECKED_FROM: u64 = 100;
/// The most bad rows a checked source may hold, as a share of its rows: below the default
/// 0.05, so that a generated inbox never fails the share check, whatever its size.
pub(crate) const MAX_BAD_SHARE: f64 = 0.04;

/// Writes one source file, injecting bad rows at random positions when faults are on.
///
/// The budget: a source expected to reach [`SHARE_CHECKED_FROM`] rows never holds more bad
/// rows than [`MAX_BAD_SHARE`] of the rows written so far. A guaranteed row that finds no
/// room waits for more clean rows, and is dropped at the end if room never comes (120
/// offices take 5 of their 7 reasons); a random one is skipped. A source expected to stay
/// smaller takes one row of every reason, and is held in memory until it ends: if it did
/// reach [`SHARE_CHECKED_FROM`] rows after all (the estimate is only an estimate), bad rows
/// are taken out, repeated reasons first, until the budget holds.
pub(crate) struct Sink<S: Source> {
    source: S,
    path: PathBuf,
    out: BufWriter<File>,
    lines: u64,
    records: u64,
    clean: u64,
    rate: f64,
    fault_rng: ChaCha8Rng,
    look_rng: ChaCha8Rng,
    recent: VecDeque<S::Row>,
    /// Whether the bad-row budget applies.
    budgeted: bool,
    /// A source expected to stay small: its records (and whether each is bad), held until
    /// the end so that bad rows can still be taken out.
    held: Option<Vec<(Vec<u8>, Option<Reason>)>>,
    /// (clean-row count after which to inject, reason), latest target first.
    pending: Vec<(u64, Reason)>,
    expected: Vec<(u64, Reason)>,
    fields: Fields,
    line: Vec<u8>,
}

impl<S: Source> Sink<S> {
    /// Creates `dir/<name>.csv` and writes its header. `expected_rows` places the one
    /// guaranteed row per reason; a low estimate only moves them earlier.
    pub(crate) fn create(
        dir: &Path,
        source: S,
        seed: u64,
        rate: f64,
        expected_rows: u64,
    ) -> Result<Self, SynthError> {
        let path = dir.join(format!("{}.csv", S::NAME));
        let file = File::create(&path).map_err(|e| SynthError::io(&path, e))?;
        let stream = crate::noise::mix(
            seed ^ crate::noise::mix(S::NAME.len() as u64 * 7919 + S::HEADER.len() as u64),
        );
        let mut fault_rng = ChaCha8Rng::seed_from_u64(stream ^ 0xFA17);
        let look_rng = ChaCha8Rng::seed_from_u64(stream ^ 0x100C);
        let mut pending = Vec::new();
        if rate > 0.0 {
            for &reason in S::REASONS {
                pending.push((fault_rng.random_range(0..expected_rows.max(1)), reason));
            }
            pending.sort_by(|a, b| b.cmp(a));
        }
        let mut sink = Sink {
            source,
            path,
            out: BufWriter::with_capacity(1 << 20, file),
            lines: 0,
            records: 0,
            clean: 0,
            rate,
            fault_rng,
            look_rng,
            recent: VecDeque::with_capacity(RECENT_ROWS),
            budgeted: expected_rows >= SHARE_CHECKED_FROM,
            held: None,
            pending,
            expected: Vec::new(),
            fields: Fields::default(),
            line: Vec::with_capacity(256),
        };
        sink.line.extend_from_slice(S::HEADER.join(",").as_bytes());
        sink.emit()?;
        sink.records = 0;
        if !sink.budgeted && rate > 0.0 {
            sink.held = Some(Vec::new());
        }
        Ok(sink)
    }

    fn emit(&mut self) -> Result<(), SynthError> {
        self.line.push(b'\n');
        match &mut self.held {
            Some(held) => held.push((self.line.clone(), None)),
            None => self
                .out
                .write_all(&self.line)
                .map_err(|e| SynthError::io(&self.path, e))?,
        }
        self.lines += 1;
        self.records += 1;
        Ok(())
    }

    /// Writes one clean row, then perhaps some bad ones.
    pub(crate) fn write(&mut self, row: S::Row) -> Result<(), SynthError> {
        let look = Look::clean(self.look_rng.random());
        self.fields.clear();
        row.render(look, &mut self.fields);
        self.line.clear();
        push_record(
            &mut self.line,
            (0..self.fields.len()).map(|i| self.fields.get(i)),
            look,
        );
        self.emit()?;
        self.clean += 1;
        if self.rate > 0.0 {
            self.source.observe(&row);
            if self.recent.len() == RECENT_ROWS {
                self.recent.pop_front();
            }
            self.recent.push_back(row);
            self.inject()?;
        }
        Ok(())
    }

    fn write_bad(&mut self, line: Vec<u8>, reason: Reason) -> Result<(), SynthError> {
        self.line = line;
        self.emit()?;
        if let Some(last) = self.held.as_mut().and_then(|h| h.last_mut()) {
            last.1 = Some(reason);
        }
        self.expected.push((self.lines, reason));
        Ok(())
    }

    /// Writes a held source out, first taking out bad rows if it reached the share check
    /// with more than its budget: repeated reasons first, latest first.
    fn release(&mut self, mut held: Vec<(Vec<u8>, Option<Reason>)>) -> Result<(), SynthError> {
        let total = held.len();
        let bad = held.iter().filter(|(_, r)| r.is_some()).count();
        if total as u64 >= SHARE_CHECKED_FROM {
            let mut keep_bad = bad;
            // The most bad rows of `total - taken` records the budget allows.
            let fits =
                |bad: usize, taken: usize| bad as f64 <= MAX_BAD_SHARE * (total - taken) as f64;
            let mut taken = vec![false; total];
            let mut count = 0;
            for repeated_only in [true, false] {
                for i in (0..total).rev() {
                    if fits(keep_bad, count) {
                        break;
                    }
                    let Some(reason) = held[i].1 else { continue };
                    if taken[i] {
                        continue;
                    }
                    let seen = (0..total)
                        .filter(|&j| !taken[j] && held[j].1 == Some(reason))
                        .count();
                    if repeated_only && seen < 2 {
                        continue;
                    }
                    taken[i] = true;
                    keep_bad -= 1;
                    count += 1;
                }
            }
            let mut i = 0;
            held.retain(|_| {
                i += 1;
                !taken[i - 1]
            });
        }
        // Line 1 is the header.
        self.expected.clear();
        for (k, (line, reason)) in held.iter().enumerate() {
            self.out
                .write_all(line)
                .map_err(|e| SynthError::io(&self.path, e))?;
            if let Some(reason) = reason {
                self.expected.push((k as u64 + 2, *reason));
            }
        }
        self.records = held.len() as u64;
        Ok(())
    }

    /// Whether one more bad row keeps the source within its budget.
    fn room(&self) -> bool {
        !self.budgeted
            || (self.expected.len() + 1) as f64 <= MAX_BAD_SHARE * (self.records + 1) as f64
    }

    fn inject(&mut self) -> Result<(), SynthError> {
        while let Some(&(target, reason)) = self.pending.last() {
            if target >= self.clean || !self.room() {
                break;
            }
            match self.source.bad(reason, &mut self.fault_rng, &self.recent) {
                Some(line) => {
                    self.pending.pop();
                    self.write_bad(line, reason)?;
                }
                None => break,
            }
        }
        if self.fault_rng.random_bool(self.rate) && self.room() {
            let reason = S::REASONS[self.fault_rng.random_range(0..S::REASONS.len())];
            if let Some(line) = self.source.bad(reason, &mut self.fault_rng, &self.recent) {
                self.write_bad(line, reason)?;
            }
        }
        Ok(())
    }

    /// Writes any guaranteed bad rows not yet placed, flushes, and reports.
    pub(crate) fn finish(mut self) -> Result<SourceSummary, SynthError> {
        self.source.end_of_rows();
        while let Some((_, reason)) = self.pending.pop() {
            if !self.room() {
                break;
            }
            if let Some(line) = self.source.bad(reason, &mut self.fault_rng, &self.recent) {
                self.write_bad(line, reason)?;
            }
        }
        if let Some(held) = self.held.take() {
            self.release(held)?;
        }
        self.out
            .flush()
            .map_err(|e| SynthError::io(&self.path, e))?;
        Ok(SourceSummary {
            name: S::NAME,
            records: self.records,
            expected: self.expected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelled(look: Look, fill: impl FnOnce(&mut Fields)) -> String {
        let mut f = Fields::default();
        fill(&mut f);
        let mut out = Vec::new();
        push_record(&mut out, (0..f.len()).map(|i| f.get(i)), look);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fields_needing_quotes_get_rfc4180_quoting() {
        let line = spelled(Look::default(), |f| {
            f.text("Lake County Office, Main Street");
            f.text(r#"say "hi""#);
            f.text("plain");
            f.empty();
        });
        assert_eq!(
            line,
            r#""Lake County Office, Main Street","say ""hi""",plain,"#
        );
    }

    #[test]
    fn looks_change_spelling_not_value() {
        let d = NaiveDate::from_ymd_opt(2021, 3, 5).unwrap();
        let fill = |f: &mut Fields, look: Look| {
            f.worker(41);
            f.date(d, look);
            f.code("HIRE", look);
            f.int(7, look);
            f.fte(8, look);
        };
        let plain = Look::default();
        assert_eq!(
            spelled(plain, |f| fill(f, plain)),
            "W000042,2021-03-05,HIRE,7,0.8"
        );
        let odd = Look {
            us_date: true,
            lower: true,
            quote: true,
            pad: true,
            spaces: false,
        };
        assert_eq!(
            spelled(odd, |f| fill(f, odd)),
            r#""W000042",3/5/2021,hire,07,0.80"#
        );
        let spaced = Look {
            spaces: true,
            ..Look::default()
        };
        assert_eq!(
            spelled(spaced, |f| fill(f, spaced)),
            " W000042 , 2021-03-05 , HIRE , 7 , 0.8 "
        );
    }

    #[test]
    fn ids_are_zero_padded_and_grow_past_their_width() {
        let line = spelled(Look::default(), |f| {
            f.office(6);
            f.id("S", 123, 7);
            f.worker(1_234_566);
        });
        assert_eq!(line, "OFF007,S0000123,W1234567");
    }
}
