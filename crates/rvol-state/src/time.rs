//! RFC 3339 timestamps as docker prints them, without a date crate:
//! containers use nanoseconds (`2026-11-27T17:45:31.123456789Z`), volumes
//! whole seconds (`2026-11-27T17:45:31Z`). Written by every tool, read
//! back (any offset, any fraction) by rvol-inspect's lists and sorting.

use std::time::{SystemTime, UNIX_EPOCH};

/// Docker's zero time, for a container never started or never finished.
pub const ZERO: &str = "0001-01-01T00:00:00Z";

pub fn now_nanos() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format_time(d.as_secs() as i64, Some(d.subsec_nanos()))
}

pub fn now_secs() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format_time(d.as_secs() as i64, None)
}

pub fn format_time(secs: i64, nanos: Option<u32>) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem / 3600, rem % 3600 / 60, rem % 60);
    match nanos {
        Some(n) => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{n:09}Z"),
        None => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z"),
    }
}

/// Parse `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` to Unix seconds. The zero
/// time (year 1) counts as unset: None, as for what does not parse.
pub fn parse_time(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if y <= 1 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac = 0.0;
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        frac = format!("0.{}", &r[..n]).parse().ok()?;
        rest = &r[n..];
    }
    let offset = match rest {
        "Z" => 0,
        _ if rest.len() == 6 => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (rest[1..3].parse::<i64>().ok()? * 3600 + rest[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    Some((days * 86_400 + h * 3600 + mi * 60 + sec - offset) as f64 + frac)
}

/// Go's `time.Time.String()` in UTC (`2026-11-27 18:19:53 +0000 UTC`), as
/// docker's list formats print CreatedAt; "" when unset.
pub fn go_time(rfc3339: &str) -> String {
    match parse_time(rfc3339) {
        Some(t) => {
            let s = format_time(t as i64, None);
            format!("{} {} +0000 UTC", &s[..10], &s[11..19])
        }
        None => String::new(),
    }
}

/// Howard Hinnant's days_from_civil.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Howard Hinnant's civil_from_days, the inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn known_dates() {
        assert_eq!(format_time(0, None), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(951_782_400, None), "2000-02-29T00:00:00Z");
        assert_eq!(
            format_time(1_798_386_331, Some(5)),
            "2026-12-27T15:45:31.000000005Z"
        );
    }

    #[test]
    fn parses_offsets_fractions_and_zero() {
        assert_eq!(parse_time("1970-01-01T00:01:00.5Z"), Some(60.5));
        assert_eq!(parse_time(ZERO), None);
        assert_eq!(parse_time("2026-11-27T17:58"), None);
        assert_eq!(parse_time("2026-11-27T17:58:00+0100"), None);
        // date -d 2026-11-27T17:58:00Z +%s
        assert_eq!(
            parse_time("2026-11-27T17:58:00.123Z").map(|t| t as i64),
            Some(1_795_802_280)
        );
        assert_eq!(
            parse_time("2026-11-27T18:58:00+01:00").map(|t| t as i64),
            Some(1_795_802_280)
        );
        assert_eq!(
            parse_time("2026-11-27T16:28:00-01:30").map(|t| t as i64),
            Some(1_795_802_280)
        );
        assert_eq!(
            go_time("2026-11-27T18:58:00+01:00"),
            "2026-11-27 17:58:00 +0000 UTC"
        );
        assert_eq!(go_time(ZERO), "");
    }

    /// What format_time writes, parse_time reads back, over leap days,
    /// century rules and both sides of the epoch.
    #[test]
    fn round_trip() {
        let mut secs: i64 = -62_135_596_800 + 366 * 86_400; // 0002-01-01
        while secs < 253_402_300_799 {
            // 9999-12-31T23:59:59
            let s = format_time(secs, None);
            assert_eq!(parse_time(&s), Some(secs as f64), "{s}");
            let n = format_time(secs, Some(250_000_000));
            assert_eq!(parse_time(&n), Some(secs as f64 + 0.25), "{n}");
            secs += 86_400 * 97 + 3_607;
        }
        for day in [951_782_400, 4_107_542_400, -2_203_891_200] {
            // 2000-02-29, 2100-03-01, 1900-03-01
            let s = format_time(day, None);
            assert_eq!(parse_time(&s), Some(day as f64), "{s}");
        }
    }
}
