//! Invariants of CONTRACT.md section 2 over arbitrary input: ingest never panics, every
//! record is counted once (rows_read = accepted + quarantined), and no two rows share a
//! line (a record's line is where it starts, and records do not overlap).

use crate::reasons::{JOB_HISTORY, OFFICES};
use crate::support::{Inbox, Staff, csv, staff};
use proptest::prelude::*;
use retention_contract::Source;
use retention_contract::rows::SnapshotRow;
use retention_ingest::{IngestError, ingest};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// The agency's offices and workers, read once.
fn agency_staff() -> &'static Staff {
    static STAFF: OnceLock<Staff> = OnceLock::new();
    STAFF.get_or_init(|| {
        let inbox = Inbox::new();
        inbox
            .write("offices.csv", csv(OFFICES))
            .write("job_history.csv", csv(JOB_HISTORY));
        staff(&inbox).0
    })
}

const HEADER: &str = "worker_id,snapshot_date,active_cases,new_assignments,removals\n";

const VALID: &str = "worker_id,snapshot_date,active_cases,new_assignments,removals\n\
a01,2024-01-01,5,1,0\n\
a01,2024-01-02,6,,\n\
\"a01\",\"2024-01-03\",\"7\",\"\",\"\"\n\
a01,1/4/2024,8,2,1\r\n\
a01,2024-01-05,9,0,0\n";

/// Reads `bytes` as caseload_snapshots and checks the accounting invariants.
fn check(bytes: &[u8]) -> Result<(u64, u64), TestCaseError> {
    let inbox = Inbox::new();
    inbox.write("caseload_snapshots.csv", bytes);
    let staff = agency_staff();
    let outcome = match ingest::<SnapshotRow>(
        inbox.file(Source::CaseloadSnapshots),
        &staff.context(),
        false,
        &|_| {},
    ) {
        Ok(outcome) => outcome,
        Err(err) => {
            // Only the header can stop a CSV from being read.
            prop_assert!(
                matches!(
                    err,
                    IngestError::Empty { .. }
                        | IngestError::BadHeader { .. }
                        | IngestError::DuplicateColumn { .. }
                        | IngestError::MissingColumns { .. }
                        | IngestError::WrongSeparator { .. }
                ),
                "{err:?}"
            );
            return Ok((0, 0));
        }
    };
    prop_assert_eq!(
        outcome.rows_read,
        outcome.rows_accepted() + outcome.rows_quarantined()
    );
    prop_assert_eq!(outcome.lines.len(), outcome.accepted.len());
    let accepted: BTreeSet<u64> = outcome.lines.iter().map(|&l| u64::from(l)).collect();
    let refused: BTreeSet<u64> = outcome.quarantine.iter().map(|q| q.line).collect();
    prop_assert_eq!(
        accepted.len(),
        outcome.accepted.len(),
        "accepted lines are distinct"
    );
    prop_assert_eq!(
        refused.len(),
        outcome.quarantine.len(),
        "quarantined lines are distinct"
    );
    prop_assert!(
        accepted.is_disjoint(&refused),
        "accepted {:?} and quarantined {:?} share a line",
        accepted,
        refused
    );
    // Every record starts on a physical line of the file, after the header.
    let physical_lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    prop_assert!(
        accepted
            .iter()
            .chain(&refused)
            .all(|&l| (2..=physical_lines).contains(&l))
    );
    prop_assert!(
        outcome.quarantine.windows(2).all(|w| w[0].line < w[1].line),
        "quarantine in line order"
    );
    Ok((outcome.rows_accepted(), outcome.rows_quarantined()))
}

/// Bytes that matter to the framer, plus anything at all.
fn soup_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(&b"\",\n\r \t\x0ca01-/59"[..]),
        1 => prop::sample::select(&[0xEF, 0xBB, 0xBF, 0xC3, 0xFF, 0x80][..]),
        1 => any::<u8>(),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, u8),
    Delete(usize),
    Replace(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let byte = || prop::sample::select(&b"\",\n\r \xff\xc3\xa9x"[..]);
    prop_oneof![
        (any::<usize>(), byte()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), byte()).prop_map(|(i, b)| Mutation::Replace(i, b)),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        match *m {
            Mutation::Insert(i, b) => {
                let at = i % (bytes.len() + 1);
                bytes.insert(at, b);
            }
            Mutation::Delete(i) if !bytes.is_empty() => {
                let at = i % bytes.len();
                bytes.remove(at);
            }
            Mutation::Replace(i, b) if !bytes.is_empty() => {
                let at = i % bytes.len();
                bytes[at] = b;
            }
            _ => {}
        }
    }
    bytes
}

#[test]
fn the_unmutated_file_is_fully_accepted() {
    assert_eq!(check(VALID.as_bytes()).unwrap(), (5, 0));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn byte_soup_is_counted_exactly(with_header in any::<bool>(), soup in prop::collection::vec(soup_byte(), 0..300)) {
        let mut bytes = if with_header { HEADER.as_bytes().to_vec() } else { Vec::new() };
        bytes.extend(soup);
        check(&bytes)?;
    }

    #[test]
    fn mutated_snapshot_files_are_counted_exactly(mutations in prop::collection::vec(mutation(), 1..8)) {
        let bytes = mutate(VALID.as_bytes().to_vec(), &mutations);
        let (accepted, refused) = check(&bytes)?;
        // A mutation touches at most one byte, so it can disturb at most a couple of
        // records (plus everything after an opened quote); untouched rows stay accepted
        // unless the header itself was broken.
        prop_assert!(accepted + refused <= 5 + mutations.len() as u64, "{} + {}", accepted, refused);
    }
}
