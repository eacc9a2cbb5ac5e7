//! The code lists of CONTRACT.md section 1 that the generator writes, and the fifteen
//! quarantine reasons of section 2 that it can be asked to provoke.
//!
//! They are kept here as small `Copy` enums rather than strings so the simulation can carry
//! them cheaply; `code()` gives the upper-case spelling the contract matches against.

/// A job_history action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Hire,
    Rehire,
    Transfer,
    Termination,
}

impl Action {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Action::Hire => "HIRE",
            Action::Rehire => "REHIRE",
            Action::Transfer => "TRANSFER",
            Action::Termination => "TERMINATION",
        }
    }
}

/// A worker's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Caseworker,
    Investigator,
    Supervisor,
    Other,
}

impl Role {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Role::Caseworker => "CASEWORKER",
            Role::Investigator => "INVESTIGATOR",
            Role::Supervisor => "SUPERVISOR",
            Role::Other => "OTHER",
        }
    }
}

/// The reason on a TERMINATION.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SeparationReason {
    Voluntary,
    Involuntary,
    Retirement,
    Other,
}

impl SeparationReason {
    pub(crate) const ALL: [SeparationReason; 4] = [
        SeparationReason::Voluntary,
        SeparationReason::Involuntary,
        SeparationReason::Retirement,
        SeparationReason::Other,
    ];

    pub(crate) fn code(self) -> &'static str {
        match self {
            SeparationReason::Voluntary => "VOLUNTARY",
            SeparationReason::Involuntary => "INVOLUNTARY",
            SeparationReason::Retirement => "RETIREMENT",
            SeparationReason::Other => "OTHER",
        }
    }
}

/// A supervision session's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SessionFormat {
    Individual,
    Group,
}

impl SessionFormat {
    pub(crate) fn code(self) -> &'static str {
        match self {
            SessionFormat::Individual => "INDIVIDUAL",
            SessionFormat::Group => "GROUP",
        }
    }
}

/// A supervision session's focus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Focus {
    Case,
    Retention,
    PeerSupport,
    Other,
}

impl Focus {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Focus::Case => "CASE",
            Focus::Retention => "RETENTION",
            Focus::PeerSupport => "PEER_SUPPORT",
            Focus::Other => "OTHER",
        }
    }
}

/// A survey instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Instrument {
    Stss,
    Proqol5,
    Brs,
}

impl Instrument {
    pub(crate) const ALL: [Instrument; 3] =
        [Instrument::Stss, Instrument::Proqol5, Instrument::Brs];

    pub(crate) fn code(self) -> &'static str {
        match self {
            Instrument::Stss => "STSS",
            Instrument::Proqol5 => "PROQOL5",
            Instrument::Brs => "BRS",
        }
    }

    /// Number of items; items are numbered 1..=items.
    pub(crate) fn items(self) -> u8 {
        match self {
            Instrument::Stss => 17,
            Instrument::Proqol5 => 30,
            Instrument::Brs => 6,
        }
    }
}

/// A support program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Program {
    ResilienceAlliance,
    SupportGroup,
    RetentionSupervision,
}

impl Program {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Program::ResilienceAlliance => "RESILIENCE_ALLIANCE",
            Program::SupportGroup => "SUPPORT_GROUP",
            Program::RetentionSupervision => "RETENTION_SUPERVISION",
        }
    }
}

/// A quarantine reason of CONTRACT.md section 2, in precedence order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Reason {
    MalformedRow,
    MissingRequired,
    BadId,
    BadDate,
    BadNumber,
    UnknownCode,
    OutOfRange,
    FutureDated,
    Duplicate,
    DuplicateKey,
    InconsistentResponse,
    UnknownOffice,
    UnknownWorker,
    InvalidTransition,
    NotEmployed,
}

impl Reason {
    pub(crate) fn code(self) -> &'static str {
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
}
