//! The code lists of CONTRACT.md section 1. Codes are matched case-insensitively and
//! written back in upper case.

macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vdoc])* #[doc = $text] $variant),+ }

        impl $name {
            /// Every value, in the contract's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The upper-case code.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Matches a trimmed field case-insensitively.
            pub fn parse(text: &str) -> Option<$name> {
                $(if text.eq_ignore_ascii_case($text) { return Some($name::$variant); })+
                None
            }

            /// The allowed values joined for error messages.
            pub fn allowed() -> &'static str {
                concat!($($text, " "),+).trim_ascii_end()
            }
        }
    };
}

code_enum!(
    /// job_history.action
    Action { Hire = "HIRE", Rehire = "REHIRE", Transfer = "TRANSFER", Termination = "TERMINATION" }
);
code_enum!(
    /// job_history.role
    Role { Caseworker = "CASEWORKER", Investigator = "INVESTIGATOR", Supervisor = "SUPERVISOR", Other = "OTHER" }
);
code_enum!(
    /// job_history.reason (on TERMINATION)
    TermReason { Voluntary = "VOLUNTARY", Involuntary = "INVOLUNTARY", Retirement = "RETIREMENT", Other = "OTHER" }
);
code_enum!(
    /// supervision_sessions.format
    SessionFormat { Individual = "INDIVIDUAL", Group = "GROUP" }
);
code_enum!(
    /// supervision_sessions.focus
    Focus { Case = "CASE", Retention = "RETENTION", PeerSupport = "PEER_SUPPORT", Other = "OTHER" }
);
code_enum!(
    /// survey_responses.instrument
    Instrument { Stss = "STSS", Proqol5 = "PROQOL5", Brs = "BRS" }
);
code_enum!(
    /// program_enrollments.program
    Program {
        ResilienceAlliance = "RESILIENCE_ALLIANCE",
        SupportGroup = "SUPPORT_GROUP",
        RetentionSupervision = "RETENTION_SUPERVISION",
        Other = "OTHER",
    }
);

impl Instrument {
    /// Number of items of the instrument (the item range is 1..=items).
    pub fn items(self) -> u8 {
        match self {
            Instrument::Stss => 17,
            Instrument::Proqol5 => 30,
            Instrument::Brs => 6,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_case_insensitively_but_not_loosely() {
        assert_eq!(Action::parse("hire"), Some(Action::Hire));
        assert_eq!(Action::parse("ReHiRe"), Some(Action::Rehire));
        assert_eq!(Action::parse("HIRED"), None);
        assert_eq!(
            Program::parse("resilience_alliance"),
            Some(Program::ResilienceAlliance)
        );
        assert_eq!(Role::allowed(), "CASEWORKER INVESTIGATOR SUPERVISOR OTHER");
        assert_eq!(Instrument::Proqol5.items(), 30);
    }
}
