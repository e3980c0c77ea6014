//! `rvol-inspect logs [-f] [-n|--tail N|all] [-t] [--since T] [--until T]
//! CONTAINER`: `docker logs`, read from the container's json-file log
//! (rvol_state::logfile): each entry to stdout or stderr as it was
//! written, `-t` putting its time first as docker prints it (RFC 3339,
//! nine digits). As docker's daemon: `--tail` takes the last N entries,
//! then `--since`/`--until` (both inclusive) filter them; a tail that is
//! not a number, or is negative, is all of it. `-f` goes on reading
//! while the container runs. docs/docker-behaviour.md §11.

use std::io::{BufRead, Write};

use rvol_state::bundle::Container;
use rvol_state::logfile;
use rvol_state::time::format_time;
use rvol_state::{Result, Root};

pub struct LogsArgs {
    pub root: Root,
    pub follow: bool,
    pub tail: Option<String>,
    pub timestamps: bool,
    pub since: Option<String>,
    pub until: Option<String>,
    pub container: String,
}

pub const HELP: &str = "\
Usage:  rvol logs [OPTIONS] CONTAINER

Fetch the logs of a container

Options:
  -f, --follow         Follow log output
      --since string   Show logs since timestamp (e.g.
                       \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\"
                       for 42 minutes)
  -n, --tail string    Number of lines to show from the end of the logs
                       (default \"all\")
  -t, --timestamps     Show timestamps
      --until string   Show logs before a timestamp (e.g.
                       \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\"
                       for 42 minutes)
";

fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// Docker's GetTimestamp: a Go duration back from now (not "0"), an RFC
/// 3339 time or a prefix of one (`2006-01-02`, `2006-01-02T15`,
/// `2006-01-02T15:04`, with or without a fraction and a zone: without
/// one, the local zone, which on a machine of this kind is UTC), or Unix
/// seconds with an optional fraction.
pub fn timestamp(v: &str, now: i128) -> std::result::Result<i128, String> {
    let generic = || format!("failed to parse value as time or duration: \"{v}\"");
    if v != "0" {
        if let Some(d) = crate::prune::go_duration(v) {
            return Ok(now - (d * 1e9) as i128);
        }
    }
    if v.contains('-') {
        // docker passes time.Parse's own error on for these
        return rfc3339ish(v).map_err(|why| match why {
            Some(field) => format!("parsing time \"{v}\": {field} out of range"),
            None => generic(),
        });
    }
    let (secs, frac) = v.split_once('.').unwrap_or((v, ""));
    let s: i128 = secs.parse().map_err(|_| generic())?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(generic());
    }
    let n: i128 = format!("{frac:0<9}")
        .get(..9)
        .and_then(|n| n.parse().ok())
        .ok_or_else(generic)?;
    Ok(s * 1_000_000_000 + n)
}

/// Err(Some(field)) for a field out of its range (Go's `month out of
/// range`), Err(None) for what does not have the form.
fn rfc3339ish(v: &str) -> std::result::Result<i128, Option<&'static str>> {
    if v.len() < 10 || !v.is_char_boundary(10) {
        return Err(None);
    }
    let (date, rest) = v.split_at(10);
    // The zone: Z, or ±HH:MM at the end.
    let (body, offset) = if let Some(b) = rest.strip_suffix(['Z', 'z']) {
        (b, 0)
    } else if rest.len() >= 6 && matches!(rest.as_bytes()[rest.len() - 6], b'+' | b'-') {
        let z = &rest[rest.len() - 6..];
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let num = |r| {
            z.get(r)
                .and_then(|f: &str| f.parse::<i128>().ok())
                .ok_or(None)
        };
        (
            &rest[..rest.len() - 6],
            sign * (num(1..3)? * 3600 + num(4..6)? * 60),
        )
    } else {
        (rest, 0)
    };
    let (mut h, mut mi, mut s, mut frac) = ("00", "00", "00", "");
    if let Some(t) = body.strip_prefix('T') {
        let (clock, f) = t.split_once('.').unwrap_or((t, ""));
        frac = f;
        let parts: Vec<&str> = clock.split(':').collect();
        match parts.as_slice() {
            [a] => h = a,
            [a, b] => (h, mi) = (a, b),
            [a, b, c] => (h, mi, s) = (a, b, c),
            _ => return Err(None),
        }
    } else if !body.is_empty() {
        return Err(None);
    }
    let whole = format!("{date}T{h:0>2}:{mi:0>2}:{s:0>2}Z");
    let b = whole.as_bytes();
    if whole.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(None);
    }
    let field = |r: std::ops::Range<usize>| {
        whole
            .get(r)
            .filter(|f| f.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|f| f.parse::<u32>().ok())
            .ok_or(None)
    };
    let (y, m, d) = (field(0..4)?, field(5..7)?, field(8..10)?);
    // Go's order: month, hour, minute, second as parsed, the day last.
    for (name, val, lo, hi) in [
        ("month", m, 1, 12),
        ("hour", field(11..13)?, 0, 23),
        ("minute", field(14..16)?, 0, 59),
        ("second", field(17..19)?, 0, 59),
    ] {
        if !(lo..=hi).contains(&val) {
            return Err(Some(name));
        }
    }
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=days).contains(&d) {
        return Err(Some("day"));
    }
    let secs = rvol_state::time::parse_time(&whole).ok_or(None)? as i128;
    let n: i128 = format!("{frac:0<9}")
        .get(..9)
        .and_then(|n| n.parse().ok())
        .ok_or(None)?;
    Ok((secs - offset) * 1_000_000_000 + n)
}

fn bound(flag: &str, v: &Option<String>, now: i128) -> std::result::Result<Option<i128>, i32> {
    let Some(v) = v else { return Ok(None) };
    match timestamp(v, now) {
        Ok(t) => Ok(Some(t)),
        Err(why) => {
            eprintln!("invalid value for \"{flag}\": {why}");
            Err(1)
        }
    }
}

pub fn run(a: &LogsArgs) -> Result<i32> {
    let id = match rvol_state::container::find(&a.root, &a.container) {
        Ok(id) => id,
        Err(e) => {
            eprintln!("Error response from daemon: {}", e.msg);
            return Ok(1);
        }
    };
    let now = now_nanos();
    let since = match bound("since", &a.since, now) {
        Ok(t) => t,
        Err(c) => return Ok(c),
    };
    let until = match bound("until", &a.until, now) {
        Ok(t) => t,
        Err(c) => return Ok(c),
    };
    // docker's daemon: strconv.Atoi, and anything below 0 (or not a number) is all.
    let tail = a
        .tail
        .as_deref()
        .and_then(|t| t.parse::<i64>().ok())
        .filter(|n| *n >= 0);
    let c = Container::open(&a.root, &id);
    let log = c.paths().log();
    let mut out = Printer {
        timestamps: a.timestamps,
        since,
        until,
        stdout: std::io::stdout().lock(),
        stderr: std::io::stderr(),
    };
    let mut offset = 0u64;
    let mut lines = Vec::new();
    if let Ok(f) = std::fs::File::open(&log) {
        offset = read_lines(f, 0, &mut lines);
    }
    let skip = match tail {
        Some(n) => lines.len().saturating_sub(n as usize),
        None => 0,
    };
    for l in &lines[skip..] {
        out.print(l);
    }
    out.flush();
    if !a.follow {
        return Ok(0);
    }
    loop {
        let running = c
            .state()
            .map(|s| s.status == "running" && rvol_state::process::runs(s.pid, &c.paths().state()))
            .unwrap_or(false);
        lines.clear();
        if let Ok(f) = std::fs::File::open(&log) {
            offset = read_lines(f, offset, &mut lines);
        }
        for l in &lines {
            out.print(l);
        }
        out.flush();
        if !running {
            return Ok(0);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The complete lines from `offset` on; the offset after the last one (a
/// line still being written is read next time).
fn read_lines(mut f: std::fs::File, offset: u64, out: &mut Vec<String>) -> u64 {
    use std::io::Seek;
    if f.seek(std::io::SeekFrom::Start(offset)).is_err() {
        return offset;
    }
    let mut r = std::io::BufReader::new(f);
    let mut pos = offset;
    let mut line = String::new();
    loop {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return pos,
            Ok(n) if line.ends_with('\n') => {
                pos += n as u64;
                out.push(line.trim_end_matches('\n').to_string());
            }
            Ok(_) => return pos,
        }
    }
}

struct Printer {
    timestamps: bool,
    since: Option<i128>,
    until: Option<i128>,
    stdout: std::io::StdoutLock<'static>,
    stderr: std::io::Stderr,
}

impl Printer {
    fn print(&mut self, line: &str) {
        let Some(e) = logfile::parse(line) else {
            return;
        };
        let t = logfile::nanos(&e.time);
        if let (Some(s), Some(t)) = (self.since, t) {
            if t < s {
                return;
            }
        }
        if let (Some(u), Some(t)) = (self.until, t) {
            if t > u {
                return;
            }
        }
        let w: &mut dyn Write = match e.stream.as_str() {
            "stderr" => &mut self.stderr,
            _ => &mut self.stdout,
        };
        if self.timestamps {
            let t = t.unwrap_or(0);
            let stamp = format_time(
                t.div_euclid(1_000_000_000) as i64,
                Some(t.rem_euclid(1_000_000_000) as u32),
            );
            let _ = write!(w, "{stamp} ");
        }
        let _ = w.write_all(e.log.as_bytes());
        // Each entry whole where it goes: stdout and stderr interleave
        // in the log's order.
        let _ = w.flush();
    }

    fn flush(&mut self) {
        let _ = self.stdout.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_as_docker_reads_them() {
        let s = 1_000_000_000i128;
        let t = |v| timestamp(v, 60 * s);
        assert_eq!(t("1970-01-01"), Ok(0));
        assert_eq!(t("1970-01-01T01"), Ok(3600 * s));
        assert_eq!(t("1970-01-01T00:01Z"), Ok(60 * s));
        assert_eq!(t("1970-01-01T00:00:01.5Z"), Ok(s + s / 2));
        assert_eq!(t("1970-01-01T01:00:00+01:00"), Ok(0));
        assert_eq!(t("12.25"), Ok(12 * s + s / 4));
        assert_eq!(t("1m"), Ok(0));
        assert_eq!(t("0"), Ok(0));
        assert_eq!(
            t("foo"),
            Err("failed to parse value as time or duration: \"foo\"".into())
        );
        assert_eq!(
            t("2020-13-45"),
            Err("parsing time \"2020-13-45\": month out of range".into())
        );
        assert_eq!(
            t("2021-02-29"),
            Err("parsing time \"2021-02-29\": day out of range".into())
        );
    }
}
