//! Dates and clock times. Times are stored with their UTC offset
//! (RFC 3339, `2009-02-10T14:03:05+08:00`) and shown on the campaign's
//! clock: China Standard Time unless the rules say otherwise. Calendar
//! arithmetic is jiff's; nothing here counts days by hand.

use jiff::civil::Date;
use jiff::tz::{self, TimeZone};
use jiff::{Timestamp, ZonedDateTime};

use crate::error::Diag;
use crate::rules::{Reader, Table};

/// A fixed offset from UTC. China has kept one offset, without daylight
/// saving, since 1991, so a fixed offset is exact there and needs no time
/// zone database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset(pub tz::Offset);

impl Default for Offset {
    /// China Standard Time, UTC+08:00.
    fn default() -> Offset {
        Offset(tz::offset(8))
    }
}

impl Offset {
    /// Parses `+08:00`, `-05:30`, `UTC+8` or `Z`.
    pub fn parse(s: &str) -> Option<Offset> {
        let t = s.trim();
        let bare = t.strip_prefix("UTC").or_else(|| t.strip_prefix("utc"));
        let t = bare.unwrap_or(t);
        if t == "Z" || (t.is_empty() && bare.is_some()) {
            return Some(Offset(tz::Offset::UTC));
        }
        if t.is_empty() {
            return None;
        }
        let (sign, rest) = match t.as_bytes()[0] {
            b'+' => (1, &t[1..]),
            b'-' => (-1, &t[1..]),
            _ => return None,
        };
        let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
        let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
        if !(0..=14).contains(&h) || !(0..60).contains(&m) || (h == 14 && m > 0) {
            return None;
        }
        tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).ok().map(Offset)
    }

    fn zone(self) -> TimeZone {
        TimeZone::fixed(self.0)
    }

    /// `UTC+08:00`.
    pub fn label(self) -> String {
        let s = self.0.seconds();
        let sign = if s < 0 { '-' } else { '+' };
        let a = s.abs();
        format!("UTC{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
    }
}

/// Reads an offset key of the rules (`utc_offset = "+08:00"`); absent, China
/// Standard Time.
pub fn read_offset(r: &mut Reader<'_>, t: Table<'_, '_>, key: &str) -> Offset {
    match r.string(t, key, false) {
        None => Offset::default(),
        Some((v, loc)) => Offset::parse(&v).unwrap_or_else(|| {
            r.diags.push(Diag::error(
                &r.file,
                Some(loc),
                format!("`{key} = \"{v}\"` is not an offset from UTC like \"+08:00\" (China Standard Time)"),
            ));
            Offset::default()
        }),
    }
}

/// Now, as RFC 3339 on the given clock, to the second: what the journal
/// stores.
pub fn now(offset: Offset) -> String {
    stamp(Timestamp::now(), offset)
}

fn stamp(t: Timestamp, offset: Offset) -> String {
    let z = t.to_zoned_datetime(offset.zone());
    z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// Parses a stored timestamp: RFC 3339 with an offset or `Z` (journals
/// written before offsets were kept used UTC and `Z`).
pub fn parse(at: &str) -> Option<Timestamp> {
    at.trim().parse::<Timestamp>().ok()
}

/// A stored timestamp for people, on the given clock:
/// `2009-02-10 14:03:05 (UTC+08:00)`. Text that is not a timestamp is shown
/// as it is.
pub fn show(at: &str, offset: Offset) -> String {
    match parse(at) {
        Some(t) => {
            let z: ZonedDateTime = t.to_zoned_datetime(offset.zone());
            format!("{} ({})", z.strftime("%Y-%m-%d %H:%M:%S"), offset.label())
        }
        None => at.to_string(),
    }
}

/// The calendar day of a stored timestamp on the given clock.
pub fn day(at: &str, offset: Offset) -> Option<Date> {
    parse(at).map(|t| t.to_zoned_datetime(offset.zone()).date())
}

/// A date written `2009-02-15`, `2009/2/15`, `2009.2.15` or `2009年2月15日`,
/// between 1900 and 2999.
pub fn parse_day(raw: &str) -> Option<Date> {
    let norm: String = raw.trim().replace(['/', '.', '年', '月'], "-").trim_end_matches('日').to_string();
    let mut parts = norm.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (y, m, d): (i16, i8, i8) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1900..=2999).contains(&y) {
        return None;
    }
    Date::new(y, m, d).ok()
}

/// `2009-02-15`.
pub fn iso(d: Date) -> String {
    d.strftime("%Y-%m-%d").to_string()
}

/// `2009年2月15日`, as Chinese documents write dates.
pub fn chinese(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// An Excel serial day (1900 date system) as a date; `None` outside
/// Excel's own range (1900-01-01 to 9999-12-31).
pub fn from_excel(serial: f64) -> Option<Date> {
    if !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    // Serial 60 is Excel's fictional 1900-02-29; later serials count from
    // 1899-12-30, earlier ones from 1899-12-31.
    let days = serial.floor() as i64;
    let (base, n) =
        if days >= 60 { (Date::constant(1899, 12, 30), days) } else { (Date::constant(1899, 12, 31), days) };
    base.checked_add(jiff::Span::new().days(n)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(Offset::parse("+08:00"), Some(Offset::default()));
        assert_eq!(Offset::parse("UTC+8"), Some(Offset::default()));
        assert_eq!(Offset::parse("-05:30").unwrap().label(), "UTC-05:30");
        assert_eq!(Offset::parse("Z").unwrap().label(), "UTC+00:00");
        assert!(Offset::parse("Asia/Shanghai").is_none());
        assert!(Offset::parse("+15:00").is_none());
        assert!(Offset::parse("").is_none());
        assert_eq!(Offset::parse("UTC"), Some(Offset(tz::Offset::UTC)));
    }

    #[test]
    fn stamps_keep_their_offset_and_show_on_the_campaign_clock() {
        let t: Timestamp = "2009-02-10T06:03:05Z".parse().unwrap();
        assert_eq!(stamp(t, Offset::default()), "2009-02-10T14:03:05+08:00");
        // A journal line written in UTC shows on China Standard Time.
        assert_eq!(show("2009-02-10T06:03:05Z", Offset::default()), "2009-02-10 14:03:05 (UTC+08:00)");
        assert_eq!(show("2009-02-10T14:03:05+08:00", Offset::default()), "2009-02-10 14:03:05 (UTC+08:00)");
        // Late evening UTC is the next day in China.
        assert_eq!(day("2009-02-09T20:00:00Z", Offset::default()).map(iso), Some("2009-02-10".into()));
        assert_eq!(show("not a time", Offset::default()), "not a time");
    }

    #[test]
    fn days() {
        assert_eq!(parse_day("2009年2月9日").map(iso), Some("2009-02-09".into()));
        assert_eq!(parse_day("2008/2/29").map(iso), Some("2008-02-29".into()));
        assert!(parse_day("2009-02-29").is_none());
        assert!(parse_day("2009-02").is_none());
        assert!(parse_day("1899-12-31").is_none());
        assert_eq!(chinese(Date::constant(2009, 2, 9)), "2009年2月9日");
        assert_eq!(from_excel(39853.0).map(iso), Some("2009-02-09".into()));
        assert_eq!(from_excel(25569.0).map(iso), Some("1970-01-01".into()));
        assert_eq!(from_excel(61.0).map(iso), Some("1900-03-01".into()));
        assert_eq!(from_excel(59.0).map(iso), Some("1900-02-28".into()));
        assert!(from_excel(3e6).is_none());
        assert!(from_excel(f64::NAN).is_none());
    }
}
