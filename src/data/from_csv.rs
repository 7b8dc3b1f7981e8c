//! A user's series from a CSV file: a header row, then one numeric column per feature.

use super::Series;
use anyhow::{bail, Context, Result};
use std::path::Path;

/// Reads a user's series: a header row, then one numeric column per feature.
pub fn read_csv(path: &Path) -> Result<Series> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(std::io::BufReader::new(file));
    let header =
        reader.byte_headers().map_err(|e| anyhow::anyhow!("{}: cannot read the header row: {}", path.display(), csv_error(&e)))?.clone();
    let mut names = Vec::with_capacity(header.len());
    for (j, raw) in header.iter().enumerate() {
        let raw = if j == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
        let name =
            std::str::from_utf8(raw).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty() && !s.contains('\0')).with_context(
                || format!("{}: header column {} is empty or not UTF-8 text (is the file UTF-8 CSV?)", path.display(), j + 1),
            )?;
        names.push(name);
    }
    if names.is_empty() {
        bail!("{}: the file is empty (expected a header row, then one numeric column per feature)", path.display());
    }
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => bail!("{}: {}", path.display(), csv_error(&e)),
        }
        let line = rows.len() + 2; // 1-based, after the header
        let mut row = Vec::with_capacity(names.len());
        for (j, cell) in record.iter().enumerate() {
            let text = std::str::from_utf8(cell).unwrap_or("").trim();
            let v: f64 = text.parse().map_err(|_| {
                let shown: String = String::from_utf8_lossy(cell).chars().take(40).collect();
                anyhow::anyhow!("{}: row {line}, column {} ({}): {:?} is not a number", path.display(), j + 1, short(&names[j]), shown)
            })?;
            if !v.is_finite() {
                bail!(
                    "{}: row {line}, column {} ({}): {} is not finite (NaN or infinite values cannot be learned)",
                    path.display(),
                    j + 1,
                    short(&names[j]),
                    short(text)
                );
            }
            row.push(v);
        }
        rows.push(row);
    }
    if rows.is_empty() {
        bail!("{}: has a header but no data rows", path.display());
    }
    Ok(Series { names, rows })
}

/// A user's column name as an error message shows it: at most 40 characters.
fn short(name: &str) -> String {
    if name.chars().count() > 40 {
        name.chars().take(37).collect::<String>() + "..."
    } else {
        name.to_string()
    }
}

fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => format!(
            "row {} has {len} fields where the header has {expected_len} (ragged CSV)",
            pos.as_ref().map(|p| p.line().to_string()).unwrap_or_else(|| "?".into())
        ),
        _ => e.to_string(),
    }
}
