//! The fifteen quarantine reasons of CONTRACT.md section 2, in precedence order: when
//! several apply to a row, the one that sorts first is recorded.

use std::fmt;

/// Why a row was refused. The derive order is the contract's precedence order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// 1: field count differs from the header, invalid UTF-8, or broken quoting.
    MalformedRow,
    /// 2: a required field (including conditional ones) is missing.
    MissingRequired,
    /// 3: an id does not match the id pattern, or is `ALL`.
    BadId,
    /// 4: a date does not parse, or is not a real calendar date.
    BadDate,
    /// 5: an integer or decimal does not parse.
    BadNumber,
    /// 6: a code is not one of the allowed values.
    UnknownCode,
    /// 7: a number or date is outside its range.
    OutOfRange,
    /// 8: a date is after as-of (end_date excepted).
    FutureDated,
    /// 9: every contract column equals an earlier row that passed 1-8.
    Duplicate,
    /// 10: same key as an earlier row that passed 1-9, different values.
    DuplicateKey,
    /// 11: survey row disagreeing with the first row of its response_id.
    InconsistentResponse,
    /// 12: office_id not among accepted offices.
    UnknownOffice,
    /// 13: worker_id has no accepted job_history row.
    UnknownWorker,
    /// 14: job_history row impossible in the worker's history.
    InvalidTransition,
    /// 15: the row's date lies outside every employment spell of the worker.
    NotEmployed,
}

impl Reason {
    /// Every reason, in precedence order.
    pub const ALL: [Reason; 15] = [
        Reason::MalformedRow,
        Reason::MissingRequired,
        Reason::BadId,
        Reason::BadDate,
        Reason::BadNumber,
        Reason::UnknownCode,
        Reason::OutOfRange,
        Reason::FutureDated,
        Reason::Duplicate,
        Reason::DuplicateKey,
        Reason::InconsistentResponse,
        Reason::UnknownOffice,
        Reason::UnknownWorker,
        Reason::InvalidTransition,
        Reason::NotEmployed,
    ];

    /// The code written to the `quarantine.reason` column.
    pub fn code(self) -> &'static str {
        match self {
            Reason::MalformedRow => "MALFORMED_ROW",
            Reason::MissingRequired => "MISSING_REQUIRED",
            Reason::BadId => "BAD_ID",
            Reason::BadDate => "BAD_DATE",
            Reason::BadNumber => "BAD_NUMBER",
            Reason::UnknownCode => "UNKNOWN_CODE",
            Reason::OutOfRange => "OUT_OF_RANGE",
            Reason::FutureDated => "FUTURE_DATED",
            Reason::Duplicate => "DUPLICATE",
            Reason::DuplicateKey => "DUPLICATE_KEY",
            Reason::InconsistentResponse => "INCONSISTENT_RESPONSE",
            Reason::UnknownOffice => "UNKNOWN_OFFICE",
            Reason::UnknownWorker => "UNKNOWN_WORKER",
            Reason::InvalidTransition => "INVALID_TRANSITION",
            Reason::NotEmployed => "NOT_EMPLOYED",
        }
    }

    /// Parses a reason code (exact, upper case).
    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_follows_the_contract_numbering() {
        assert_eq!(Reason::ALL.len(), 15);
        assert!(Reason::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(Reason::ALL[0].code(), "MALFORMED_ROW");
        assert_eq!(Reason::ALL[14].code(), "NOT_EMPLOYED");
        for r in Reason::ALL {
            assert_eq!(Reason::from_code(r.code()), Some(r));
        }
    }
}
