//! Field grammars of CONTRACT.md section 1: ids, the two date forms, integers and
//! decimals. Each parser takes a field already trimmed of ASCII whitespace and answers
//! `None` when the text does not parse; range checks are the caller's (they rank lower).

use crate::date::Day;

/// The earliest date the contract accepts (earlier is OUT_OF_RANGE).
pub const MIN_DATE: Day = Day(-7305); // 1950-01-01

/// `[A-Za-z0-9_.-]{1,64}` and not `ALL` in any case.
pub fn is_valid_id(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && !text.eq_ignore_ascii_case("ALL")
}

fn digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        bytes
            .iter()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')),
    )
}

/// `YYYY-MM-DD` (two-digit month and day) or `M/D/YYYY` (one or two digits), four-digit
/// years, real calendar dates only.
pub fn parse_date(text: &str) -> Option<Day> {
    let b = text.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let (y, m, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
        return Day::from_ymd(y as i32, m, d);
    }
    let mut parts = text.split('/');
    let (m, d, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || !(1..=2).contains(&m.len())
        || !(1..=2).contains(&d.len())
        || y.len() != 4
    {
        return None;
    }
    Day::from_ymd(
        digits(y.as_bytes())? as i32,
        digits(m.as_bytes())?,
        digits(d.as_bytes())?,
    )
}

/// `[+-]?[0-9]+`. Values beyond i64 saturate, so they fail the range check rather than
/// the grammar: they are numbers, just far out of range.
pub fn parse_int(text: &str) -> Option<i64> {
    let (negative, body) = match text.as_bytes().first()? {
        b'+' => (false, &text[1..]),
        b'-' => (true, &text[1..]),
        _ => (false, text),
    };
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = body
        .bytes()
        .try_fold(0i64, |acc, b| {
            acc.checked_mul(10)?.checked_add(i64::from(b - b'0'))
        })
        .unwrap_or(i64::MAX);
    Some(if negative { -magnitude } else { magnitude })
}

/// `[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)`.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok = all_digits(int)
        && frac.is_none_or(all_digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    if !ok {
        return None;
    }
    text.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(is_valid_id("W-001_a.b"));
        assert!(is_valid_id(&"x".repeat(64)));
        assert!(!is_valid_id(&"x".repeat(65)));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("a b"));
        assert!(!is_valid_id("all"));
        assert!(!is_valid_id("Ałl"));
        assert!(is_valid_id("ALL1"));
    }

    #[test]
    fn dates_in_both_forms() {
        let d = Day::from_ymd(2020, 1, 5).unwrap();
        assert_eq!(parse_date("2020-01-05"), Some(d));
        assert_eq!(parse_date("1/5/2020"), Some(d));
        assert_eq!(parse_date("01/05/2020"), Some(d));
        assert_eq!(parse_date("2020-1-05"), None);
        assert_eq!(parse_date("2021-02-29"), None);
        assert_eq!(parse_date("2024-02-29"), Day::from_ymd(2024, 2, 29));
        assert_eq!(parse_date("13/1/2020"), None);
        assert_eq!(parse_date("1/5/20"), None);
        assert_eq!(parse_date("001/5/2020"), None);
        assert_eq!(parse_date("2020/01/05"), None);
        assert_eq!(parse_date("+020-01-05"), None);
        assert_eq!(MIN_DATE, Day::from_ymd(1950, 1, 1).unwrap());
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_int("07"), Some(7));
        assert_eq!(parse_int("+7"), Some(7));
        assert_eq!(parse_int("-3"), Some(-3));
        assert_eq!(parse_int("1.0"), None);
        assert_eq!(parse_int("-"), None);
        assert_eq!(parse_int("99999999999999999999999"), Some(i64::MAX));
        assert_eq!(parse_decimal("1"), Some(1.0));
        assert_eq!(parse_decimal("1."), Some(1.0));
        assert_eq!(parse_decimal(".5"), Some(0.5));
        assert_eq!(parse_decimal("-0.5"), Some(-0.5));
        assert_eq!(parse_decimal("."), None);
        assert_eq!(parse_decimal("1.2.3"), None);
        assert_eq!(parse_decimal("1e3"), None);
        assert_eq!(parse_decimal("inf"), None);
    }
}
