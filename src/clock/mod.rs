//! Time: the one place that reads "now", and the parsing of the dates people type. Date and
//! time arithmetic only: what the regulation makes of dates lives in `incident::obligations`.
//!
//! The organisation's day is kept in the zone its profile names (`time_zone`, an IANA name), or
//! the machine's when it names none: a [`Calendar`] made once, at the edge, carries it, and
//! every local date and time in the crate comes from one.
//!
//! Tests and reproducible exports fix "now" with `BREACH_NOW` (RFC 3339), or hand a fixed
//! [`Clock`] to the commands; nothing else in the crate may call `Utc::now()`. Instants are kept in UTC; calendar dates (the basis of every
//! regulatory deadline) are taken in the local time zone of the person who gave them, and pinned
//! into the log as dates so that a later change of time zone cannot move a deadline.

use chrono::{
    DateTime, Datelike, FixedOffset, Local, LocalResult, NaiveDate, NaiveDateTime, TimeZone,
    Timelike, Utc,
};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The environment variable that fixes "now" (RFC 3339), for tests and reproducible output.
pub(crate) const NOW_VAR: &str = "BREACH_NOW";

/// Where "now" comes from: the system clock, or an instant fixed for tests and demonstrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    /// `BREACH_NOW` when set, the system clock otherwise.
    pub(crate) fn from_env() -> Result<Clock, Error> {
        match std::env::var(NOW_VAR) {
            Ok(fixed) => DateTime::parse_from_rfc3339(fixed.trim())
                .map(|t| Clock::Fixed(t.with_timezone(&Utc)))
                .map_err(|e| {
                    Error::usage(format!("{NOW_VAR}=`{fixed}` is not an RFC 3339 time: {e}"))
                }),
            Err(_) => Ok(Clock::System),
        }
    }

    /// Whether "now" is fixed rather than read from the system clock.
    pub(crate) fn is_substituted(self) -> bool {
        matches!(self, Clock::Fixed(_))
    }

    /// The current instant by this clock. The only read of the system clock in the crate.
    pub(crate) fn now(self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(at) => at,
        }
    }
}

/// The zone the organisation's day is kept in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Zone {
    /// The machine's zone (`TZ`, or the system's).
    Machine,
    /// A zone the profile names.
    Named(NamedZone),
}

/// An IANA time zone from the copy of the Time Zone Database built into the binary, so that a
/// deadline is worked out the same on every machine that runs the same release.
///
/// The database is jiff's: each zone is kept as its compiled TZif bytes and read when named, so
/// the program does not carry tens of thousands of pointers that every start would have to fix up
/// (the cost of an append is mostly the program's start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NamedZone {
    /// Always one the database named ([`parse_zone`] refuses any other).
    zone: jiff::tz::TimeZone,
}

/// No IANA zone name is longer than this; a longer one is refused at once and shown cut.
const MAX_ZONE_NAME: usize = 64;

impl NamedZone {
    /// The zone's IANA name as the database spells it, e.g. `America/Chicago`.
    pub(crate) fn name(&self) -> &str {
        self.zone.iana_name().unwrap_or_default()
    }

    /// The offset from UTC in force at an instant.
    fn offset_at(&self, at: DateTime<Utc>) -> FixedOffset {
        let second = at.timestamp().clamp(
            jiff::Timestamp::MIN.as_second(),
            jiff::Timestamp::MAX.as_second(),
        );
        let offset = jiff::Timestamp::from_second(second)
            .map(|t| self.zone.to_offset(t))
            .unwrap_or(jiff::tz::Offset::UTC);
        fixed(offset)
    }

    /// The instant a wall-clock time names in this zone: the earlier one when a fall-back makes
    /// it ambiguous, none in a spring-forward gap.
    fn resolve(&self, naive: NaiveDateTime) -> Option<DateTime<FixedOffset>> {
        use jiff::tz::AmbiguousOffset;
        let civil = i16::try_from(naive.year()).ok().and_then(|year| {
            // Month, day and time of a chrono date always fit.
            let small = |n: u32| i8::try_from(n).unwrap_or(i8::MAX);
            jiff::civil::DateTime::new(
                year,
                small(naive.month()),
                small(naive.day()),
                small(naive.hour()),
                small(naive.minute()),
                small(naive.second()),
                0,
            )
            .ok()
        });
        let Some(civil) = civil else {
            // A year beyond the database (past 9999): the offset at its edge.
            return naive
                .and_local_timezone(self.offset_at(naive.and_utc()))
                .single();
        };
        let offset = match self.zone.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset,
            // The earlier of the two instants is the one still on the offset before the change.
            AmbiguousOffset::Fold { before, .. } => before,
            AmbiguousOffset::Gap { .. } => return None,
        };
        naive.and_local_timezone(fixed(offset)).single()
    }
}

/// A jiff offset as chrono's; every offset in the database is well within a day.
fn fixed(offset: jiff::tz::Offset) -> FixedOffset {
    FixedOffset::east_opt(offset.seconds())
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// The organisation's calendar: where "now" comes from and the zone its days are kept in.
/// Every local date and time in the crate comes from one of these, made once at the edge (the
/// session) from the clock and the profile's zone, and handed down as a value: nothing reads a
/// zone from anywhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Calendar {
    pub clock: Clock,
    zone: Zone,
}

impl Calendar {
    pub(crate) fn new(clock: Clock, zone: Zone) -> Calendar {
        Calendar { clock, zone }
    }

    /// The calendar of the machine's zone (`TZ`, or the system's).
    pub(crate) fn machine(clock: Clock) -> Calendar {
        Calendar::new(clock, Zone::Machine)
    }

    /// The current instant by this calendar's clock.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The name of the zone, for views: the profile's, `TZ`, or the machine's.
    pub(crate) fn zone_name(&self) -> String {
        match &self.zone {
            Zone::Named(tz) => tz.name().to_owned(),
            Zone::Machine => std::env::var("TZ")
                .ok()
                .filter(|z| !z.is_empty())
                .unwrap_or_else(|| "the machine's zone".to_owned()),
        }
    }

    /// An instant as the wall-clock time of this zone.
    pub(crate) fn in_zone(&self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        match &self.zone {
            Zone::Named(tz) => at.with_timezone(&tz.offset_at(at)),
            Zone::Machine => at.with_timezone(&Local).fixed_offset(),
        }
    }

    /// The calendar date an instant falls on in this zone.
    pub(crate) fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        self.in_zone(at).date_naive()
    }

    /// The last minute of a calendar day in this zone: when "due on" that day ends.
    pub(crate) fn end_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        let last = date.and_hms_opt(23, 59, 0).expect("23:59 exists");
        self.resolve_local(last)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&last))
    }

    /// Formats an instant for people: wall-clock time in this zone, with its offset.
    pub(crate) fn local_display(&self, at: DateTime<Utc>) -> String {
        use chrono::{Datelike as _, Timelike as _};
        let t = self.in_zone(at);
        if !(0..=9999).contains(&t.year()) {
            return t.format("%Y-%m-%d %H:%M %:z").to_string();
        }
        // `%Y-%m-%d %H:%M %:z` written directly: an export formats two of these per entry,
        // and chrono parses the format string each time (5% of a 100,000-entry export).
        let offset = t.offset().local_minus_utc();
        let sign = if offset < 0 { '-' } else { '+' };
        // Rounded to the minute, as chrono writes an offset with seconds (a zone's local mean
        // time before standard time).
        let minutes = (offset.unsigned_abs() + 30) / 60;
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02} {sign}{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            minutes / 60,
            minutes % 60
        )
    }

    /// A local wall-clock time as an instant; the earlier one when a fall-back makes it
    /// ambiguous.
    fn resolve_local(&self, naive: NaiveDateTime) -> Option<DateTime<FixedOffset>> {
        let pick = |r: LocalResult<DateTime<FixedOffset>>| match r {
            LocalResult::Single(t) => Some(t),
            LocalResult::Ambiguous(a, _) => Some(a),
            LocalResult::None => None,
        };
        match &self.zone {
            Zone::Named(tz) => tz.resolve(naive),
            Zone::Machine => pick(Local.from_local_datetime(&naive).map(|t| t.fixed_offset())),
        }
    }
}

/// Checks an IANA zone name, such as `America/Chicago`, against the built-in database. Case is
/// not significant; the name comes back as the database spells it.
pub(crate) fn parse_zone(name: &str) -> Result<NamedZone, Error> {
    let name = name.trim();
    let refused = || {
        // Shown cut, so that the error stays one line.
        let shown: String = name.chars().take(MAX_ZONE_NAME).collect();
        let cut = if shown.len() < name.len() { "…" } else { "" };
        Error::input(format!(
            "`{}{cut}` is not an IANA time zone name (such as America/Chicago or Europe/London)",
            crate::text::sanitize(&shown)
        ))
    };
    // The database's placeholder for "unknown" names no place's clock.
    if name.len() > MAX_ZONE_NAME || name.eq_ignore_ascii_case("Etc/Unknown") {
        return Err(refused());
    }
    let zone = jiff::tz::TimeZoneDatabase::bundled()
        .get(name)
        .map_err(|_| refused())?;
    zone.iana_name().ok_or_else(refused)?;
    Ok(NamedZone { zone })
}

/// The IANA name of the machine's zone (`TZ`, else the system's), when it has one.
pub(crate) fn machine_zone_name() -> Option<String> {
    let from_tz = std::env::var("TZ")
        .ok()
        .map(|tz| tz.trim_start_matches(':').to_owned())
        .filter(|tz| parse_zone(tz).is_ok());
    from_tz.or_else(|| {
        jiff::tz::TimeZone::try_system()
            .ok()
            .and_then(|tz| tz.iana_name().map(str::to_owned))
            .filter(|name| parse_zone(name).is_ok())
    })
}

/// How precisely a discovery time was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Precision {
    /// Only the calendar day is known.
    Date,
    Minute,
    Instant,
}

/// A point in time as a person gave it: the instant, the calendar date it falls on in their time
/// zone, the offset in force, and their words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct GivenTime {
    /// UTC instant (start of the day when only a date was given).
    pub at: DateTime<Utc>,
    /// Calendar date in the giver's time zone.
    pub date: NaiveDate,
    /// UTC offset in force for that time, e.g. `-05:00`.
    pub offset: String,
    /// The `TZ` the time was interpreted in, when one was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    pub precision: Precision,
    /// Exactly what was typed.
    pub given: String,
}

impl Calendar {
    /// Parses `now`, `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` (local time) or RFC 3339. `what` names the
    /// value in error messages, e.g. "--discovered".
    pub(crate) fn parse_when(
        &self,
        input: &str,
        what: &str,
        now: DateTime<Utc>,
    ) -> Result<GivenTime, Error> {
        let text = input.trim();
        let zone = match &self.zone {
            Zone::Named(tz) => Some(tz.name().to_owned()),
            Zone::Machine => std::env::var("TZ").ok().filter(|z| !z.is_empty()),
        };
        let expected = "expected YYYY-MM-DD, YYYY-MM-DD HH:MM, an RFC 3339 time, or `now`";
        if text.len() > 64 {
            return Err(Error::input(format!("{what}: value too long; {expected}")));
        }
        if text.eq_ignore_ascii_case("now") {
            let local = self.in_zone(now);
            return Ok(GivenTime {
                at: now,
                date: local.date_naive(),
                offset: local.offset().to_string(),
                zone,
                precision: Precision::Instant,
                given: text.to_owned(),
            });
        }
        if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            let start = date.and_hms_opt(0, 0, 0).expect("midnight exists");
            let local = self.resolve_local(start).ok_or_else(|| {
                Error::input(format!(
                    "{what}: midnight of {date} does not exist in this time zone"
                ))
            })?;
            return Ok(GivenTime {
                at: local.with_timezone(&Utc),
                date,
                offset: local.offset().to_string(),
                zone,
                precision: Precision::Date,
                given: text.to_owned(),
            });
        }
        for format in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
            if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
                let local = self.resolve_local(naive).ok_or_else(|| {
                    Error::input(format!(
                        "{what}: {text} does not exist in this time zone (a daylight-saving gap); give an RFC 3339 time with its offset"
                    ))
                })?;
                return Ok(GivenTime {
                    at: local.with_timezone(&Utc),
                    date: naive.date(),
                    offset: local.offset().to_string(),
                    zone,
                    precision: Precision::Minute,
                    given: text.to_owned(),
                });
            }
        }
        match DateTime::parse_from_rfc3339(text) {
            // A time given with its own offset keeps its own calendar date: 23:30 on 31 December at
            // -05:00 is 31 December, whatever zone the machine is in.
            Ok(t) => Ok(GivenTime {
                at: t.with_timezone(&Utc),
                date: t.date_naive(),
                offset: t.offset().to_string(),
                zone,
                precision: Precision::Instant,
                given: text.to_owned(),
            }),
            Err(_) => Err(Error::input(format!(
                "{what}: `{}` is not a valid date or time; {expected}",
                crate::text::sanitize(text)
            ))),
        }
    }

    /// Like [`parse_when`], and refuses a time later than `now`.
    pub(crate) fn parse_past(
        &self,
        input: &str,
        what: &str,
        now: DateTime<Utc>,
    ) -> Result<GivenTime, Error> {
        let given = self.parse_when(input, what, now)?;
        let today = self.local_date(now);
        let future = match given.precision {
            Precision::Date => given.date > today,
            _ => given.at > now,
        };
        if future {
            return Err(Error::input(format!(
                "{what}: {} is in the future (now is {})",
                given.given,
                self.local_display(now)
            )));
        }
        Ok(given)
    }
}

/// Parses a calendar date `YYYY-MM-DD`.
pub(crate) fn parse_date(input: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d").ok()
}

/// Reads a date as chrono writes one in JSON (`YYYY-MM-DD`, other years signed), for the
/// summaries and sorted rows the store-wide views read by the ten thousand: the common shape is
/// read by hand (chrono's general parser costs about twenty times as much), anything else as
/// chrono reads it, so the result and the errors are chrono's own.
pub(crate) mod stored_day {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer};

    /// `YYYY-MM-DD` with four-digit year, or `None` to leave it to chrono.
    fn plain(text: &str) -> Option<NaiveDate> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let number = |digits: &[u8]| {
            digits.iter().try_fold(0u32, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        };
        let year = i32::try_from(number(&b[..4])?).ok()?;
        NaiveDate::from_ymd_opt(year, number(&b[5..7])?, number(&b[8..])?)
    }

    /// A date, as `#[serde(deserialize_with)]`.
    pub(crate) fn day<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        struct Day;
        impl serde::de::Visitor<'_> for Day {
            type Value = NaiveDate;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a formatted date string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<NaiveDate, E> {
                plain(text).map_or_else(|| text.parse().map_err(E::custom), Ok)
            }
        }
        d.deserialize_str(Day)
    }

    /// An optional date, as `#[serde(default, deserialize_with)]`.
    pub(crate) fn maybe_day<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<NaiveDate>, D::Error> {
        struct Day(NaiveDate);
        impl<'de> Deserialize<'de> for Day {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                day(d).map(Day)
            }
        }
        Ok(Option::<Day>::deserialize(d)?.map(|Day(date)| date))
    }
}

/// Formats an instant for the log: RFC 3339 UTC with milliseconds.
pub(crate) fn log_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_day_reads_as_chrono_reads_it() {
        #[derive(Debug, Deserialize)]
        struct Row {
            #[serde(deserialize_with = "stored_day::day")]
            day: NaiveDate,
            #[serde(default, deserialize_with = "stored_day::maybe_day")]
            maybe: Option<NaiveDate>,
        }
        let read = |json: &str| serde_json::from_str::<Row>(json).map_err(|e| e.to_string());
        // Every date chrono writes, including the years it writes signed, reads back.
        for date in [
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
            NaiveDate::from_ymd_opt(1, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(-44, 3, 15).unwrap(),
            NaiveDate::from_ymd_opt(12345, 6, 7).unwrap(),
            NaiveDate::MIN,
            NaiveDate::MAX,
        ] {
            let json = format!(
                r#"{{"day":{0},"maybe":{0}}}"#,
                serde_json::to_string(&date).unwrap()
            );
            let row = read(&json).unwrap();
            assert_eq!((row.day, row.maybe), (date, Some(date)), "{json}");
        }
        let row = read(r#"{"day":"2026-12-01","maybe":null}"#).unwrap();
        assert_eq!(row.maybe, None);
        assert_eq!(read(r#"{"day":"2026-12-01"}"#).unwrap().maybe, None);
        // What chrono refuses is refused, with chrono's words.
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-1x-01",
            "20261201",
            "",
            "2026-12-01T00:00",
        ] {
            let ours = read(&format!(r#"{{"day":"{bad}"}}"#)).unwrap_err();
            let chronos = serde_json::from_str::<NaiveDate>(&format!(r#""{bad}""#)).unwrap_err();
            assert!(
                ours.starts_with(&chronos.to_string().split(" at ").next().unwrap().to_owned()),
                "{bad}: {ours} / {chronos}"
            );
        }
        assert!(read(r#"{"day":20261201}"#).is_err());
    }

    fn fixed_now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn accepts_the_four_forms() {
        let now = fixed_now();
        let cal = Calendar::machine(Clock::Fixed(now));
        assert_eq!(
            cal.parse_when("2026-03-01", "x", now).unwrap().precision,
            Precision::Date
        );
        assert_eq!(
            cal.parse_when("2026-03-01 09:30", "x", now)
                .unwrap()
                .precision,
            Precision::Minute
        );
        let rfc = cal
            .parse_when("2026-03-01T09:30:00-05:00", "x", now)
            .unwrap();
        assert_eq!(rfc.at.to_rfc3339(), "2026-03-01T14:30:00+00:00");
        assert_eq!(rfc.offset, "-05:00");
        assert_eq!(cal.parse_when("now", "x", now).unwrap().at, now);
    }

    #[test]
    fn refuses_impossible_and_future_dates() {
        let now = fixed_now();
        let cal = Calendar::machine(Clock::Fixed(now));
        let err = cal
            .parse_when("2026-02-30", "--discovered", now)
            .unwrap_err();
        assert!(err.to_string().contains("--discovered"), "{err}");
        assert!(cal.parse_past("2026-03-11", "x", now).is_err());
        assert!(cal.parse_past("2026-03-10", "x", now).is_ok());
        assert!(cal.parse_past("2027-01-01T00:00:00Z", "x", now).is_err());
    }

    #[test]
    fn a_local_time_is_shown_as_chrono_formats_it_in_every_kind_of_offset() {
        // Whole hours either side of UTC, half and three-quarter hours, UTC itself, and
        // instants at the edges of the years written with four digits.
        let zone = |name| Zone::Named(parse_zone(name).unwrap());
        let instants = [
            fixed_now(),
            "2026-11-01T08:59:59Z".parse::<DateTime<Utc>>().unwrap(),
            "0000-01-01T12:00:00Z".parse::<DateTime<Utc>>().unwrap(),
            "9999-12-31T12:00:00Z".parse::<DateTime<Utc>>().unwrap(),
        ];
        for name in [
            "UTC",
            "America/Los_Angeles",
            "America/St_Johns",
            "Asia/Kathmandu",
            "Australia/Eucla",
            "Pacific/Kiritimati",
            "Pacific/Pago_Pago",
        ] {
            let cal = Calendar::new(Clock::Fixed(fixed_now()), zone(name));
            for at in instants {
                let chrono = cal.in_zone(at).format("%Y-%m-%d %H:%M %:z").to_string();
                assert_eq!(cal.local_display(at), chrono, "{name} at {at}");
            }
        }
    }

    #[test]
    fn each_calendar_keeps_its_own_zone() {
        // 12:00 UTC on 10 March 2026 is still 10 March in Los Angeles and already 11 March on
        // Kiritimati (UTC+14): two calendars side by side, no zone shared between them.
        let now = fixed_now();
        let zone = |name| Zone::Named(parse_zone(name).unwrap());
        let la = Calendar::new(Clock::Fixed(now), zone("America/Los_Angeles"));
        let kiritimati = Calendar::new(Clock::Fixed(now), zone("Pacific/Kiritimati"));
        assert_eq!(la.local_date(now).to_string(), "2026-03-10");
        assert_eq!(kiritimati.local_date(now).to_string(), "2026-03-11");
        assert_eq!(la.zone_name(), "America/Los_Angeles");
        assert_eq!(la.local_display(now), "2026-03-10 05:00 -07:00");
        // A wall-clock time is read in the calendar's own zone.
        let given = kiritimati.parse_when("2026-03-01 09:30", "x", now).unwrap();
        assert_eq!(given.at.to_rfc3339(), "2026-02-28T19:30:00+00:00");
        assert_eq!(given.zone.as_deref(), Some("Pacific/Kiritimati"));
        // The end of a due day is 23:59 there.
        let end = la.end_of_day(chrono::NaiveDate::from_ymd_opt(2026, 3, 8).unwrap());
        assert_eq!(end.to_rfc3339(), "2026-03-09T06:59:00+00:00");
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn wall(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn a_named_zone_is_spelled_as_the_database_spells_it_and_unknown_names_are_refused() {
        assert_eq!(
            parse_zone(" america/chicago ").unwrap().name(),
            "America/Chicago"
        );
        assert_eq!(parse_zone("US/Eastern").unwrap().name(), "US/Eastern");
        assert_eq!(parse_zone("UTC").unwrap().name(), "UTC");
        for bad in [
            "Mars/Olympus_Mons",
            "Etc/Unknown",
            "",
            "../../etc/passwd",
            &"A/".repeat(5_000),
        ] {
            let err = parse_zone(bad).unwrap_err().to_string();
            assert!(
                err.contains("is not an IANA time zone name"),
                "{bad}: {err}"
            );
            assert!(err.len() < 200, "one short line: {err}");
        }
    }

    #[test]
    fn a_named_zone_follows_daylight_saving_on_both_sides_of_the_world() {
        let chicago = parse_zone("America/Chicago").unwrap();
        let offset = |zone: &NamedZone, at: &str| zone.offset_at(utc(at)).to_string();
        assert_eq!(offset(&chicago, "2026-01-15T12:00:00Z"), "-06:00");
        assert_eq!(offset(&chicago, "2026-07-15T12:00:00Z"), "-05:00");
        // The change itself: 2026-03-08 02:00 CST is 08:00 UTC.
        assert_eq!(offset(&chicago, "2026-03-08T07:59:59Z"), "-06:00");
        assert_eq!(offset(&chicago, "2026-03-08T08:00:00Z"), "-05:00");
        let sydney = parse_zone("Australia/Sydney").unwrap();
        assert_eq!(offset(&sydney, "2026-01-15T12:00:00Z"), "+11:00");
        assert_eq!(offset(&sydney, "2026-07-15T12:00:00Z"), "+10:00");
        let kolkata = parse_zone("Asia/Kolkata").unwrap();
        assert_eq!(offset(&kolkata, "2026-07-15T12:00:00Z"), "+05:30");
        // Far outside the database's range the offset is still an offset, not a panic.
        assert_eq!(
            chicago.offset_at(DateTime::<Utc>::MAX_UTC).to_string(),
            "-06:00"
        );
    }

    #[test]
    fn a_wall_clock_time_is_the_earlier_instant_in_a_fall_back_and_none_in_a_gap() {
        let chicago = parse_zone("America/Chicago").unwrap();
        let at = |text: &str| chicago.resolve(wall(text)).map(|t| t.to_rfc3339());
        assert_eq!(
            at("2026-06-01 09:30").as_deref(),
            Some("2026-06-01T09:30:00-05:00")
        );
        // 01:30 on 1 November 2026 happens twice; the first time is still daylight time.
        assert_eq!(
            at("2026-11-01 01:30").as_deref(),
            Some("2026-11-01T01:30:00-05:00")
        );
        // 02:30 on 8 March 2026 never happens.
        assert_eq!(at("2026-03-08 02:30"), None);
        let year_out_of_range = NaiveDate::from_ymd_opt(20_000, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(
            chicago
                .resolve(year_out_of_range)
                .map(|t| t.offset().to_string()),
            Some("-06:00".to_owned())
        );
    }
}
