//! A series' season, from the calendar frequency of its time labels: monthly 12, quarterly 4,
//! weekly 52, daily 7, hourly 24, half-hourly 48 rows. Labels are read as `YYYY-MM`, `YYYY-Qn`,
//! `YYYY-MM-DD` or `YYYYMMDD`, maybe with a time of day (`HH:MM[:SS]`, after a space or `T`);
//! years alone, or labels of no such form, give no season.

/// A label as a point in time: months since year 0, quarters, or seconds since 1970.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Instant {
    Month(i64),
    Quarter(i64),
    Second(i64),
}

/// The season of rows labelled `labels`, from the most common step between consecutive labels.
pub fn from_labels(labels: &[String]) -> Option<usize> {
    let instants: Vec<Instant> = labels.iter().take(1000).map(|l| instant(l.trim())).collect::<Option<_>>()?;
    let mut steps: Vec<(&'static str, i64)> = instants.windows(2).filter_map(|w| step(w[0], w[1])).collect();
    if steps.is_empty() {
        return None;
    }
    steps.sort_unstable();
    let (unit, step) = steps[steps.len() / 2]; // the median step
    match (unit, step) {
        ("month", 1) => Some(12),
        ("quarter", 1) | ("month", 3) => Some(4),
        ("second", 604_800) => Some(52),
        ("second", 86_400) => Some(7),
        ("second", 3_600) => Some(24),
        ("second", 1_800) => Some(48),
        _ => None,
    }
}

fn step(a: Instant, b: Instant) -> Option<(&'static str, i64)> {
    match (a, b) {
        (Instant::Month(a), Instant::Month(b)) => Some(("month", b - a)),
        (Instant::Quarter(a), Instant::Quarter(b)) => Some(("quarter", b - a)),
        (Instant::Second(a), Instant::Second(b)) => Some(("second", b - a)),
        _ => None,
    }
}

fn instant(label: &str) -> Option<Instant> {
    let (date, time) = match label.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t)),
        None => (label, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let num = |s: &str| s.parse::<i64>().ok();
    let parts: Vec<&str> = date.split(['-', '/']).collect();
    let (y, m, d) = match parts.as_slice() {
        [ymd] if ymd.len() == 8 && digits(ymd) => (num(&ymd[..4])?, num(&ymd[4..6])?, num(&ymd[6..])?),
        [y, q] if y.len() == 4 && digits(y) && q.len() == 2 && q.starts_with(['Q', 'q']) && time.is_none() => {
            let q = num(&q[1..]).filter(|q| (1..=4).contains(q))?;
            return Some(Instant::Quarter(num(y)? * 4 + q - 1));
        }
        [y, m] if y.len() == 4 && digits(y) && digits(m) && time.is_none() => {
            let m = num(m).filter(|m| (1..=12).contains(m))?;
            return Some(Instant::Month(num(y)? * 12 + m - 1));
        }
        [y, m, d] if y.len() == 4 && digits(y) && digits(m) && digits(d) => (num(y)?, num(m)?, num(d)?),
        _ => return None,
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let seconds_of_day = match time {
        None => 0,
        Some(t) => {
            let hms: Vec<i64> = t.split(':').map(|p| p.get(..2).and_then(num)).collect::<Option<_>>()?;
            match hms.as_slice() {
                [h, m] | [h, m, _] => h * 3600 + m * 60 + hms.get(2).copied().unwrap_or(0),
                _ => return None,
            }
        }
    };
    Some(Instant::Second(days_from_civil(y, m, d) * 86_400 + seconds_of_day))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn season(labels: &[&str]) -> Option<usize> {
        from_labels(&labels.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn the_calendar_frequency_gives_the_season() {
        assert_eq!(season(&["1949-01", "1949-02", "1949-03"]), Some(12), "monthly");
        assert_eq!(season(&["1949-11-01", "1949-12-01", "1950-01-01", "1950-02-01"]), None, "month starts are 30 or 31 days apart");
        assert_eq!(season(&["1960-Q1", "1960-Q2", "1960-Q3"]), Some(4), "quarterly");
        assert_eq!(season(&["19580329", "19580405", "19580412"]), Some(52), "weekly, compact dates");
        assert_eq!(season(&["2020-02-28", "2020-02-29", "2020-03-01"]), Some(7), "daily, across a leap day");
        assert_eq!(season(&["2020-01-01 23:00", "2020-01-02 00:00", "2020-01-02T01:00:00"]), Some(24), "hourly");
        assert_eq!(season(&["2020-01-01 00:00", "2020-01-01 00:30", "2020-01-01 01:00"]), Some(48), "half-hourly");
        assert_eq!(season(&["1871", "1872", "1873"]), None, "years alone");
        assert_eq!(season(&["a", "b"]), None);
        assert_eq!(season(&["2020-01-01", "2020-01-02", "2020-01-09", "2020-01-10"]), Some(7), "the median step");
    }

    #[test]
    fn days_are_counted_from_1970() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1958, 3, 29) - days_from_civil(1958, 3, 22), 7);
    }
}
