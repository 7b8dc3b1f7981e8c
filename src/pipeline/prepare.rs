//! A run's settings, series and windows, as train and bench make them: a CSV is read first, as
//! its defaults follow from it; then its windows, scaled by what its training windows show (or
//! as a resumed run's config.json says it began); and its season, resolved once.

use crate::data::{self, Series, Windows};
use crate::files::config::RunConfig;
use crate::train::settings::{CsvSeries, Settings};
use anyhow::{bail, Result};

/// The series' season: --season, else its time column's calendar frequency (none without one;
/// a file of many series: its first series' calendar).
pub fn season_of(settings: &Settings, series: &Series) -> Option<usize> {
    match settings.season {
        0 => {
            let first = series.span(0);
            series.time.as_ref().and_then(|t| data::season::from_labels(&t.labels.strings(first.start..first.end.min(first.start + 1000))))
        }
        n => Some(n as usize),
    }
}

/// A new run's settings, and its series: a CSV is read first, as its defaults follow from it
/// (`settings::csv_defaults`). `given` makes the settings from the flags and those defaults.
pub fn new_run(given: impl Fn(Option<CsvSeries>) -> Result<Settings>) -> Result<(Settings, Series)> {
    let first = given(None)?;
    let source = first.source();
    if source.is_circle() {
        let csv_only = [
            ("--series-column", first.series_column.is_some()),
            ("--time-column", first.time_column.is_some()),
            ("--columns", first.columns.is_some()),
        ];
        if let Some((flag, _)) = csv_only.iter().find(|(_, given)| *given) {
            bail!("{flag} names a column of your CSV: give it with --data FILE (the built-in circle has no columns to name)");
        }
        return Ok((first, source.load()?));
    }
    let series = source.load()?;
    // a file of many series: its median series' length
    let mut lengths: Vec<usize> = (0..series.count()).map(|k| series.span(k).len()).collect();
    lengths.sort_unstable();
    let csv = CsvSeries { season: season_of(&first, &series), rows: lengths[lengths.len() / 2] };
    Ok((given(Some(csv))?, series))
}

/// The windows of the settings' series (read here unless given), the chronological tail held
/// out: a CSV scaled by what its training windows show, or as `saved` (the config.json of a
/// resumed run) says it began.
pub fn windows(settings: &Settings, series: Option<Series>, saved: Option<&RunConfig>) -> Result<Windows> {
    let source = settings.source();
    let series = match series {
        Some(series) => series,
        None => source.load()?,
    };
    let scale = match saved {
        Some(saved) if !source.is_circle() => saved.scaling_of(&series)?,
        _ => source.fresh_scale(settings.scale_bound, settings.transform),
    };
    let windows = Windows::new(series, scale, settings.seq_len as usize, settings.split())?;
    windows.check_test_tail()?;
    windows.check_width()?;
    Ok(windows)
}

/// What the reader chose by itself, in one line for the summary: the time column and the season
/// it gave, the features of the file's columns, the series; none for the circle.
pub fn choices(settings: &Settings, series: &Series, season: Option<usize>) -> Option<String> {
    let path = settings.data.as_ref()?;
    let columns = data::from_csv::header(path).map_or(0, |h| h.len());
    let time = match (&series.time, season, settings.season) {
        (None, _, _) => "no time column (the rows in the file's order)".to_string(),
        (Some(t), None, _) => format!("time column {} (no season)", t.name),
        (Some(t), Some(m), 0) => format!("time column {} (season {m}, from its dates)", t.name),
        (Some(t), Some(m), _) => format!("time column {} (season {m}, from --season)", t.name),
    };
    let names = |names: &[String]| match names.len() {
        0..=4 => names.join(", "),
        n => format!("{}, ... and {} more", names[..3].join(", "), n - 3),
    };
    let features = match &series.groups {
        Some(g) if settings.columns_as_series => format!("each of {} columns a series", g.names.len()),
        _ => format!("features {} ({} of {columns} columns)", names(&series.names), series.names.len()),
    };
    let many = match &series.groups {
        Some(g) if !settings.columns_as_series => format!("; {} series by {}", g.names.len(), g.column),
        _ => String::new(),
    };
    Some(format!("read {}: {time}; {features}{many}", path.display()))
}
