//! Time: the one place that reads "now", and the parsing of the dates people type. Date and
//! time arithmetic only: what the regulation makes of dates lives in `incident::obligations`.
//!
//! The organisation's day is kept in the zone its profile names (`time_zone`, an IANA name), or
//! the machine's when it names none: [`set_zone`] is called once, at the edge, and every local
//! date and time in the crate comes from here.
//!
//! Tests and reproducible exports fix "now" with `BREACH_NOW` (RFC 3339), or hand a fixed
//! [`Clock`] to the commands; nothing else in the crate may call `Utc::now()`. Instants are kept in UTC; calendar dates (the basis of every
//! regulatory deadline) are taken in the local time zone of the person who gave them, and pinned
//! into the log as dates so that a later change of time zone cannot move a deadline.

use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, Local, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The environment variable that fixes "now" (RFC 3339), for tests and reproducible output.
pub const NOW_VAR: &str = "BREACH_NOW";

/// Where "now" comes from: the system clock, or an instant fixed for tests and demonstrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    /// `BREACH_NOW` when set, the system clock otherwise.
    pub fn from_env() -> Result<Clock, Error> {
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
    pub fn is_substituted(self) -> bool {
        matches!(self, Clock::Fixed(_))
    }

    /// The current instant by this clock. The only read of the system clock in the crate.
    pub fn now(self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(at) => at,
        }
    }
}

/// The zone the organisation's day is kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The machine's zone (`TZ`, or the system's).
    Machine,
    /// A zone the profile names.
    Named(chrono_tz::Tz),
}

static ZONE: OnceLock<Zone> = OnceLock::new();

/// Sets the zone for this process, once, from the profile; later calls change nothing.
pub fn set_zone(zone: Zone) {
    let _ = ZONE.set(zone);
}

/// The zone in force.
pub fn zone() -> Zone {
    ZONE.get().copied().unwrap_or(Zone::Machine)
}

/// Checks an IANA zone name, such as `America/Chicago`.
pub fn parse_zone(name: &str) -> Result<chrono_tz::Tz, Error> {
    name.trim().parse::<chrono_tz::Tz>().map_err(|_| {
        Error::input(format!(
            "`{}` is not an IANA time zone name (such as America/Chicago or Europe/London)",
            crate::text::sanitize(name.trim())
        ))
    })
}

/// The name of the zone in force, for views: the profile's, `TZ`, or the machine's.
pub fn zone_name() -> String {
    match zone() {
        Zone::Named(tz) => tz.name().to_owned(),
        Zone::Machine => std::env::var("TZ")
            .ok()
            .filter(|z| !z.is_empty())
            .unwrap_or_else(|| "the machine's zone".to_owned()),
    }
}

/// An instant as the wall-clock time of the zone in force.
pub fn in_zone(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    match zone() {
        Zone::Named(tz) => at.with_timezone(&tz).fixed_offset(),
        Zone::Machine => at.with_timezone(&Local).fixed_offset(),
    }
}

/// How precisely a discovery time was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Only the calendar day is known.
    Date,
    Minute,
    Instant,
}

/// A point in time as a person gave it: the instant, the calendar date it falls on in their time
/// zone, the offset in force, and their words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GivenTime {
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

/// Parses `now`, `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` (local time) or RFC 3339. `what` names the
/// value in error messages, e.g. "--discovered".
pub fn parse_when(input: &str, what: &str, now: DateTime<Utc>) -> Result<GivenTime, Error> {
    let text = input.trim();
    let zone = match zone() {
        Zone::Named(tz) => Some(tz.name().to_owned()),
        Zone::Machine => std::env::var("TZ").ok().filter(|z| !z.is_empty()),
    };
    let expected = "expected YYYY-MM-DD, YYYY-MM-DD HH:MM, an RFC 3339 time, or `now`";
    if text.len() > 64 {
        return Err(Error::input(format!("{what}: value too long; {expected}")));
    }
    if text.eq_ignore_ascii_case("now") {
        let local = in_zone(now);
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
        let local = resolve_local(start).ok_or_else(|| {
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
            let local = resolve_local(naive).ok_or_else(|| {
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
pub fn parse_past(input: &str, what: &str, now: DateTime<Utc>) -> Result<GivenTime, Error> {
    let given = parse_when(input, what, now)?;
    let today = local_date(now);
    let future = match given.precision {
        Precision::Date => given.date > today,
        _ => given.at > now,
    };
    if future {
        return Err(Error::input(format!(
            "{what}: {} is in the future (now is {})",
            given.given,
            local_display(now)
        )));
    }
    Ok(given)
}

/// A local wall-clock time as an instant; the earlier one when a fall-back makes it ambiguous.
fn resolve_local(naive: NaiveDateTime) -> Option<DateTime<FixedOffset>> {
    let pick = |r: LocalResult<DateTime<FixedOffset>>| match r {
        LocalResult::Single(t) => Some(t),
        LocalResult::Ambiguous(a, _) => Some(a),
        LocalResult::None => None,
    };
    match zone() {
        Zone::Named(tz) => pick(tz.from_local_datetime(&naive).map(|t| t.fixed_offset())),
        Zone::Machine => pick(Local.from_local_datetime(&naive).map(|t| t.fixed_offset())),
    }
}

/// Parses a calendar date `YYYY-MM-DD`.
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d").ok()
}

/// The calendar date an instant falls on in the organisation's zone.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    in_zone(at).date_naive()
}

/// The last minute of a calendar day in the organisation's zone: when "due on" that day ends.
pub fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    let last = date.and_hms_opt(23, 59, 0).expect("23:59 exists");
    resolve_local(last)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&last))
}

/// Formats an instant for people: wall-clock time in the organisation's zone, with its offset.
pub fn local_display(at: DateTime<Utc>) -> String {
    in_zone(at).format("%Y-%m-%d %H:%M %:z").to_string()
}

/// Formats an instant for the log: RFC 3339 UTC with milliseconds.
pub fn log_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed_now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn accepts_the_four_forms() {
        let now = fixed_now();
        assert_eq!(
            parse_when("2026-03-01", "x", now).unwrap().precision,
            Precision::Date
        );
        assert_eq!(
            parse_when("2026-03-01 09:30", "x", now).unwrap().precision,
            Precision::Minute
        );
        let rfc = parse_when("2026-03-01T09:30:00-05:00", "x", now).unwrap();
        assert_eq!(rfc.at.to_rfc3339(), "2026-03-01T14:30:00+00:00");
        assert_eq!(rfc.offset, "-05:00");
        assert_eq!(parse_when("now", "x", now).unwrap().at, now);
    }

    #[test]
    fn refuses_impossible_and_future_dates() {
        let now = fixed_now();
        let err = parse_when("2026-02-30", "--discovered", now).unwrap_err();
        assert!(err.to_string().contains("--discovered"), "{err}");
        assert!(parse_past("2026-03-11", "x", now).is_err());
        assert!(parse_past("2026-03-10", "x", now).is_ok());
        assert!(parse_past("2027-01-01T00:00:00Z", "x", now).is_err());
    }
}
