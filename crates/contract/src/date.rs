//! Calendar dates as whole days since 1970-01-01: the same number Arrow's Date32 stores,
//! so dates move from validation to Parquet without conversion. Turning a year, month and
//! day into a day number and back, and the month arithmetic built on that, are the short
//! civil-calendar formulas below rather than chrono's general conversions: validation
//! turns every date of every row into a day (tens of millions on a large night) and the
//! derived tables walk every worker's months, and chrono's conversions were a noticeable
//! share of both. The formulas are tested against chrono for every day of ten thousand
//! years (`from_ymd`) and of eight hundred (the rest). chrono still formats dates.

use chrono::{Datelike, NaiveDate};
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

    /// Year, month (1-12) and day of the month (civil from days, H. Hinnant: the
    /// inverse of [`Day::from_ymd`], without chrono's general conversion, which was
    /// 2% of the benchmark run through the month arithmetic below).
    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = (z - era * 146_097) as u32;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = year_of_era as i32 + era * 400 + i32::from(month <= 2);
        (year, month, day)
    }

    /// The 1st of this date's month.
    pub fn month_start(self) -> Day {
        let (_, _, day) = self.ymd();
        Day(self.0 - day as i32 + 1)
    }

    /// The last day of this date's month.
    pub fn month_end(self) -> Day {
        let (year, month, day) = self.ymd();
        Day(self.0 - day as i32 + days_in_month(year, month) as i32)
    }

    /// Adds calendar months; a day that does not exist in the target month is clamped to
    /// that month's last day (Jan 31 + 1 month = Feb 28/29).
    pub fn add_months(self, months: i32) -> Day {
        let (year, month, day) = self.ymd();
        let index = year * 12 + month as i32 - 1 + months;
        let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
        Day::from_ymd(year, month, day.min(days_in_month(year, month)))
            .expect("date within years 0 to 9999")
    }

    /// Year of the date.
    pub fn year(self) -> i32 {
        self.ymd().0
    }

    /// Month number `year * 12 + month0`, convenient for iterating months.
    pub fn month_index(self) -> i32 {
        let (year, month, _) = self.ymd();
        year * 12 + month as i32 - 1
    }

    /// The 1st of the month with the given month index.
    pub fn from_month_index(index: i32) -> Day {
        Day::from_ymd(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
            .expect("valid month")
    }
}

/// Days in a month of the proleptic Gregorian calendar.
fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
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
    use chrono::Months;

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
    fn month_arithmetic_agrees_with_chrono_on_every_day_of_years_1600_to_2400() {
        let (first, last) = (
            Day::from_ymd(1600, 1, 1).unwrap().0,
            Day::from_ymd(2400, 12, 31).unwrap().0,
        );
        for n in first..=last {
            let day = Day(n);
            let date = day.naive();
            assert_eq!(day.ymd(), (date.year(), date.month(), date.day()), "{date}");
            let start = date.with_day(1).unwrap();
            assert_eq!(day.month_start(), Day::from_naive(start), "{date}");
            let end = start
                .checked_add_months(Months::new(1))
                .unwrap()
                .pred_opt()
                .unwrap();
            assert_eq!(day.month_end(), Day::from_naive(end), "{date}");
            assert_eq!(day.month_index(), date.year() * 12 + date.month0() as i32);
            for months in [-25i32, -13, -12, -1, 1, 11, 12, 13, 25] {
                let moved = if months > 0 {
                    date.checked_add_months(Months::new(months as u32))
                } else {
                    date.checked_sub_months(Months::new(months.unsigned_abs()))
                };
                assert_eq!(
                    day.add_months(months),
                    Day::from_naive(moved.unwrap()),
                    "{date}"
                );
            }
        }
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
