//! How a CSV's cells read: numbers (a decimal comma in `;` and tab files), gaps, the delimiter,
//! and a user's text as an error message shows it.

/// A number as Rust reads it, or, in a `;` or tab file, with one decimal comma (`1,5`).
pub fn number(text: &str, decimal_comma: bool) -> Option<f64> {
    text.parse().ok().or_else(|| {
        let comma = decimal_comma && text.matches(',').count() == 1 && !text.contains('.');
        comma.then(|| text.replace(',', ".").parse().ok()).flatten()
    })
}

/// A gap: an empty cell, `NA` or `NaN` (any case).
pub fn is_missing(text: &str) -> bool {
    text.is_empty() || text.eq_ignore_ascii_case("na") || text.eq_ignore_ascii_case("nan")
}

/// A record's text in column `j`, trimmed.
pub fn cell(record: &csv::ByteRecord, j: usize) -> std::borrow::Cow<'_, str> {
    match String::from_utf8_lossy(&record[j]) {
        std::borrow::Cow::Borrowed(t) => std::borrow::Cow::Borrowed(t.trim()),
        std::borrow::Cow::Owned(t) => std::borrow::Cow::Owned(t.trim().to_string()),
    }
}

/// `,`, `;` or tab, whichever the header line holds most of (outside quotes); `,` when none.
pub fn delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in bytes.iter().take_while(|&&b| b != b'\n') {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&k| (counts[k], std::cmp::Reverse(k))).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        [b',', b';', b'\t'][best]
    }
}

/// A number written with a thousands separator: `1,000`, `12,345.6`.
pub fn thousands(text: &str) -> bool {
    let (int, _) = text.split_once('.').unwrap_or((text, ""));
    let groups: Vec<&str> = int.trim_start_matches(['-', '+']).split(',').collect();
    groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
}

/// A user's text as an error message shows it: at most 40 characters.
pub fn short(name: &str) -> String {
    if name.chars().count() > 40 {
        name.chars().take(37).collect::<String>() + "..."
    } else {
        name.to_string()
    }
}

pub fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => format!(
            "row {} has {len} fields where the header has {expected_len} (ragged CSV, or another delimiter than the header's?)",
            pos.as_ref().map(|p| p.line().to_string()).unwrap_or_else(|| "?".into())
        ),
        _ => e.to_string(),
    }
}
