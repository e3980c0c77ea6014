//! Docker's table output: Go's tabwriter (minwidth 10, padding 3, spaces),
//! docker's human durations ("Less than a second", "About a minute"),
//! `Ellipsis` truncation and `strconv.Quote`.

use std::time::{SystemTime, UNIX_EPOCH};

use rvol_state::time::parse_time;

/// Rows of cells laid out as docker's `tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)`:
/// every column but the last is padded to max(widest cell + 3, 10).
pub fn render(rows: &[Vec<String>]) -> String {
    let ncols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; ncols];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let w = (widths[i] + 3).max(10);
                for _ in cell.chars().count()..w {
                    line.push(' ');
                }
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// docker/go-units `HumanDuration`.
pub fn human_duration(secs: f64) -> String {
    let seconds = secs as i64;
    if seconds < 1 {
        return "Less than a second".into();
    }
    if seconds == 1 {
        return "1 second".into();
    }
    if seconds < 60 {
        return format!("{seconds} seconds");
    }
    let minutes = seconds / 60;
    if minutes == 1 {
        return "About a minute".into();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    let hours = (secs / 3600.0).round() as i64;
    if hours == 1 {
        return "About an hour".into();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if hours < 24 * 7 * 2 {
        return format!("{} days", hours / 24);
    }
    if hours < 24 * 30 * 2 {
        return format!("{} weeks", hours / 24 / 7);
    }
    if hours < 24 * 365 * 2 {
        return format!("{} months", hours / 24 / 30);
    }
    format!("{} years", seconds / 3600 / 24 / 365)
}

/// Seconds since `rfc3339` (docker's timestamps), or None when unset/zero.
pub fn since(rfc3339: &str) -> Option<f64> {
    let t = parse_time(rfc3339)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    Some((now - t).max(0.0))
}

/// docker's `formatter.Ellipsis` for one-column-per-char text.
pub fn ellipsis(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// go-units `HumanSizeWithPrecision(size, 3)`: decimal units, 3 significant digits.
pub fn human_size(size: f64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut s = size;
    let mut i = 0;
    while s >= 1000.0 && i < units.len() - 1 {
        s /= 1000.0;
        i += 1;
    }
    format!("{}{}", go_g(s, 3), units[i])
}

/// Go's `%.Pg` for the sizes above (no exponent form below 1000 or 1024).
pub fn go_g(v: f64, precision: i32) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = v.abs().log10().floor() as i32 + 1;
    let decimals = (precision - digits).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_like_docker() {
        let t = render(&[
            vec!["DRIVER".into(), "VOLUME NAME".into()],
            vec!["local".into(), "v".into()],
        ]);
        assert_eq!(t, "DRIVER    VOLUME NAME\nlocal     v\n");
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(human_duration(0.4), "Less than a second");
        assert_eq!(human_duration(75.0), "About a minute");
        assert_eq!(human_duration(130.0), "2 minutes");
        assert_eq!(human_size(1984312.0), "1.98MB");
        assert_eq!(human_size(4_400_000.0), "4.4MB");
        assert_eq!(human_size(123_456_789.0), "123MB");
    }

    #[test]
    fn quoting() {
        assert_eq!(go_quote("echo 'a b'"), "\"echo 'a b'\"");
        assert_eq!(
            ellipsis("echo 1234567890123456789012345", 20),
            "echo 12345678901234…"
        );
    }
}
