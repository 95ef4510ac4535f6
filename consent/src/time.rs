//! RFC 3339 date-times, checked as text: the records carry times given
//! by the caller (the model has no clock).

/// Whether `s` is an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(99);
    if b.len() < 20 || !digits(0..4) || b[4] != b'-' || !digits(5..7) || b[7] != b'-' || !digits(8..10) {
        return false;
    }
    if !(b[10] == b'T' || b[10] == b't') || !digits(11..13) || b[13] != b':' || !digits(14..16) || b[16] != b':' || !digits(17..19) {
        return false;
    }
    let (mo, d, h, mi, se) = (num(5..7), num(8..10), num(11..13), num(14..16), num(17..19));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || i - start > 9 {
            return false;
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', _, _, b':', _, _] => {
            digits(i + 1..i + 3) && digits(i + 4..i + 6) && num(i + 1..i + 3) <= 23 && num(i + 4..i + 6) <= 59
        }
        _ => false,
    }
}

/// Unix seconds of an RFC 3339 date-time (fractions dropped, offset
/// applied), `None` when it is not one.
pub fn unix_seconds(s: &str) -> Option<i64> {
    if !is_rfc3339(s) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<i64>().ok());
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let secs = n(11..13)? * 3600 + n(14..16)? * 60 + n(17..19)?;
    // Days from civil (H. Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let tz = s[19..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = n(s.len() - 5..s.len() - 3).zip(n(s.len() - 2..s.len())).map(|(h, m)| h * 3600 + m * 60);
    let offset = match tz.as_bytes().first() {
        Some(b'+') => offset?,
        Some(b'-') => -offset?,
        _ => 0,
    };
    Some(days * 86_400 + secs - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        for ok in ["2026-11-23T17:15:02Z", "2026-11-23T17:15:02.123+01:00", "2026-02-28t00:00:00-05:30"] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "",
            "2026-11-23",
            "2026-13-01T00:00:00Z",
            "2026-11-23 17:15:02Z",
            "2026-11-23T17:15:02",
            "2026-11-23T17:15:02.Z",
            "2026-11-23T17:15:02+0100",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
            assert_eq!(unix_seconds(bad), None);
        }
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2026-11-23T18:15:02.120+01:00"), Some(1_795_454_102));
        assert_eq!(unix_seconds("2026-11-23T12:45:02-04:30"), Some(1_795_454_102));
    }
}
