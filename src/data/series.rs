//! A series: its rows (one buffer), its time labels, its gaps, and the many series of a
//! long-format file (`--series-column`).

use serde::{Deserialize, Serialize};

/// A series' values, one row per time step, in one buffer (a long series would otherwise cost an
/// allocation per row): `rows[i]` is row i's values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    values: Vec<f64>,
    width: usize,
}

impl Rows {
    pub fn new(width: usize) -> Rows {
        Rows { values: vec![], width }
    }

    pub fn with_capacity(width: usize, rows: usize) -> Rows {
        Rows { values: Vec::with_capacity(width * rows), width }
    }

    pub fn push(&mut self, row: &[f64]) {
        assert_eq!(row.len(), self.width, "a row of the series' width");
        self.values.extend_from_slice(row);
    }

    pub fn len(&self) -> usize {
        self.values.len().checked_div(self.width).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn get(&self, i: usize) -> Option<&[f64]> {
        (i < self.len()).then(|| &self[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &[f64]> + '_ {
        self.values.chunks_exact(self.width.max(1))
    }

    /// Every value, row after row.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Feature `j`'s values in the rows `range`.
    pub fn column(&self, range: std::ops::Range<usize>, j: usize) -> Vec<f64> {
        range.map(|i| self[i][j]).collect()
    }
}

impl std::ops::Index<usize> for Rows {
    type Output = [f64];
    fn index(&self, i: usize) -> &[f64] {
        &self.values[i * self.width..(i + 1) * self.width]
    }
}

impl std::ops::IndexMut<usize> for Rows {
    fn index_mut(&mut self, i: usize) -> &mut [f64] {
        &mut self.values[i * self.width..(i + 1) * self.width]
    }
}

impl From<Vec<Vec<f64>>> for Rows {
    fn from(rows: Vec<Vec<f64>>) -> Rows {
        let width = rows.first().map_or(0, Vec::len);
        let mut out = Rows::with_capacity(width, rows.len());
        rows.iter().for_each(|r| out.push(r));
        out
    }
}

impl PartialEq<Vec<Vec<f64>>> for Rows {
    fn eq(&self, other: &Vec<Vec<f64>>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_slice())
    }
}

/// A multivariate series, one row per time step, in the units the user knows. A NaN is a gap
/// kept for the windows to avoid (`--missing skip`).
#[derive(Debug, Clone)]
pub struct Series {
    pub names: Vec<String>,
    pub rows: Rows,
    /// The time column, when the CSV has one: never a feature, only labels.
    pub time: Option<Time>,
    /// Missing cells found in the file (filled or kept, as `--missing` said).
    pub gaps: usize,
    /// Many series in one file (`--series-column`): their rows one series after another.
    pub groups: Option<Groups>,
}

/// The series of a long-format file, each a run of consecutive rows: series k is rows
/// `starts[k]..starts[k + 1]` (the last runs to the end), named `names[k]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    /// The column that names each row's series.
    pub column: String,
    pub names: Vec<String>,
    pub starts: Vec<usize>,
}

impl Groups {
    /// The rows of series `k`, of `rows` in all.
    pub fn span(&self, k: usize, rows: usize) -> std::ops::Range<usize> {
        self.starts[k]..self.starts.get(k + 1).copied().unwrap_or(rows)
    }
}

/// A time column: its name, and each row's label as the file writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Time {
    pub name: String,
    pub labels: Labels,
}

/// Text labels, one per row, in one buffer (a long series would otherwise cost an allocation per
/// label): label i is `text[ends[i - 1]..ends[i]]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Labels {
    text: String,
    ends: Vec<usize>,
}

impl Labels {
    pub fn push(&mut self, label: &str) {
        self.text.push_str(label);
        self.ends.push(self.text.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.text[start..end])
    }

    pub fn first(&self) -> Option<&str> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&str> {
        self.get(self.len().checked_sub(1)?)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| &self[i])
    }

    /// The labels `range`, as their own.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Labels {
        range.map(|i| &self[i]).collect()
    }

    /// The labels `range` as strings, for the calendar's reading (a thousand at most there).
    pub fn strings(&self, range: std::ops::Range<usize>) -> Vec<String> {
        range.map(|i| self[i].to_string()).collect()
    }
}

impl std::ops::Index<usize> for Labels {
    type Output = str;
    fn index(&self, i: usize) -> &str {
        self.get(i).unwrap_or_else(|| panic!("label {i} of {}", self.len()))
    }
}

impl<'a> FromIterator<&'a str> for Labels {
    fn from_iter<I: IntoIterator<Item = &'a str>>(items: I) -> Labels {
        let mut out = Labels::default();
        items.into_iter().for_each(|l| out.push(l));
        out
    }
}

impl FromIterator<String> for Labels {
    fn from_iter<I: IntoIterator<Item = String>>(items: I) -> Labels {
        let mut out = Labels::default();
        items.into_iter().for_each(|l| out.push(&l));
        out
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Labels {
    fn eq(&self, other: &Vec<S>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl Series {
    pub fn features(&self) -> usize {
        self.names.len()
    }

    /// Row `i`'s time label, when the series has a time column.
    pub fn label(&self, i: usize) -> Option<&str> {
        self.time.as_ref().and_then(|t| t.labels.get(i))
    }

    /// Whether row `i` has a gap.
    pub fn has_gap(&self, i: usize) -> bool {
        self.rows[i].iter().any(|v| v.is_nan())
    }

    /// How many series the file holds (1 without `--series-column`).
    pub fn count(&self) -> usize {
        self.groups.as_ref().map_or(1, |g| g.names.len())
    }

    /// The rows of series `k`.
    pub fn span(&self, k: usize) -> std::ops::Range<usize> {
        match &self.groups {
            None => 0..self.rows.len(),
            Some(g) => g.span(k, self.rows.len()),
        }
    }

    /// The series row `i` belongs to.
    pub fn series_of(&self, i: usize) -> usize {
        self.groups.as_ref().map_or(0, |g| g.starts.partition_point(|&s| s <= i) - 1)
    }

    /// Series `k`'s name (none without `--series-column`).
    pub fn name_of(&self, k: usize) -> Option<&str> {
        self.groups.as_ref().map(|g| g.names[k].as_str())
    }

    /// Series `k` alone: its rows, labels and gaps (a file of one series is itself).
    pub fn only(&self, k: usize) -> Series {
        let span = self.span(k);
        let mut rows = Rows::with_capacity(self.features(), span.len());
        span.clone().for_each(|i| rows.push(&self.rows[i]));
        let time = self.time.as_ref().map(|t| Time { name: t.name.clone(), labels: t.labels.slice(span.clone()) });
        let gaps = rows.values().iter().filter(|v| v.is_nan()).count();
        Series { names: self.names.clone(), rows, time, gaps, groups: None }
    }
}

/// Names for a message: all of them, or the first 20 and how many more.
pub fn listed(names: &[String]) -> String {
    match names.len() {
        n if n <= 20 => names.join(", "),
        n => format!("{}, and {} more", names[..20].join(", "), n - 20),
    }
}

/// What a missing cell (empty, `NA` or `NaN`) becomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    /// Refuse the file, naming the first gap
    #[default]
    Error,
    /// Fill each gap linearly between its neighbours in row order (the edges take the nearest value)
    Interpolate,
    /// Keep the gap, and use no window that touches it
    Skip,
}

display_as_flag_value!(Missing);

/// What was done with a series' gaps: config.json's `gaps`, and the summary line's.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Gaps {
    pub missing: Missing,
    /// Missing cells in the file.
    pub cells: usize,
    /// Of them, filled by interpolation.
    pub filled: usize,
    /// Windows left out because they touch a gap.
    pub skipped_windows: usize,
}

impl std::fmt::Display for Gaps {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self.missing {
            _ if self.cells == 0 => f.write_str("no gaps"),
            Missing::Interpolate => write!(f, "{} missing cells interpolated", self.filled),
            _ => write!(f, "{} missing cells: {} windows skipped", self.cells, self.skipped_windows),
        }
    }
}
