//! A series' calendar, from its time labels: its season (monthly 12, quarterly 4, weekly 52,
//! daily 7, hourly 24, half-hourly 48 rows), and its labels continued past the last row for a
//! forecast. Labels are read as `YYYY-MM`, `YYYY-Qn`, `YYYY-MM-DD` or `YYYYMMDD`, maybe with a
//! time of day (`HH:MM[:SS]`, after a space or `T`), or as `Jan 1 2000`; dates all on the same day of the month (as
//! pandas writes a monthly series, `1949-01-01`) step by months. Years alone, or labels of no
//! such form, give no season; whole numbers (years) still continue by their step.

/// A label as a point in time: months since year 0, quarters, or seconds since 1970.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Instant {
    Month(i64),
    Quarter(i64),
    Second(i64),
}

/// The labels as instants: dates on one day of the month as months.
fn instants(labels: &[String]) -> Option<Vec<Instant>> {
    let instants: Vec<Instant> = labels.iter().map(|l| instant(l.trim())).collect::<Option<_>>()?;
    let days: Option<Vec<(i64, i64, i64)>> = labels.iter().map(|l| calendar_date(l.trim())).collect();
    match days {
        Some(days) if days.len() > 1 && days.iter().all(|d| d.2 == days[0].2 && d.2 <= 28) => {
            Some(days.iter().map(|&(y, m, _)| Instant::Month(y * 12 + m - 1)).collect())
        }
        _ => Some(instants),
    }
}

/// The median step between consecutive instants.
fn median_step(instants: &[Instant]) -> Option<(&'static str, i64)> {
    let mut steps: Vec<(&'static str, i64)> = instants.windows(2).filter_map(|w| step(w[0], w[1])).collect();
    steps.sort_unstable();
    steps.get(steps.len() / 2).copied()
}

/// The season of rows labelled `labels`, from the median step between consecutive labels.
pub fn from_labels(labels: &[String]) -> Option<usize> {
    let (unit, step) = median_step(&instants(&labels[..labels.len().min(1000)])?)?;
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

/// `count` labels after the last of `labels`, at the series' median step and in its last label's
/// form (None when the labels have no such calendar, or are not whole numbers with a step).
pub fn continue_labels(labels: &[String], count: usize) -> Option<Vec<String>> {
    let last = labels.last()?.trim();
    let tail = &labels[labels.len().saturating_sub(1000)..];
    if let Some(numbers) = tail.iter().map(|l| l.trim().parse::<i64>().ok()).collect::<Option<Vec<i64>>>() {
        if calendar_date(last).is_none() {
            let mut steps: Vec<i64> = numbers.windows(2).map(|w| w[1] - w[0]).collect();
            steps.sort_unstable();
            let step = *steps.get(steps.len() / 2).filter(|&&s| s > 0)?;
            return Some((1..=count as i64).map(|k| (numbers[numbers.len() - 1] + k * step).to_string()).collect());
        }
    }
    let instants = instants(tail)?;
    let (_, step) = median_step(&instants).filter(|s| s.1 > 0)?;
    let form = Form::of(last)?;
    let from = *instants.last()?;
    (1..=count as i64).map(|k| form.write(from, k * step)).collect()
}

/// Whether a label reads as a point in time (a date, a month, a quarter, a time of day).
pub fn is_time(label: &str) -> bool {
    instant(label.trim()).is_some()
}

/// The order of rows labelled `labels` in time (stable: equal labels keep their order), when
/// every label reads as a point in time of one kind, or as a whole number (a year); None
/// otherwise, and the rows keep the file's order.
pub fn time_order(labels: &[&str]) -> Option<Vec<usize>> {
    let keys: Vec<(u8, i64)> = match labels.iter().map(|l| l.trim().parse::<i64>().ok()).collect::<Option<Vec<i64>>>() {
        Some(numbers) => numbers.into_iter().map(|n| (0, n)).collect(),
        None => labels
            .iter()
            .map(|l| match instant(l.trim())? {
                Instant::Month(m) => Some((1, m)),
                Instant::Quarter(q) => Some((2, q)),
                Instant::Second(s) => Some((3, s)),
            })
            .collect::<Option<_>>()?,
    };
    if keys.iter().any(|k| k.0 != keys[0].0) {
        return None;
    }
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by_key(|&i| keys[i].1);
    Some(order)
}

/// How a label is written, to write the next ones alike.
struct Form {
    /// The separator of the date's parts (`-` or `/`; none in `YYYYMMDD`).
    sep: &'static str,
    /// `Q` or `q` in a quarter.
    quarter: char,
    /// The day of the month of month-stepped dates (`YYYY-MM-DD`), or none (`YYYY-MM`).
    day: Option<i64>,
    /// The separator before a time of day, and whether it has seconds.
    time: Option<(char, bool)>,
    /// Written `Jan 1 2000`.
    named: bool,
}

impl Form {
    fn of(label: &str) -> Option<Form> {
        if let Some((_, _, d)) = named_date(label) {
            return Some(Form { sep: " ", quarter: 'Q', day: Some(d), time: None, named: true });
        }
        let (date, time) = match label.split_once([' ', 'T']) {
            Some((d, t)) => (d, Some(t)),
            None => (label, None),
        };
        let sep = if date.contains('/') {
            "/"
        } else if date.contains('-') {
            "-"
        } else {
            ""
        };
        let time = match time {
            Some(t) if t.len() == 5 || t.len() == 8 => Some((label.as_bytes()[date.len()] as char, t.len() == 8)),
            Some(_) => return None, // fractions of a second, a time zone: not written back
            None => None,
        };
        let quarter = if date.contains('q') { 'q' } else { 'Q' };
        Some(Form { sep, quarter, day: calendar_date(label).map(|d| d.2), time, named: false })
    }

    /// The instant `from` moved by `by` (in its own unit), written in this form.
    fn write(&self, from: Instant, by: i64) -> Option<String> {
        let sep = self.sep;
        let named = |y: i64, m: i64, d: i64| format!("{} {d} {y}", MONTHS[(m - 1) as usize]);
        match from {
            Instant::Month(m) if self.named => Some(named((m + by).div_euclid(12), (m + by).rem_euclid(12) + 1, self.day.unwrap_or(1))),
            Instant::Second(s) if self.named => {
                let (y, m, d) = civil_from_days((s + by).div_euclid(86_400));
                Some(named(y, m, d))
            }
            Instant::Quarter(q) => Some(format!("{}{sep}{}{}", (q + by).div_euclid(4), self.quarter, (q + by).rem_euclid(4) + 1)),
            Instant::Month(m) => {
                let (y, m) = ((m + by).div_euclid(12), (m + by).rem_euclid(12) + 1);
                Some(match self.day {
                    Some(d) => format!("{y:04}{sep}{m:02}{sep}{d:02}"),
                    None => format!("{y:04}{sep}{m:02}"),
                })
            }
            Instant::Second(s) => {
                let s = s + by;
                let (y, m, d) = civil_from_days(s.div_euclid(86_400));
                let date = format!("{y:04}{sep}{m:02}{sep}{d:02}");
                let t = s.rem_euclid(86_400);
                Some(match self.time {
                    None => date,
                    Some((c, false)) => format!("{date}{c}{:02}:{:02}", t / 3600, t / 60 % 60),
                    Some((c, true)) => format!("{date}{c}{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60),
                })
            }
        }
    }
}

/// A date label's year, month and day (`YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD`) with no time of day.
fn calendar_date(label: &str) -> Option<(i64, i64, i64)> {
    if let Some(date) = named_date(label) {
        return Some(date);
    }
    if label.contains([' ', 'T']) {
        return None;
    }
    let num = |s: &str| s.parse::<i64>().ok();
    let parts: Vec<&str> = label.split(['-', '/']).collect();
    let (y, m, d) = match parts.as_slice() {
        [ymd] if ymd.len() == 8 && ymd.bytes().all(|b| b.is_ascii_digit()) => (num(&ymd[..4])?, num(&ymd[4..6])?, num(&ymd[6..])?),
        [y, m, d] if y.len() == 4 => (num(y)?, num(m)?, num(d)?),
        _ => return None,
    };
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

/// The English months' short names, as `Jan 1 2000` writes them.
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A date written `Jan 1 2000` (the month's short name, the day, the year; as vega's stocks
/// and many exports write it): its year, month and day.
fn named_date(label: &str) -> Option<(i64, i64, i64)> {
    let parts: Vec<&str> = label.split(' ').collect();
    let [month, day, year] = parts.as_slice() else { return None };
    let m = MONTHS.iter().position(|n| n.eq_ignore_ascii_case(month))? as i64 + 1;
    let (d, y) = (day.parse::<i64>().ok()?, year.parse::<i64>().ok()?);
    (year.len() == 4 && (1..=31).contains(&d) && day.len() <= 2).then_some((y, m, d))
}

fn instant(label: &str) -> Option<Instant> {
    if let Some((y, m, d)) = named_date(label) {
        return Some(Instant::Second(days_from_civil(y, m, d) * 86_400));
    }
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

/// The date of a day counted from 1970-01-01 (the inverse of `days_from_civil`, Hinnant's).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn season(labels: &[&str]) -> Option<usize> {
        from_labels(&labels.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn dates_written_with_the_months_name_are_dates() {
        assert_eq!(season(&["Jan 1 2000", "Feb 1 2000", "Mar 1 2000"]), Some(12), "monthly: vega's stocks");
        assert_eq!(season(&["Jan 3 2000", "Jan 4 2000", "Jan 5 2000"]), Some(7), "daily");
        assert!(is_time("Jan 1 2000") && !is_time("Jan 1") && !is_time("Foo 1 2000") && !is_time("Jan 40 2000"));
        assert_eq!(time_order(&["Mar 1 2000", "Jan 1 2000", "Feb 1 2000"]), Some(vec![1, 2, 0]));
    }

    #[test]
    fn the_calendar_frequency_gives_the_season() {
        assert_eq!(season(&["1949-01", "1949-02", "1949-03"]), Some(12), "monthly");
        assert_eq!(season(&["1949-11-01", "1949-12-01", "1950-01-01", "1950-02-01"]), Some(12), "month starts, as pandas writes them");
        assert_eq!(season(&["1949-11-30", "1949-12-31", "1950-01-31"]), None, "month ends are not read as months");
        assert_eq!(season(&["1960-Q1", "1960-Q2", "1960-Q3"]), Some(4), "quarterly");
        assert_eq!(season(&["19580329", "19580405", "19580412"]), Some(52), "weekly, compact dates");
        assert_eq!(season(&["2020-02-28", "2020-02-29", "2020-03-01"]), Some(7), "daily, across a leap day");
        assert_eq!(season(&["2020-01-01 23:00", "2020-01-02 00:00", "2020-01-02T01:00:00"]), Some(24), "hourly");
        assert_eq!(season(&["2020-01-01 00:00", "2020-01-01 00:30", "2020-01-01 01:00"]), Some(48), "half-hourly");
        assert_eq!(season(&["1871", "1872", "1873"]), None, "years alone");
        assert_eq!(season(&["a", "b"]), None);
        assert_eq!(season(&["2020-01-01", "2020-01-02", "2020-01-09", "2020-01-10"]), Some(7), "the median step");
    }

    fn next(labels: &[&str], count: usize) -> Option<Vec<String>> {
        continue_labels(&labels.iter().map(|s| s.to_string()).collect::<Vec<_>>(), count)
    }

    #[test]
    fn labels_continue_past_the_end_in_their_own_form() {
        let months = next(&["1960-10", "1960-11", "1960-12"], 12).unwrap();
        assert_eq!((months[0].as_str(), months[11].as_str()), ("1961-01", "1961-12"));
        assert_eq!(next(&["1959-11-01", "1959-12-01"], 2).unwrap(), ["1960-01-01", "1960-02-01"]);
        assert_eq!(next(&["2009-Q2", "2009-Q3"], 2).unwrap(), ["2009-Q4", "2010-Q1"]);
        assert_eq!(next(&["20011217", "20011224"], 2).unwrap(), ["20011231", "20020107"], "weekly, compact");
        assert_eq!(next(&["2020-02-27", "2020-02-28"], 2).unwrap(), ["2020-02-29", "2020-03-01"], "a leap day");
        assert_eq!(next(&["2020-12-31 23:00", "2020-12-31 23:30"], 1).unwrap(), ["2021-01-01 00:00"]);
        assert_eq!(next(&["2020-01-01T10:00:00", "2020-01-01T11:00:00"], 1).unwrap(), ["2020-01-01T12:00:00"]);
        assert_eq!(next(&["1968", "1969", "1970"], 2).unwrap(), ["1971", "1972"], "years");
        assert_eq!(next(&["Nov 1 1999", "Dec 1 1999"], 2).unwrap(), ["Jan 1 2000", "Feb 1 2000"], "named months");
        assert_eq!(next(&["Jan 30 2000", "Jan 31 2000"], 1).unwrap(), ["Feb 1 2000"], "named days");
        assert_eq!(next(&["a", "b"], 1), None);
        assert_eq!(next(&["2020-01-01 10:00:00.5", "2020-01-01 11:00:00.5"], 1), None, "a form not written back");
    }

    #[test]
    fn days_are_counted_from_1970() {
        for z in [-719_468, -1, 0, 11_017, 18_321, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1958, 3, 29) - days_from_civil(1958, 3, 22), 7);
    }
}
