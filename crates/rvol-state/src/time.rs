//! RFC 3339 timestamps as docker prints them, without a date crate:
//! containers use nanoseconds (`2026-11-27T17:45:31.123456789Z`), volumes
//! whole seconds (`2026-11-27T17:45:31Z`).

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

/// Howard Hinnant's days-from-civil inverse.
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
}
