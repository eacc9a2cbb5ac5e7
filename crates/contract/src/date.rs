//! Calendar dates as whole days since 1970-01-01: the same number Arrow's Date32 stores,
//! so dates move from validation to Parquet without conversion. Calendar arithmetic
//! (months, leap years) is delegated to chrono, except turning a year, month and day into
//! a day number: validation does that for every date of every row (tens of millions on a
//! large night), and chrono's general constructor was a noticeable share of it, so it is
//! the short civil-calendar formula below, tested against chrono for every day of ten
//! thousand years.

use chrono::{Datelike, Months, NaiveDate};
use std::fmt;

const EPOCH_CE_DAYS: i32 = 719_163; // NaiveDate(1970-01-01).num_days_from_ce()

/// A calendar date with no time of day and no time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
    /// The date for a year, month and day, if it is a real calendar date (proleptic
    /// Gregorian, years 0 to 9999).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        if !(0..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let month_days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if day > month_days {
            return None;
        }
        // Days from civil (H. Hinnant): years start in March, so the leap day ends one.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let year_of_era = (y - era * 400) as u32;
        let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        Some(Day(era * 146_097 + day_of_era as i32 - 719_468))
    }

    /// Converts from chrono.
    pub fn from_naive(date: NaiveDate) -> Day {
        Day(date.num_days_from_ce() - EPOCH_CE_DAYS)
    }

    /// The day as an unsigned number in the same order (for order checks on keys).
    pub fn order(self) -> u32 {
        (self.0 as u32) ^ 0x8000_0000
    }

    /// Converts to chrono.
    pub fn naive(self) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(self.0 + EPOCH_CE_DAYS)
            .expect("date within chrono's range")
    }

    /// Days since 1970-01-01 (Arrow Date32).
    pub fn days_since_epoch(self) -> i32 {
        self.0
    }

    /// The date `n` days later (earlier when negative).
    pub fn add_days(self, n: i32) -> Day {
        Day(self.0 + n)
    }

    /// The 1st of this date's month.
    pub fn month_start(self) -> Day {
        let d = self.naive();
        Day::from_ymd(d.year(), d.month(), 1).expect("1st of a month")
    }

    /// The last day of this date's month.
    pub fn month_end(self) -> Day {
        self.month_start().add_months(1).add_days(-1)
    }

    /// Adds calendar months; a day that does not exist in the target month is clamped to
    /// that month's last day (Jan 31 + 1 month = Feb 28/29).
    pub fn add_months(self, months: i32) -> Day {
        let d = self.naive();
        let moved = if months >= 0 {
            d.checked_add_months(Months::new(months as u32))
        } else {
            d.checked_sub_months(Months::new(months.unsigned_abs()))
        };
        Day::from_naive(moved.expect("date within chrono's range"))
    }

    /// Year of the date.
    pub fn year(self) -> i32 {
        self.naive().year()
    }

    /// Month number `year * 12 + month0`, convenient for iterating months.
    pub fn month_index(self) -> i32 {
        let d = self.naive();
        d.year() * 12 + d.month0() as i32
    }

    /// The 1st of the month with the given month index.
    pub fn from_month_index(index: i32) -> Day {
        Day::from_ymd(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
            .expect("valid month")
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.naive().format("%Y-%m-%d"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_month_arithmetic() {
        assert_eq!(Day::from_ymd(1970, 1, 1), Some(Day(0)));
        assert_eq!(Day::from_ymd(2024, 2, 30), None);
        let d = Day::from_ymd(2024, 3, 31).unwrap();
        assert_eq!(d.add_months(-1), Day::from_ymd(2024, 2, 29).unwrap());
        assert_eq!(d.add_months(-13), Day::from_ymd(2023, 2, 28).unwrap());
        assert_eq!(d.month_end(), d);
        assert_eq!(
            Day::from_ymd(2023, 2, 10).unwrap().month_end(),
            Day::from_ymd(2023, 2, 28).unwrap()
        );
        assert_eq!(
            Day::from_month_index(d.month_index()),
            Day::from_ymd(2024, 3, 1).unwrap()
        );
        assert_eq!(d.to_string(), "2024-03-31");
    }

    #[test]
    fn from_ymd_agrees_with_chrono_on_every_day_of_years_0_to_9999() {
        for year in 0..=9999 {
            for month in 0..=13 {
                for day in 0..=32 {
                    let expected = NaiveDate::from_ymd_opt(year, month, day).map(Day::from_naive);
                    assert_eq!(
                        Day::from_ymd(year, month, day),
                        expected,
                        "{year}-{month}-{day}"
                    );
                }
            }
        }
        assert_eq!(Day::from_ymd(-1, 1, 1), None);
        assert_eq!(Day::from_ymd(10_000, 1, 1), None);
    }
}
