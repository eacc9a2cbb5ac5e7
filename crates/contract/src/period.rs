//! The reporting periods of CONTRACT.md section 5, which sections 3, 6 and 9 also use:
//! the history window (`history_months` calendar months ending with as-of's month) and
//! the trailing 12 months ending on as-of.

use crate::date::Day;

/// First day of the history window: the 1st of the month `history_months - 1` months
/// before as-of's month.
pub fn window_start(as_of: Day, history_months: u32) -> Day {
    as_of.month_start().add_months(1 - history_months as i32)
}

/// First day of the trailing-12-month period ending on `as_of`: as-of minus 12 calendar
/// months (clamped to the month's end) plus one day.
pub fn trailing_start(as_of: Day) -> Day {
    as_of.add_months(-12).add_days(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Day {
        Day::from_ymd(y, m, d).unwrap()
    }

    /// CONTRACT.md section 5: `history_months` calendar months ending with as-of's month.
    #[test]
    fn the_window_is_whole_months_ending_with_as_ofs() {
        assert_eq!(window_start(day(2025, 6, 17), 120), day(2015, 7, 1));
        assert_eq!(window_start(day(2025, 6, 30), 1), day(2025, 6, 1));
        assert_eq!(window_start(day(2024, 1, 31), 13), day(2023, 1, 1));
    }

    /// CONTRACT.md section 5: (as-of minus 12 calendar months, clamped to the month's
    /// end) plus one day.
    #[test]
    fn trailing_period_clamps_to_month_end() {
        // 2024-02-29 minus 12 months = 2023-02-28, plus one day.
        assert_eq!(trailing_start(day(2024, 2, 29)), day(2023, 3, 1));
        assert_eq!(trailing_start(day(2025, 6, 30)), day(2024, 7, 1));
        assert_eq!(trailing_start(day(2024, 3, 31)), day(2023, 4, 1));
    }
}
