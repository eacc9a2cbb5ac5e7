//! Tenure bands of CONTRACT.md section 3: tenure on d = d - spell_start in days.

/// A tenure band. The derive order is the contract's band order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TenureBand {
    /// tenure < 183 days
    M00To06,
    /// tenure < 365 days
    M06To12,
    /// tenure < 730 days
    Y01To02,
    /// tenure < 1826 days
    Y02To05,
    /// everything longer
    Y05Plus,
}

impl TenureBand {
    /// Every band, in order.
    pub const ALL: [TenureBand; 5] = [
        TenureBand::M00To06,
        TenureBand::M06To12,
        TenureBand::Y01To02,
        TenureBand::Y02To05,
        TenureBand::Y05Plus,
    ];

    /// The band for a tenure in days (`d - spell_start`).
    pub fn from_tenure_days(days: i32) -> TenureBand {
        match days {
            ..183 => TenureBand::M00To06,
            183..365 => TenureBand::M06To12,
            365..730 => TenureBand::Y01To02,
            730..1826 => TenureBand::Y02To05,
            _ => TenureBand::Y05Plus,
        }
    }

    /// The published label.
    pub fn label(self) -> &'static str {
        match self {
            TenureBand::M00To06 => "00-06m",
            TenureBand::M06To12 => "06-12m",
            TenureBand::Y01To02 => "01-02y",
            TenureBand::Y02To05 => "02-05y",
            TenureBand::Y05Plus => "05y+",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TenureBand::*;
    use super::*;

    /// CONTRACT.md section 3, band edges.
    #[test]
    fn band_edges() {
        let cases = [
            (0, M00To06),
            (182, M00To06),
            (183, M06To12),
            (364, M06To12),
            (365, Y01To02),
            (729, Y01To02),
            (730, Y02To05),
            (1825, Y02To05),
            (1826, Y05Plus),
            (20000, Y05Plus),
        ];
        for (days, band) in cases {
            assert_eq!(TenureBand::from_tenure_days(days), band, "{days} days");
        }
        assert_eq!(Y05Plus.label(), "05y+");
    }
}
