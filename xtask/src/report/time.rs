//! Times and durations as people read them, in UTC so a report does not depend
//! on where it was made.

/// `2026-03-01 14:05 UTC` for seconds since the Unix epoch.
pub fn date_time(secs: u64) -> String {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil(days as i64);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rest / 3600, rest % 3600 / 60)
}

/// `03-01 14:05`: a chart's axis label.
pub fn short(secs: u64) -> String {
    let (_, m, d) = civil((secs / 86_400) as i64);
    let rest = secs % 86_400;
    format!("{m:02}-{d:02} {:02}:{:02}", rest / 3600, rest % 3600 / 60)
}

/// `2d 3h`, `1h 5m`, `4m 10s`: the two largest units.
pub fn duration(secs: u64) -> String {
    let units = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let mut parts = Vec::new();
    let mut rest = secs;
    for (size, name) in units {
        if rest >= size || (parts.is_empty() && size == 1) {
            parts.push(format!("{}{name}", rest / size));
            rest %= size;
        } else if !parts.is_empty() {
            parts.push(String::new());
        }
        if parts.len() == 2 {
            break;
        }
    }
    parts.retain(|p| !p.is_empty());
    parts.join(" ")
}

/// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_durations_read_as_people_write_them() {
        assert_eq!(date_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(date_time(1_772_373_900), "2026-03-01 14:05 UTC");
        assert_eq!(short(1_772_373_900), "03-01 14:05");
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(250), "4m 10s");
        assert_eq!(duration(3600 + 300 + 7), "1h 5m");
        assert_eq!(duration(2 * 86_400 + 7), "2d");
        assert_eq!(duration(86_400 + 3 * 3600), "1d 3h");
    }
}
