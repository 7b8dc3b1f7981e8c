//! A user's series from a CSV file: a header row, an optional time column (kept as text, never a
//! feature), the feature columns, and what to do with a gap.

use super::csv_text::{cell, csv_error, delimiter, is_missing, number, short, thousands};
use super::series::{Groups, Labels, Missing, Rows, Series, Time};
use anyhow::{anyhow, bail, Context, Result};
use std::path::Path;

/// How to read a CSV: the time column, the features, and the gaps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    /// The time column; `None` takes a first column that is not numeric.
    pub time_column: Option<String>,
    /// The features, in this order; `None` is every column but the time column.
    pub columns: Option<Vec<String>>,
    pub missing: Missing,
    /// The column naming each row's series, in a file of many (long format); never a feature.
    pub series_column: Option<String>,
    /// A wide file's columns as many series (`melted`).
    pub columns_as_series: bool,
}

/// Reads a user's series as `reading` says. Gaps are filled (`interpolate`) or kept as NaN
/// (`skip`, for the windows to avoid); with `error`, the first one is refused.
pub fn read_csv(path: &Path, reading: &Reading) -> Result<Series> {
    // One pass: the first records, which choose the columns, are held until every column has had
    // a value; the rest are read a record at a time, so that nothing of a long file is held as text.
    let (table, mut rest) = Table::read(path)?;
    let grouping = reading.series_column.as_ref().map(|c| table.column(c, "--series-column")).transpose()?;
    let time = table.time_column(reading, grouping)?;
    let part = time.and_then(|t| table.time_part(reading, t, grouping));
    let features = table.features(reading, time, grouping, part.map(|p| p.0))?;
    let (mut rows, mut labels, mut ids, mut names) =
        (Rows::with_capacity(features.len(), table.rows_expected()), Labels::default(), Vec::new(), SeriesNames::default());
    let (mut next, mut row, mut held) = (csv::ByteRecord::new(), Vec::with_capacity(features.len()), table.records.iter());
    for r in 0.. {
        let record = match held.next() {
            Some(record) => record,
            None if rest.read_byte_record(&mut next).map_err(|e| anyhow!("{}: {}", path.display(), csv_error(&e)))? => &next,
            None => break,
        };
        let line = record.position().map_or(r as u64 + 2, |p| p.line());
        // a row's time and series must be there
        let key = |j: usize, why: &str| match cell(record, j) {
            c if is_missing(&c) => Err(anyhow!("{}: row {line}, column {} ({}): {why}", path.display(), j + 1, short(&table.header[j]))),
            c => Ok(c),
        };
        match (time, part) {
            (Some(t), Some((p, per))) => {
                let (year, within) = (key(t, "the year is empty; every row needs its time")?, key(p, "empty; every row needs its time")?);
                labels.push(&year_and_part(&year, &within, per).with_context(|| format!("{}: row {line}", path.display()))?);
            }
            (Some(t), None) => labels.push(&key(t, "the time column is empty; every row needs its time")?),
            _ => {}
        }
        if let Some(g) = grouping {
            ids.push(names.id(&key(g, "no series named; every row needs its series")?));
        }
        row.clear();
        for &j in &features {
            row.push(table.value(record, line, j, reading.missing, (time, grouping))?);
        }
        rows.push(&row);
    }
    let time_name = time.map(|t| part.map_or(table.header[t].clone(), |(p, _)| format!("{}+{}", table.header[t], table.header[p])));
    let mut series = assembled(path, &table.header, &features, (time_name, grouping), Read { rows, labels, ids, names })?;
    if reading.columns_as_series {
        series = melted(series);
    }
    if reading.missing == Missing::Interpolate {
        interpolate_each(&mut series);
    }
    Ok(series)
}

/// The name of a melted file's one feature, and of the column its series are named by.
pub const MELTED_VALUE: &str = "value";
pub const MELTED_COLUMN: &str = "column";

/// A wide file's columns as many series, each column one series of one feature (`value`) over
/// the file's rows and time labels, named by its column: the long layout `--series-column`
/// reads, so that each column is windowed, split and scaled on its own.
fn melted(wide: Series) -> Series {
    let (n, f) = (wide.rows.len(), wide.features());
    let mut rows = Rows::with_capacity(1, n * f);
    for j in 0..f {
        (0..n).for_each(|i| rows.push(&[wide.rows[i][j]]));
    }
    let time = wide.time.map(|t| Time { labels: (0..f).flat_map(|_| (0..n).map(|i| &t.labels[i])).collect(), name: t.name });
    let groups = Groups { column: MELTED_COLUMN.into(), names: wide.names, starts: (0..f).map(|j| j * n).collect() };
    Series { names: vec![MELTED_VALUE.into()], rows, time, gaps: wide.gaps, groups: Some(groups) }
}

/// What the records gave: the rows, and each row's time label and series.
struct Read {
    rows: Rows,
    labels: Labels,
    ids: Vec<u32>,
    names: SeriesNames,
}

/// The series of `features` from what was read, each column checked to hold a value, the time
/// checked not to repeat (one series), the rows grouped into series (many).
fn assembled(
    path: &Path,
    header: &[String],
    features: &[usize],
    (time, grouping): (Option<String>, Option<usize>),
    read: Read,
) -> Result<Series> {
    let Read { rows, labels, ids, names } = read;
    let names_of: Vec<String> = features.iter().map(|&j| header[j].clone()).collect();
    // a column of gaps alone is no feature
    if let Some(n) = names_of.iter().enumerate().find(|&(k, _)| rows.iter().all(|r| r[k].is_nan())).map(|(_, n)| n) {
        bail!("{}: column {} has no value at all (every row is missing)", path.display(), short(n));
    }
    if let (Some(t), None) = (&time, grouping) {
        repeated_time(path, t, &labels)?;
    }
    let time = time.map(|name| Time { name, labels });
    let mut series = Series { gaps: rows.values().iter().filter(|v| v.is_nan()).count(), names: names_of, rows, time, groups: None };
    if let Some(g) = grouping {
        series = grouped(series, &header[g], names, &ids);
        repeated_within(path, &series)?;
    }
    Ok(series)
}

/// A whole number from 1 to `per` (`1`, `1.0`).
fn period(text: &str, per: u32) -> Option<u32> {
    let v: f64 = text.parse().ok()?;
    (v.fract() == 0.0 && v >= 1.0 && v <= per as f64).then_some(v as u32)
}

/// One time label of a year and its quarter or month: `1959-Q1`, `1959-01`.
fn year_and_part(year: &str, within: &str, per: u32) -> Result<String> {
    let what = if per == 4 { "quarter" } else { "month" };
    let y =
        year.parse::<f64>().ok().filter(|y| y.fract() == 0.0).ok_or_else(|| anyhow!("the year {} is not a whole number", short(year)))?;
    let p = period(within, per).ok_or_else(|| {
        anyhow!("{} is not a {what} (1 to {per}); --time-column names the one column to take for the time instead", short(within))
    })?;
    Ok(if per == 4 { format!("{y}-Q{p}") } else { format!("{y}-{p:02}") })
}

/// A time label that repeats within one series of many: refused, as in a file of one, whatever
/// `--series-column` says (a coarser key, such as a continent where the country is the series).
fn repeated_within(path: &Path, series: &Series) -> Result<()> {
    let (Some(time), Some(groups)) = (&series.time, &series.groups) else { return Ok(()) };
    for k in 0..groups.names.len() {
        let span = groups.span(k, series.rows.len());
        if let Some((_, again)) = first_repeat(span.clone().map(|i| &time.labels[i])) {
            let i = span.start + again;
            bail!(
                "{}: series {} has the time {} {} twice: each series needs one row per time (is the series named by more than the {} column, or by another column?)",
                path.display(),
                short(&groups.names[k]),
                short(&time.name),
                short(&time.labels[i]),
                short(&groups.column)
            );
        }
    }
    Ok(())
}

/// Fills every gap of each series of `series` (`interpolate`), within the series.
fn interpolate_each(series: &mut Series) {
    for k in 0..series.count() {
        let span = series.span(k);
        interpolate(&mut series.rows, span);
    }
}

/// The series' names in the order they first appear, each row's given by its number.
#[derive(Default)]
struct SeriesNames {
    names: Vec<String>,
    ids: std::collections::HashMap<String, u32>,
}

impl SeriesNames {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), self.names.len() as u32 - 1);
        self.names.len() as u32 - 1
    }
}

/// The rows of a long-format file gathered series by series, in the order each series first
/// appears; within a series, in time order when its labels all read as times (or whole numbers),
/// else in the file's order.
fn grouped(series: Series, column: &str, names: SeriesNames, ids: &[u32]) -> Series {
    let mut members: Vec<Vec<usize>> = vec![vec![]; names.names.len()];
    ids.iter().enumerate().for_each(|(i, &id)| members[id as usize].push(i));
    if let Some(t) = &series.time {
        for m in members.iter_mut() {
            let labels: Vec<&str> = m.iter().map(|&i| &t.labels[i]).collect();
            if let Some(order) = super::season::time_order(&labels) {
                *m = order.iter().map(|&k| m[k]).collect();
            }
        }
    }
    let mut rows = Rows::with_capacity(series.features(), series.rows.len());
    let mut starts = Vec::with_capacity(members.len());
    for m in &members {
        starts.push(rows.len());
        m.iter().for_each(|&i| rows.push(&series.rows[i]));
    }
    let time = series.time.map(|t| Time { labels: members.iter().flatten().map(|&i| &t.labels[i]).collect(), name: t.name });
    let groups = Groups { column: column.to_string(), names: names.names, starts };
    Series { names: series.names, rows, time, gaps: series.gaps, groups: Some(groups) }
}

/// A time column that repeats a label is a file of many series, or a mistake: refused, with the
/// flag that reads it as many series. (The first million rows are checked.)
fn repeated_time(path: &Path, column: &str, labels: &Labels) -> Result<()> {
    // labels that rise (as ISO dates, times and zero-padded numbers do) repeat none: no hashing
    if (1..labels.len()).all(|i| labels[i - 1] < labels[i]) {
        return Ok(());
    }
    if let Some((first, i)) = first_repeat(labels.iter().take(1_000_000)) {
        bail!(
            "{}: the time column {} repeats {} (data rows {} and {}): a file of many series? --series-column names the column that tells them apart",
            path.display(),
            short(column),
            short(&labels[i]),
            first + 1,
            i + 1
        );
    }
    Ok(())
}

/// The first label that repeats an earlier one: (where it first was, where it is again).
fn first_repeat<'a>(labels: impl Iterator<Item = &'a str>) -> Option<(usize, usize)> {
    let mut seen = std::collections::HashMap::new();
    labels.enumerate().find_map(|(i, label)| seen.insert(label, i).map(|first| (first, i)))
}

/// The header's column names.
pub fn header(path: &Path) -> Result<Vec<String>> {
    Ok(Table::open(path)?.1)
}

/// Fills each gap of each column of the rows `span` (a series) linearly in row order between
/// the values either side; a gap at an edge takes the nearest value.
pub fn interpolate(rows: &mut Rows, span: std::ops::Range<usize>) {
    let f = rows.width();
    for j in 0..f {
        let known: Vec<usize> = span.clone().filter(|&i| !rows[i][j].is_nan()).collect();
        let (Some(&first), Some(&last)) = (known.first(), known.last()) else { continue };
        for i in span.start..first {
            rows[i][j] = rows[first][j];
        }
        for i in last + 1..span.end {
            rows[i][j] = rows[last][j];
        }
        for pair in known.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let (va, vb) = (rows[a][j], rows[b][j]);
            for i in a + 1..b {
                // The same expression, in the same order, as scripts/reference.py.
                rows[i][j] = va + (vb - va) * ((i - a) as f64 / (b - a) as f64);
            }
        }
    }
}

/// The name given to a first column with an empty header (pandas' unnamed index, as
/// `pandas.read_csv` names it). It is never a feature; of dates or text, it is the time column.
pub const UNNAMED_INDEX: &str = "Unnamed: 0";

/// Column names taken as the time column when their values are numbers (years, `YYYYMMDD`).
const TIME_NAMES: [&str; 12] = ["year", "date", "time", "month", "ds", "timestamp", "datetime", "day", "week", "quarter", "period", "dt"];

type CsvReader = csv::Reader<std::io::BufReader<std::fs::File>>;

/// A year as a pandas index of years writes it: four digits, 1000 to 2999.
fn is_year(text: &str) -> bool {
    text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) && (b'1'..=b'2').contains(&text.as_bytes()[0])
}

/// The records `Table` reads before the rest, at least.
const SAMPLE: usize = 64;

/// The file's header and first records (enough to choose the time column: each column's first
/// value, when it has one); its delimiter detected from the header line.
struct Table {
    header: Vec<String>,
    /// The first records, up to the one where every column has had a value, and at least
    /// `SAMPLE` (to tell a time column that repeats, a file of many series, from one that does not).
    records: Vec<csv::ByteRecord>,
    /// The file's length in bytes, and where `records` begin and end in it.
    bytes: (u64, std::ops::Range<u64>),
    path: std::path::PathBuf,
    /// `;` or tab files may write `1,5` for 1.5.
    decimal_comma: bool,
}

impl Table {
    /// The file opened past its header row: the reader, the column names (checked: UTF-8, not
    /// empty, no name twice) and the delimiter, detected from the first line.
    fn open(path: &Path) -> Result<(CsvReader, Vec<String>, u8)> {
        use std::io::{BufRead, Seek};
        let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut buffered = std::io::BufReader::new(file);
        let mut first_line = Vec::new();
        buffered.read_until(b'\n', &mut first_line).with_context(|| format!("cannot read {}", path.display()))?;
        buffered.rewind().with_context(|| format!("cannot read {}", path.display()))?;
        let delimiter = delimiter(&first_line);
        let mut reader = csv::ReaderBuilder::new().has_headers(true).delimiter(delimiter).from_reader(buffered);
        let header =
            reader.byte_headers().map_err(|e| anyhow!("{}: cannot read the header row: {}", path.display(), csv_error(&e)))?.clone();
        let mut names: Vec<String> = Vec::with_capacity(header.len());
        let mut seen = std::collections::HashMap::new();
        for (j, raw) in header.iter().enumerate() {
            let raw = if j == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
            if j == 0 && raw.iter().all(u8::is_ascii_whitespace) && header.len() > 1 {
                // pandas' to_csv writes its unnamed index so; pandas reads it back by this name
                names.push(UNNAMED_INDEX.to_string());
                continue;
            }
            let name =
                std::str::from_utf8(raw).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty() && !s.contains('\0')).with_context(
                    || format!("{}: header column {} is empty or not UTF-8 text (is the file UTF-8 CSV?)", path.display(), j + 1),
                )?;
            if let Some(k) = seen.insert(name.clone(), j) {
                bail!(
                    "{}: the header names {} twice (columns {} and {}); each column needs its own name",
                    path.display(),
                    short(&name),
                    k + 1,
                    j + 1
                );
            }
            names.push(name);
        }
        if names.is_empty() {
            bail!("{}: the file is empty (expected a header row, then one column per feature)", path.display());
        }
        Ok((reader, names, delimiter))
    }

    /// The header and the first records, and the reader past them.
    fn read(path: &Path) -> Result<(Table, CsvReader)> {
        let (mut reader, names, delimiter) = Self::open(path)?;
        let begins = reader.position().byte();
        let mut records = Vec::new();
        let mut valued = vec![false; names.len()];
        while valued.contains(&false) || records.len() < SAMPLE {
            let mut record = csv::ByteRecord::new();
            if !reader.read_byte_record(&mut record).map_err(|e| anyhow!("{}: {}", path.display(), csv_error(&e)))? {
                break;
            }
            valued.iter_mut().enumerate().for_each(|(j, v)| *v |= j < record.len() && !is_missing(&cell(&record, j)));
            records.push(record);
        }
        if records.is_empty() {
            bail!("{}: has a header but no data rows", path.display());
        }
        let bytes = (std::fs::metadata(path).map_or(0, |m| m.len()), begins..reader.position().byte());
        Ok((Table { header: names, records, bytes, path: path.to_path_buf(), decimal_comma: delimiter != b',' }, reader))
    }

    /// The rows the file holds, guessed from its length and the bytes of its first records (room
    /// is made for them at once: grown by doubling, a long series would briefly hold half as
    /// much again).
    fn rows_expected(&self) -> usize {
        let (length, held) = (self.bytes.0, &self.bytes.1);
        let per_record = (held.end.saturating_sub(held.start) as f64 / self.records.len() as f64).max(2.0);
        (length.saturating_sub(held.start) as f64 / per_record * 1.01) as usize + 1
    }

    /// The first value of column `j`, if any row has one.
    fn first_value(&self, j: usize) -> Option<std::borrow::Cow<'_, str>> {
        self.records.iter().map(|r| cell(r, j)).find(|c| !is_missing(c))
    }

    /// Whether the text column `j` looks like each row's series, within the first records: the
    /// time column `t` repeats (a file of many series), or `j`'s values come in blocks, each
    /// value once and fewer values than rows (a long file, series after series).
    fn names_series(&self, t: usize, j: usize) -> bool {
        let column = |c: usize| -> Vec<String> { self.records.iter().map(|r| cell(r, c).into_owned()).collect() };
        let values = column(j);
        let runs = 1 + values.windows(2).filter(|w| w[0] != w[1]).count();
        let distinct = values.iter().collect::<std::collections::HashSet<_>>().len();
        first_repeat(column(t).iter().map(String::as_str)).is_some() || (runs == distinct && distinct < values.len())
    }

    /// A record's value in column `j`: NaN for a gap (unless gaps are refused).
    /// (`columns`: the time column and the series column, as found.)
    fn value(
        &self,
        record: &csv::ByteRecord,
        line: u64,
        j: usize,
        missing: Missing,
        columns: (Option<usize>, Option<usize>),
    ) -> Result<f64> {
        let (path, name) = (self.path.display(), short(&self.header[j]));
        let text = cell(record, j);
        let text = text.as_ref();
        if is_missing(text) {
            if missing == Missing::Error {
                bail!("{path}: row {line}, column {} ({name}): missing value (--missing interpolate fills gaps, --missing skip leaves out the windows that touch them)", j + 1);
            }
            return Ok(f64::NAN);
        }
        let v: f64 = number(text, self.decimal_comma).ok_or_else(|| {
            let hint = match columns {
                _ if thousands(text) => " (a thousands separator? write the number without it)",
                (None, _) => " (a time column? --time-column names it; or leave the column out: --columns names the ones to learn)",
                (Some(t), None) if self.names_series(t, j) => " (the name of each row's series? --series-column names it, to train one model across them; or leave the column out: --columns names the ones to learn)",
                (Some(_), None) => " (leave the column out: --columns names the ones to learn; or, if it names each row's series, --series-column names it)",
                (Some(_), Some(_)) => " (leave the column out: --columns names the ones to learn)",
            };
            anyhow!("{path}: row {line}, column {} ({name}): {:?} is not a number{hint}", j + 1, short(text))
        })?;
        if !v.is_finite() {
            bail!("{path}: row {line}, column {} ({name}): {} is not finite (infinite values cannot be learned)", j + 1, short(text));
        }
        Ok(v)
    }

    fn column(&self, name: &str, flag: &str) -> Result<usize> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            anyhow!("{flag} {}: {} has no such column (its columns: {})", short(name), self.path.display(), self.header.join(", "))
        })
    }

    /// The named time column; else, among the columns --columns does not name, the first whose
    /// first value is a date or time, or is text under a time's name; else the first named like a
    /// time (`year`, `date`, ...: TIME_NAMES) whose values are numbers. A column of other text
    /// (names, categories) is never taken for the time: read as a feature, it is refused with the
    /// flags that fix it (`value`). The series column is never the time column.
    fn time_column(&self, reading: &Reading, grouping: Option<usize>) -> Result<Option<usize>> {
        if let Some(name) = &reading.time_column {
            // `year+quarter`: a year and its quarter or month (`time_part`), as a run records them
            let year = name.split_once('+').map(|(year, _)| year).filter(|_| !self.header.contains(name));
            let t = self.column(year.unwrap_or(name), "--time-column")?;
            if Some(t) == grouping {
                bail!("--time-column and --series-column both name {}: one column cannot be both", short(name));
            }
            return Ok(Some(t));
        }
        let named = |j: usize| Some(j) == grouping || reading.columns.as_ref().is_some_and(|c| c.contains(&self.header[j]));
        let candidates: Vec<usize> = (0..self.header.len()).filter(|&j| !named(j)).collect();
        let textual = |&j: &usize| self.first_value(j).is_some_and(|c| number(&c, self.decimal_comma).is_none());
        // pandas' unnamed index of years (`1821`, not a RangeIndex's 0, 1, 2 ...) is a time too
        let years = |j: usize| self.header[j] == UNNAMED_INDEX && self.first_value(j).is_some_and(|c| is_year(&c));
        let timely = |&j: &usize| TIME_NAMES.contains(&self.header[j].to_ascii_lowercase().as_str()) || years(j);
        let dated = |j: &usize| textual(j) && (timely(j) || self.first_value(*j).is_some_and(|c| super::season::is_time(&c)));
        let first = |test: &dyn Fn(&usize) -> bool| candidates.iter().copied().find(|j| test(j));
        Ok(first(&dated).or_else(|| first(&timely)))
    }

    /// Beside a time column named `year` that the reader chose, a column named `quarter` or
    /// `month` (not a feature --columns names) whose first value is a whole number in its range:
    /// the two make one label, `1959-Q1` or `1959-01` (statsmodels' macrodata, many offices'
    /// files), unless --time-column names another (`year+quarter` names both). The column, and
    /// its periods in a year.
    fn time_part(&self, reading: &Reading, t: usize, grouping: Option<usize>) -> Option<(usize, u32)> {
        if !self.header[t].eq_ignore_ascii_case("year") {
            return None;
        }
        let named = |j: usize| Some(j) == grouping || reading.columns.as_ref().is_some_and(|c| c.contains(&self.header[j]));
        let (j, per) = [("quarter", 4), ("month", 12)].into_iter().find_map(|(name, per)| {
            let j = (0..self.header.len()).find(|&j| !named(j) && self.header[j].eq_ignore_ascii_case(name))?;
            self.first_value(j).and_then(|v| period(&v, per)).map(|_| (j, per))
        })?;
        // --time-column year keeps the year alone; year+quarter asks for both
        match &reading.time_column {
            Some(name) if *name != format!("{}+{}", self.header[t], self.header[j]) => None,
            _ => Some((j, per)),
        }
    }

    /// `part`: the quarter or month column that the year's labels take in (`time_part`).
    fn features(&self, reading: &Reading, time: Option<usize>, grouping: Option<usize>, part: Option<usize>) -> Result<Vec<usize>> {
        let kept = |j: usize| ![time, grouping, part].contains(&Some(j)) && self.header[j] != UNNAMED_INDEX;
        let features: Vec<usize> = match &reading.columns {
            Some(names) => names.iter().map(|n| self.column(n, "--columns")).collect::<Result<_>>()?,
            None => (0..self.header.len()).filter(|&j| kept(j)).collect(),
        };
        if let Some(g) = grouping.filter(|g| features.contains(g)) {
            bail!("--columns names the series column {}: it names each row's series, never a feature", short(&self.header[g]));
        }
        if let Some(t) = time.filter(|t| features.contains(t)) {
            bail!("--columns names the time column {}: time is never a feature", short(&self.header[t]));
        }
        if features.is_empty() {
            bail!("{}: no feature column besides the time column {}", self.path.display(), short(&self.header[time.unwrap_or(0)]));
        }
        Ok(features)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, reading: &Reading) -> Result<Series> {
        let dir = std::env::temp_dir().join(format!("vanilla-rnn-from-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{:x}.csv", text.len() * 7919 + text.bytes().map(|b| b as usize).sum::<usize>()));
        std::fs::write(&path, text).unwrap();
        read_csv(&path, reading)
    }

    fn plain() -> Reading {
        Reading::default()
    }

    #[test]
    fn a_first_column_of_dates_is_the_time_column() {
        let s = read("month,passengers\n1949-01,112\n1949-02,118\n", &plain()).unwrap();
        assert_eq!(s.names, vec!["passengers"]);
        assert_eq!(s.time.as_ref().unwrap().labels, vec!["1949-01", "1949-02"]);
        assert_eq!(s.rows, vec![vec![112.0], vec![118.0]]);
    }

    #[test]
    fn a_numeric_column_named_like_a_time_is_the_time_column() {
        let s = read("YEAR,SUN\n1700,5\n1701,11\n", &plain()).unwrap();
        assert_eq!(s.names, vec!["SUN"], "years are labels, not a feature");
        assert_eq!(s.time.unwrap().labels, vec!["1700", "1701"]);
        let s = read("volume,Date\n5,19580329\n11,19580405\n", &plain()).unwrap();
        assert_eq!((s.names, s.time.unwrap().name), (vec!["volume".to_string()], "Date".to_string()), "wherever it stands");
        let r = Reading { columns: Some(vec!["YEAR".into(), "SUN".into()]), ..plain() };
        assert_eq!(read("YEAR,SUN\n1700,5\n1701,11\n", &r).unwrap().names, vec!["YEAR", "SUN"], "--columns makes it a feature");
        let s = read("when,SUN\n1700,5\n1701,11\n", &plain()).unwrap();
        assert!(s.time.is_none() && s.names == ["when", "SUN"], "another name is a feature unless --time-column names it");
    }

    #[test]
    fn pandas_index_columns_dates_and_text_anywhere() {
        // Series.to_csv: an unnamed index, then the values under the name 0
        let s = read(",0\n0,1.5\n1,2.5\n", &plain()).unwrap();
        assert_eq!((s.names, s.time), (vec!["0".to_string()], None), "the index is never a feature");
        // DataFrame.to_csv with a DatetimeIndex: the unnamed index is the time column
        let s = read(",value\n2019-01-01,1\n2019-01-02,2\n", &plain()).unwrap();
        assert_eq!(s.time.as_ref().map(|t| t.name.as_str()), Some(UNNAMED_INDEX));
        assert_eq!(s.names, vec!["value"]);
        // an index, a feature and a text label: a label of names is never the time
        let e = read(",KSI,label\n0,1.5,a\n1,2.5,b\n", &plain()).unwrap_err().to_string();
        assert!(e.contains("column 3 (label): \"a\" is not a number (a time column? --time-column names it"), "{e}");
        // a Series.to_csv indexed by years: the index is the time column (not one of 19 or 1821.5)
        assert!(read(",0\n19,269\n20,321\n", &plain()).unwrap().time.is_none());
        assert!(read(",0\n1821.5,269\n1822.5,321\n", &plain()).unwrap().time.is_none());
        let s = read(",0\n1821,269\n1822,321\n", &plain()).unwrap();
        assert_eq!((s.names, s.time.map(|t| t.labels.strings(0..2))), (vec!["0".to_string()], Some(vec!["1821".into(), "1822".into()])));
        // a date column that is not the first
        let s = read("y,date\n1,2019-01-01\n2,2019-01-02\n", &plain()).unwrap();
        assert_eq!((s.names, s.time.unwrap().name), (vec!["y".to_string()], "date".to_string()));
        // a second text column is refused with the flags that leave it out or read it as series
        // names, the likelier first: a category beside dates that never repeat is left out...
        let e = read("date,temp,weather\n2019-01-01,3,rain\n2019-01-02,4,sun\n", &plain()).unwrap_err().to_string();
        assert!(e.contains("column 3 (weather): \"rain\" is not a number (leave the column out: --columns names the ones"), "{e}");
        assert!(e.contains("; or, if it names each row's series, --series-column names it)"), "{e}");
        // ...and names beside dates that repeat are each row's series
        let e = read("date,store,v\n2019-01,a,3\n2019-01,b,4\n", &plain()).unwrap_err().to_string();
        assert!(e.contains("column 2 (store): \"a\" is not a number (the name of each row's series? --series-column"), "{e}");
        // names before a numeric year: the year is the time, the names refused; in blocks (a
        // long file sorted by series, its first rows one series' years), they are series names
        let e = read("country,year,pop\nChad,1952,3\nChad,1957,4\n", &plain()).unwrap_err().to_string();
        assert!(e.contains("column 1 (country): \"Chad\" is not a number (the name of each row's series? --series-column"), "{e}");
        let e = read("date,v,weather\n2019-01,3,rain\n2019-02,4,sun\n2019-03,4,rain\n", &plain()).unwrap_err().to_string();
        assert!(e.contains("(weather): \"rain\" is not a number (leave the column out"), "{e}");
        // a thousands separator gets a hint
        let e = read("date,v\n2019-01-01,\"1,000.00\"\n", &plain()).unwrap_err().to_string();
        assert!(e.contains("\"1,000.00\" is not a number (a thousands separator? write the number without it)"), "{e}");
    }

    #[test]
    fn a_year_beside_a_quarter_or_a_month_makes_one_time_label() {
        // statsmodels' macrodata writes its years and quarters as floats
        let s = read("year,quarter,realgdp\n1959.0,1.0,2710.3\n1959.0,2.0,2778.8\n1959.0,3.0,2775.5\n", &plain()).unwrap();
        let t = s.time.unwrap();
        assert_eq!(
            (t.name.as_str(), t.labels.strings(0..3)),
            ("year+quarter", vec!["1959-Q1".to_string(), "1959-Q2".into(), "1959-Q3".into()])
        );
        assert_eq!(s.names, vec!["realgdp"], "the quarter is no feature");
        let s = read("Year,Month,v\n2001,11,1\n2001,12,2\n2002,1,3\n", &plain()).unwrap();
        assert_eq!(s.time.unwrap().labels.strings(0..3), vec!["2001-11".to_string(), "2001-12".into(), "2002-01".into()]);
        // a quarter out of its range is refused in one line naming the fix
        let e = read("year,quarter,v\n2001,1,1\n2001,5,2\n", &plain()).unwrap_err();
        assert!(format!("{e:#}").contains("row 3: 5 is not a quarter (1 to 4); --time-column names the one column"), "{e:#}");
        // --columns naming the quarter keeps it a feature, and the year alone the time
        let r = Reading { columns: Some(vec!["quarter".into(), "v".into()]), ..plain() };
        assert_eq!(read("year,quarter,v\n2001,1,1\n2002,2,2\n", &r).unwrap().time.unwrap().name, "year");
    }

    #[test]
    fn long_format_gathers_each_series_in_time_order() {
        let text = "store,date,sales\nb,2020-02,20\na,2020-01,1\nb,2020-01,10\na,2020-02,2\na,2020-03,3\n";
        let s = read(text, &Reading { series_column: Some("store".into()), ..plain() }).unwrap();
        let g = s.groups.as_ref().unwrap();
        assert_eq!((g.column.as_str(), &g.names, &g.starts), ("store", &vec!["b".to_string(), "a".to_string()], &vec![0, 2]));
        assert_eq!(s.names, vec!["sales"], "the series column is never a feature");
        assert_eq!(s.rows, vec![vec![10.0], vec![20.0], vec![1.0], vec![2.0], vec![3.0]], "each series in time order");
        assert_eq!(s.time.as_ref().unwrap().labels, vec!["2020-01", "2020-02", "2020-01", "2020-02", "2020-03"]);
        assert_eq!((s.span(1), s.series_of(1), s.series_of(2)), (2..5, 0, 1));
        let e = read(text, &plain()).unwrap_err().to_string();
        assert!(e.contains("(store): \"b\" is not a number (the name of each row's series? --series-column"), "{e}");
        let e = read("date,sales\n2020-01,1\n2020-02,2\n2020-01,3\n", &plain()).unwrap_err().to_string();
        assert!(e.contains("the time column date repeats 2020-01 (data rows 1 and 3): a file of many series? --series-column"), "{e}");
        let r = Reading { series_column: Some("nope".into()), ..plain() };
        assert!(read(text, &r).unwrap_err().to_string().contains("--series-column nope: "));
        let r = Reading { series_column: Some("store".into()), columns: Some(vec!["store".into()]), ..plain() };
        assert!(read(text, &r).unwrap_err().to_string().contains("--columns names the series column store"));
    }

    #[test]
    fn gaps_are_filled_within_each_series() {
        let text = "id,v\na,1\na,\nb,5\nb,7\n";
        let r = Reading { series_column: Some("id".into()), missing: Missing::Interpolate, ..plain() };
        let s = read(text, &r).unwrap();
        assert_eq!(s.rows, vec![vec![1.0], vec![1.0], vec![5.0], vec![7.0]], "a's gap takes a's last value, not b's");
    }

    #[test]
    fn columns_pick_and_order_the_features() {
        let r = Reading { columns: Some(vec!["c".into(), "a".into()]), ..plain() };
        let s = read("t,a,b,c\n2020-01-01,1,2,3\n", &r).unwrap();
        assert_eq!(s.names, vec!["c", "a"]);
        assert_eq!(s.rows, vec![vec![3.0, 1.0]]);
    }

    #[test]
    fn unknown_names_and_duplicates_are_refused() {
        let r = Reading { columns: Some(vec!["zz".into()]), ..plain() };
        let e = read("a,b\n1,2\n", &r).unwrap_err().to_string();
        assert!(e.contains("--columns zz") && e.contains("its columns: a, b"), "{e}");
        let r = Reading { time_column: Some("when".into()), ..plain() };
        let e = read("a,b\n1,2\n", &r).unwrap_err().to_string();
        assert!(e.contains("--time-column when") && e.contains("its columns: a, b"), "{e}");
        let e = read("a,b,a\n1,2,3\n", &plain()).unwrap_err().to_string();
        assert!(e.contains("names a twice (columns 1 and 3)"), "{e}");
    }

    #[test]
    fn semicolons_and_tabs_are_detected_from_the_header() {
        for text in ["a;b\n1,5;2\n", "a\tb\n1,5\t2\n", "a;b\n1.5;2\n"] {
            let s = read(text, &plain()).unwrap();
            assert_eq!(s.rows, vec![vec![1.5, 2.0]], "{text:?}: a decimal comma is read in a ; or tab file");
        }
        let both = Reading { columns: Some(vec!["a".into(), "b".into()]), ..plain() };
        let e = read("a,b\n2,\"1,5\"\n", &both).unwrap_err().to_string();
        assert!(e.contains("\"1,5\" is not a number"), "but not in a , file: {e}");
        let s = read("\"a;x\",b\n1,2\n", &plain()).unwrap();
        assert_eq!(s.names, vec!["a;x", "b"], "a quoted delimiter does not count");
    }

    #[test]
    fn gaps_are_refused_filled_or_kept_as_asked() {
        let text = "a,b\n1,10\n,NA\n3,nan\n4,40\n";
        let e = read(text, &plain()).unwrap_err().to_string();
        assert!(e.contains("row 3, column 1 (a): missing value") && e.contains("--missing interpolate"), "{e}");
        let s = read(text, &Reading { missing: Missing::Interpolate, ..plain() }).unwrap();
        assert_eq!(s.rows, vec![vec![1.0, 10.0], vec![2.0, 20.0], vec![3.0, 30.0], vec![4.0, 40.0]]);
        assert_eq!(s.gaps, 3);
        let s = read(text, &Reading { missing: Missing::Skip, ..plain() }).unwrap();
        assert!(s.rows[1][0].is_nan() && s.rows[2][1].is_nan() && s.rows[3][1] == 40.0);
    }

    #[test]
    fn interpolation_at_the_edges_takes_the_nearest_value() {
        let mut rows: Rows = vec![vec![f64::NAN], vec![2.0], vec![f64::NAN], vec![f64::NAN], vec![5.0], vec![f64::NAN]].into();
        let n = rows.len();
        interpolate(&mut rows, 0..n);
        assert_eq!(rows.values(), [2.0, 2.0, 3.0, 4.0, 5.0, 5.0]);
    }

    #[test]
    fn bad_time_and_empty_columns_are_refused() {
        let e = read("date,v\n2020-01,1\n,2\n", &plain()).unwrap_err().to_string();
        assert!(e.contains("row 3, column 1 (date): the time column is empty"), "{e}");
        let e = read("date,v\n2020-01,\n2020-02,NA\n", &Reading { missing: Missing::Interpolate, ..plain() }).unwrap_err().to_string();
        assert!(e.contains("column v has no value at all"), "{e}");
        let e = read("date\n2020-01\n", &plain()).unwrap_err().to_string();
        assert!(e.contains("no feature column besides the time column date"), "{e}");
        let e = read("a,b\n1,inf\n", &plain()).unwrap_err().to_string();
        assert!(e.contains("inf is not finite"), "{e}");
    }
}
