//! Strict RFC 4180 framing of CSV bytes into records, with the contract's recovery rules
//! (CONTRACT.md sections 1 and 2).
//!
//! Written by hand because no CSV crate frames the way the contract requires: the `csv`
//! crate accepts a quote inside an unquoted field and text after a closing quote
//! (silently), cannot end a broken record at the physical line where the error occurs,
//! and does not report physical line numbers for records spanning lines. Here:
//! - a quote opens a quoted field only as the field's first byte;
//! - an unterminated quoted field makes the rest of the input one broken record;
//! - any other quoting error ends the record at the end of the physical line where it
//!   occurs;
//! - lines of nothing but ASCII whitespace between records are skipped;
//! - a record's line is the physical line where it starts (the first line is 1).
//!
//! The framer streams: it keeps one buffer, refills it from the reader, and re-frames a
//! record that straddles the end of the buffer, so memory stays bounded by the largest
//! record rather than the file.

use memchr::{memchr, memchr_iter, memchr3};
use std::io::{self, Read};

const CHUNK: usize = 1 << 20;

/// How a record's quoting is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    /// A quoted field is never closed; the record runs to the end of the input.
    Unterminated,
    /// Something other than a comma or line end follows a closing quote.
    TextAfterQuote,
    /// A quote appears inside an unquoted field (or after leading spaces).
    QuoteInUnquoted,
}

impl Broken {
    /// Sentence fragment for quarantine details.
    pub fn describe(self) -> &'static str {
        match self {
            Broken::Unterminated => {
                "a quoted field is never closed, so the rest of the file is one broken record"
            }
            Broken::TextAfterQuote => "text follows a closing quote",
            Broken::QuoteInUnquoted => "a quote appears inside an unquoted field",
        }
    }
}

/// One framed record, borrowed from the framer until the next call.
#[derive(Debug)]
pub struct Record<'a> {
    /// Physical line where the record starts (1-based).
    pub line: u64,
    /// Byte offset of the record in the (decompressed) stream.
    pub offset: u64,
    /// The record's bytes without its line terminator.
    pub raw: &'a [u8],
    /// Unquoted field contents, concatenated.
    pub data: &'a [u8],
    /// Byte ranges of each field within `data`.
    pub fields: &'a [(usize, usize)],
    /// Set when the quoting is broken (fields are then meaningless).
    pub broken: Option<Broken>,
}

enum Step {
    /// A record ends at `end` (exclusive of terminator); consumed through `next`.
    Record {
        end: usize,
        next: usize,
        broken: Option<Broken>,
    },
    /// A record that is exactly one physical line (no newline inside it).
    Line { end: usize, next: usize },
    /// A blank line was skipped up to `next`.
    Blank { next: usize },
    /// End of input.
    Done,
    /// The buffer does not hold the whole record yet.
    NeedMore,
}

/// What the fast path found from a record's start.
enum Scan {
    /// A quote-free line ending at `end` (before any `\r\n`), consumed through `next`;
    /// its field ranges are filled in, relative to the line's start.
    Line { end: usize, next: usize },
    /// The buffer ends before the line does (and the input has more).
    NeedMore,
    /// A quote comes before the line's end: the general path frames the record.
    Quoted,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The high bit of each byte of `word` equal to `byte` (exact: no carries between bytes).
#[inline]
fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    // A byte of x is zero iff adding 0x7f to its low seven bits leaves its high bit clear
    // and its own high bit is clear.
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// Scans the line starting at `start` eight bytes at a time for commas, quotes and its
/// line feed, recording each field's range. Written by hand (and without `unsafe`, as
/// eight-byte words rather than SIMD): the three `memchr` calls per line it replaces
/// (line end, quote, commas) cost more in setup than in scanning on lines of 30-60 bytes.
#[inline]
fn quote_free_line(buf: &[u8], start: usize, eof: bool, fields: &mut Vec<(usize, usize)>) -> Scan {
    let n = buf.len();
    let mut field = 0;
    let mut i = start;
    let stop = loop {
        if i + 8 <= n {
            let word = u64::from_le_bytes(buf[i..i + 8].try_into().expect("eight bytes"));
            let ends = bytes_equal(word, b'\n') | bytes_equal(word, b'"');
            let mut commas = bytes_equal(word, b',');
            if ends != 0 {
                // Only the commas before the first line feed or quote.
                commas &= (ends & ends.wrapping_neg()) - 1;
            }
            while commas != 0 {
                let at = i - start + (commas.trailing_zeros() / 8) as usize;
                fields.push((field, at));
                field = at + 1;
                commas &= commas - 1;
            }
            if ends != 0 {
                break Some(i + (ends.trailing_zeros() / 8) as usize);
            }
            i += 8;
        } else {
            // Fewer than eight bytes left: one at a time.
            let mut found = None;
            while i < n {
                match buf[i] {
                    b',' => {
                        fields.push((field, i - start));
                        field = i - start + 1;
                    }
                    b'\n' | b'"' => {
                        found = Some(i);
                        break;
                    }
                    _ => {}
                }
                i += 1;
            }
            break found;
        }
    };
    let (nl, next) = match stop {
        Some(k) if buf[k] == b'"' => return Scan::Quoted,
        Some(k) => (k, k + 1),
        None if eof => (n, n),
        None => return Scan::NeedMore,
    };
    let end = if nl > start && buf[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    };
    fields.push((field, end - start));
    Scan::Line { end, next }
}

/// Frames records from a byte stream.
pub struct Framer<R> {
    reader: R,
    buf: Vec<u8>,
    start: usize,
    eof: bool,
    line: u64,
    data: Vec<u8>,
    fields: Vec<(usize, usize)>,
    bom_checked: bool,
    bytes_read: u64,
    /// Bytes read per refill at least (smaller only in tests).
    chunk: usize,
    /// Whether quote-free lines take the fast path (off only in tests, which compare the
    /// two paths).
    fast: bool,
}

impl<R: Read> Framer<R> {
    /// A framer over `reader`. A leading UTF-8 BOM is skipped.
    pub fn new(reader: R) -> Self {
        Framer {
            reader,
            buf: Vec::with_capacity(CHUNK),
            start: 0,
            eof: false,
            line: 1,
            data: Vec::new(),
            fields: Vec::new(),
            bom_checked: false,
            bytes_read: 0,
            chunk: CHUNK,
            fast: true,
        }
    }

    /// Bytes consumed from the reader so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let old = self.buf.len();
        let want = self.chunk.max(old);
        self.buf.resize(old + want, 0);
        let mut got = 0;
        while got < want {
            match self.reader.read(&mut self.buf[old + got..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(old + got);
                    return Err(e);
                }
            }
        }
        self.buf.truncate(old + got);
        self.bytes_read += got as u64;
        Ok(())
    }

    /// The next record, or None at the end of the input.
    pub fn next_record(&mut self) -> io::Result<Option<Record<'_>>> {
        loop {
            if !self.bom_checked {
                while self.buf.len() < 3 && !self.eof {
                    self.fill()?;
                }
                if self.buf.starts_with(b"\xEF\xBB\xBF") {
                    self.start = 3;
                }
                self.bom_checked = true;
            }
            match self.step() {
                Step::NeedMore => self.fill()?,
                Step::Done => return Ok(None),
                Step::Blank { next } => {
                    self.line += 1;
                    self.start = next;
                }
                Step::Line { end, next } => {
                    let record = self.emit(end, next, 1, None);
                    // The fields of a quote-free line are its own bytes.
                    return Ok(Some(Record {
                        data: record.raw,
                        ..record
                    }));
                }
                Step::Record { end, next, broken } => {
                    let lines = memchr_iter(b'\n', &self.buf[self.start..next]).count() as u64;
                    return Ok(Some(self.emit(end, next, lines, broken)));
                }
            }
        }
    }

    /// Hands out the record framed from `self.start` to `end` and moves past it to
    /// `next`, which lies `lines` physical lines further on.
    fn emit(&mut self, end: usize, next: usize, lines: u64, broken: Option<Broken>) -> Record<'_> {
        let begin = self.start;
        let line = self.line;
        self.line += lines;
        self.start = next;
        Record {
            line,
            offset: self.bytes_read - (self.buf.len() - begin) as u64,
            raw: &self.buf[begin..end],
            data: &self.data,
            fields: &self.fields,
            broken,
        }
    }

    /// Frames one step from `self.start`, filling `data` and `fields`.
    fn step(&mut self) -> Step {
        let buf = &self.buf[..];
        let n = buf.len();
        let s = self.start;
        // Blank line (or trailing whitespace at the end of the input)?
        let mut i = s;
        while i < n && matches!(buf[i], b' ' | b'\t' | b'\r' | b'\x0c') {
            i += 1;
        }
        if i == n {
            return if self.eof {
                if s == n {
                    Step::Done
                } else {
                    Step::Blank { next: n }
                }
            } else {
                Step::NeedMore
            };
        }
        if buf[i] == b'\n' {
            return Step::Blank { next: i + 1 };
        }

        self.data.clear();
        self.fields.clear();

        // Fast path: a complete physical line with no quote in it is one record whose
        // fields are split by commas (most records of a machine-written extract).
        if self.fast {
            match quote_free_line(buf, s, self.eof, &mut self.fields) {
                Scan::Line { end, next } => return Step::Line { end, next },
                Scan::NeedMore => return Step::NeedMore,
                Scan::Quoted => self.fields.clear(),
            }
        }

        let mut i = s;
        loop {
            let field_start = self.data.len();
            if i < n && buf[i] == b'"' {
                // Quoted field.
                i += 1;
                loop {
                    let Some(q) = memchr(b'"', &buf[i..]) else {
                        if !self.eof {
                            return Step::NeedMore;
                        }
                        return Self::unterminated(buf);
                    };
                    let q = i + q;
                    self.data.extend_from_slice(&buf[i..q]);
                    if q + 1 == n && !self.eof {
                        return Step::NeedMore;
                    }
                    if q + 1 < n && buf[q + 1] == b'"' {
                        self.data.push(b'"');
                        i = q + 2;
                        continue;
                    }
                    i = q + 1;
                    break;
                }
                self.fields.push((field_start, self.data.len()));
                // After a closing quote: comma, line end, or end of input.
                if i == n {
                    return Step::Record {
                        end: n,
                        next: n,
                        broken: None,
                    };
                }
                match buf[i] {
                    b',' => i += 1,
                    b'\n' => {
                        return Step::Record {
                            end: i,
                            next: i + 1,
                            broken: None,
                        };
                    }
                    b'\r' if i + 1 < n && buf[i + 1] == b'\n' => {
                        return Step::Record {
                            end: i,
                            next: i + 2,
                            broken: None,
                        };
                    }
                    b'\r' if i + 1 == n && self.eof => {
                        return Step::Record {
                            end: i,
                            next: n,
                            broken: None,
                        };
                    }
                    b'\r' if i + 1 == n => return Step::NeedMore,
                    _ => return self.broken_at(i, Broken::TextAfterQuote),
                }
            } else {
                // Unquoted field: up to a comma or line end; a quote breaks it.
                match memchr3(b',', b'\n', b'"', &buf[i..]) {
                    None => {
                        if !self.eof {
                            return Step::NeedMore;
                        }
                        let end = if n > i && buf[n - 1] == b'\r' {
                            n - 1
                        } else {
                            n
                        };
                        self.data.extend_from_slice(&buf[i..end]);
                        self.fields.push((field_start, self.data.len()));
                        return Step::Record {
                            end,
                            next: n,
                            broken: None,
                        };
                    }
                    Some(k) => {
                        let k = i + k;
                        match buf[k] {
                            b',' => {
                                self.data.extend_from_slice(&buf[i..k]);
                                self.fields.push((field_start, self.data.len()));
                                i = k + 1;
                            }
                            b'\n' => {
                                let end = if k > s && buf[k - 1] == b'\r' {
                                    k - 1
                                } else {
                                    k
                                };
                                self.data.extend_from_slice(&buf[i..end.max(i)]);
                                self.fields.push((field_start, self.data.len()));
                                return Step::Record {
                                    end,
                                    next: k + 1,
                                    broken: None,
                                };
                            }
                            _ => return self.broken_at(k, Broken::QuoteInUnquoted),
                        }
                    }
                }
            }
        }
    }

    /// A quoting error at `pos`: the record ends at the end of that physical line.
    fn broken_at(&self, pos: usize, kind: Broken) -> Step {
        let buf = &self.buf[..];
        match memchr(b'\n', &buf[pos..]) {
            Some(k) => {
                let nl = pos + k;
                let end = if nl > self.start && buf[nl - 1] == b'\r' {
                    nl - 1
                } else {
                    nl
                };
                Step::Record {
                    end,
                    next: nl + 1,
                    broken: Some(kind),
                }
            }
            None if self.eof => Step::Record {
                end: buf.len(),
                next: buf.len(),
                broken: Some(kind),
            },
            None => Step::NeedMore,
        }
    }

    fn unterminated(buf: &[u8]) -> Step {
        let n = buf.len();
        let mut end = n;
        if end > 0 && buf[end - 1] == b'\n' {
            end -= 1;
            if end > 0 && buf[end - 1] == b'\r' {
                end -= 1;
            }
        }
        Step::Record {
            end,
            next: n,
            broken: Some(Broken::Unterminated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Framed = Vec<(u64, String, Result<Vec<String>, Broken>)>;

    /// (line, raw, fields or broken kind) for every record of `input`.
    fn frame(input: &[u8]) -> Framed {
        frame_with(Framer::new(input))
    }

    fn frame_with<R: Read>(mut f: Framer<R>) -> Framed {
        let mut out = Vec::new();
        while let Some(r) = f.next_record().unwrap() {
            let fields = match r.broken {
                Some(b) => Err(b),
                None => Ok(r
                    .fields
                    .iter()
                    .map(|&(a, b)| String::from_utf8_lossy(&r.data[a..b]).into_owned())
                    .collect()),
            };
            out.push((r.line, String::from_utf8_lossy(r.raw).into_owned(), fields));
        }
        out
    }

    fn ok(fields: &[&str]) -> Result<Vec<String>, Broken> {
        Ok(fields.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn plain_crlf_bom_and_blank_lines() {
        let got = frame(b"\xEF\xBB\xBFa,b\r\n\r\n  \t\n1,2\n3,\n");
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], (1, "a,b".into(), ok(&["a", "b"])));
        assert_eq!(got[1], (4, "1,2".into(), ok(&["1", "2"])));
        assert_eq!(got[2], (5, "3,".into(), ok(&["3", ""])));
    }

    #[test]
    fn quoted_fields_with_escapes_and_line_breaks() {
        let got = frame(b"h1,h2\n\"a \"\"b\"\"\",\"line1\nline2\"\nx,\"\"\n");
        assert_eq!(got[1].0, 2);
        assert_eq!(got[1].2, ok(&["a \"b\"", "line1\nline2"]));
        assert_eq!(got[2], (4, "x,\"\"".into(), ok(&["x", ""])));
    }

    #[test]
    fn last_record_without_newline() {
        assert_eq!(frame(b"a,b\n1,\"2\"")[1].2, ok(&["1", "2"]));
        assert_eq!(frame(b"a,b\n1,2")[1].2, ok(&["1", "2"]));
        assert_eq!(frame(b"a,b\n1,2\r")[1].2, ok(&["1", "2"]));
    }

    #[test]
    fn broken_quoting_ends_at_the_physical_line() {
        let got = frame(b"h\nab\"c,d\nnext\n\"ab\"c\n \"x\"\n\"q\nr\"z,\"s\nt\"\nlast\n");
        let kinds: Vec<_> = got.iter().map(|(l, _, f)| (*l, f.clone().err())).collect();
        assert_eq!(
            kinds,
            vec![
                (1, None),
                (2, Some(Broken::QuoteInUnquoted)),
                (3, None),
                (4, Some(Broken::TextAfterQuote)),
                (5, Some(Broken::QuoteInUnquoted)),
                // The error is on line 7, so the record ends there; line 8 starts anew.
                (6, Some(Broken::TextAfterQuote)),
                (8, Some(Broken::QuoteInUnquoted)),
                (9, None),
            ]
        );
        assert_eq!(got[5].1, "\"q\nr\"z,\"s");
    }

    #[test]
    fn unterminated_quote_swallows_the_rest() {
        let got = frame(b"h,i\n1,\"open\n2,3\n4,5\n");
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[1],
            (2, "1,\"open\n2,3\n4,5".into(), Err(Broken::Unterminated))
        );
    }

    #[test]
    fn records_straddling_the_buffer_are_reframed() {
        let mut input = b"id,text\n".to_vec();
        let long = "x".repeat(3 * CHUNK);
        input.extend_from_slice(format!("1,\"{long}\n\"\n2,b\n").as_bytes());
        let got = frame(&input);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].2.as_ref().unwrap()[1].len(), 3 * CHUNK + 1);
        assert_eq!(got[2].0, 4);
    }

    #[test]
    fn bytes_equal_marks_exactly_the_equal_bytes() {
        for byte in [b'\n', b'"', b',', 0, 0x80, 0xff] {
            for value in 0..=255u8 {
                let word = u64::from_le_bytes([value, byte, 0x7f, 0x80, value ^ 1, byte, 0, 0xff]);
                let got = bytes_equal(word, byte);
                let want = word
                    .to_le_bytes()
                    .iter()
                    .enumerate()
                    .filter(|&(_, b)| *b == byte)
                    .fold(0u64, |m, (k, _)| m | 0x80 << (8 * k));
                assert_eq!(got, want, "byte {byte:#x}, value {value:#x}");
            }
        }
    }

    proptest::proptest! {
        /// The eight-byte fast path frames every input exactly as the general path does,
        /// whatever the bytes and wherever the refills split them.
        #[test]
        fn the_fast_path_frames_as_the_general_path(
            input in proptest::collection::vec(
                proptest::sample::select(
                    b"ab,,,\"\n\r \t\xc3\xa9".to_vec()
                ),
                0..200,
            ),
            chunk in 1usize..24,
        ) {
            let general = {
                let mut f = Framer::new(&input[..]);
                f.fast = false;
                frame_with(f)
            };
            // Small refills, so that records straddle the buffer's end at every offset.
            let mut f = Framer::new(&input[..]);
            f.chunk = chunk;
            let fast = frame_with(f);
            proptest::prop_assert_eq!(fast, general);
        }
    }
}
