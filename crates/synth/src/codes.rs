//! The code lists and quarantine reasons the generator writes, taken from the contract
//! crate so that they are defined in one place (CONTRACT.md sections 1 and 2).
//!
//! `SeparationReason` is the contract's `TermReason` under the name the simulation uses.

pub(crate) use retention_contract::{
    Action, Focus, Instrument, Program, Reason, Role, SessionFormat, TermReason as SeparationReason,
};
