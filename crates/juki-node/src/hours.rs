//! Operating hours (`[hours]` in juki.toml): when the windows a node serves are open, in
//! Asia/Tokyo time. During them stopping a node needs a second person's approval
//! (docs/approvals.md); outside them it stops at once. Default: weekdays 9:00–17:00.
//!
//! Public holidays close the windows too; the holiday calendar is not here yet. The seam is
//! [`Holidays`]: [`OperatingHours::open_at`] asks it about the day, and the node passes
//! [`NoHolidays`] until the calendar exists.

use crate::clock::tokyo;
use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

/// `[hours]` as written in juki.toml.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HoursSettings {
    /// Opening time, `HH:MM` (00:00–23:59).
    pub start: String,
    /// Closing time, `HH:MM` after `start` (up to 24:00, the end of the day).
    pub end: String,
    /// Days open: `mon` … `sun`; none means never (every stop is at once).
    pub days: Vec<String>,
    /// Treat the windows as open at every moment (`juki demo --always-open`, for rehearsals at
    /// night): wide-area services are served at any hour, and stopping the node always needs
    /// a second person. `status` warns while it is set.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub always_open: bool,
}

impl Default for HoursSettings {
    fn default() -> HoursSettings {
        HoursSettings {
            start: "09:00".into(),
            end: "17:00".into(),
            days: ["mon", "tue", "wed", "thu", "fri"]
                .map(String::from)
                .to_vec(),
            always_open: false,
        }
    }
}

const DAY_NAMES: [(&str, Weekday); 7] = [
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
];

const DAY_MINUTES: u16 = 24 * 60;

/// Validated operating hours: minutes of the Tokyo day `[start, end)` on the days given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperatingHours {
    start_min: u16,
    end_min: u16,
    /// Indexed by days since Monday.
    days: [bool; 7],
    /// Open at every moment, whatever the above say.
    pub always_open: bool,
}

/// Days on which a weekday's windows are closed all the same.
pub trait Holidays {
    fn is_holiday(&self, date: Date) -> bool;
}

/// No holidays: until the calendar of public holidays comes, every configured day is open.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHolidays;

impl Holidays for NoHolidays {
    fn is_holiday(&self, _date: Date) -> bool {
        false
    }
}

/// `HH:MM` as minutes since midnight, up to `max`.
fn minutes(field: &str, s: &str, max: u16) -> Result<u16, String> {
    let bad = || {
        format!(
            "{field} = {s:?}: a time HH:MM between 00:00 and {:02}:{:02}",
            max / 60,
            max % 60
        )
    };
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    let total = h * 60 + m;
    if m >= 60 || total > max {
        return Err(bad());
    }
    Ok(total)
}

impl OperatingHours {
    /// Checks `[hours]`; the error names the setting (`hours.start = …`).
    pub fn from_settings(s: &HoursSettings) -> Result<OperatingHours, String> {
        let start_min = minutes("hours.start", &s.start, DAY_MINUTES - 1)?;
        let end_min = minutes("hours.end", &s.end, DAY_MINUTES)?;
        if end_min <= start_min {
            return Err(format!(
                "hours.end = {:?}: must be after hours.start = {:?}",
                s.end, s.start
            ));
        }
        let mut days = [false; 7];
        for d in &s.days {
            let Some((_, wd)) = DAY_NAMES.iter().find(|(n, _)| n == d) else {
                return Err(format!(
                    "hours.days: {d:?} is not one of mon, tue, wed, thu, fri, sat, sun"
                ));
            };
            let i = wd.to_monday_zero_offset() as usize;
            if days[i] {
                return Err(format!("hours.days: {d:?} is given twice"));
            }
            days[i] = true;
        }
        Ok(OperatingHours {
            start_min,
            end_min,
            days,
            always_open: s.always_open,
        })
    }

    /// Whether the windows are open at `now`: a configured day that is not a holiday, in Tokyo,
    /// from `start` (inclusive) to `end` (exclusive).
    pub fn open_at(&self, now: Timestamp, holidays: &dyn Holidays) -> bool {
        if self.always_open {
            return true;
        }
        let local = tokyo().to_datetime(now);
        let day = local.date();
        if !self.days[day.weekday().to_monday_zero_offset() as usize] || holidays.is_holiday(day) {
            return false;
        }
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        (self.start_min..self.end_min).contains(&minute)
    }

    /// In words, for answers and logs: `mon–fri 09:00–17:00 Asia/Tokyo`.
    pub fn describe(&self) -> String {
        if self.always_open {
            return "always open (hours not enforced)".into();
        }
        let days: Vec<&str> = DAY_NAMES
            .iter()
            .filter(|(_, wd)| self.days[wd.to_monday_zero_offset() as usize])
            .map(|(n, _)| *n)
            .collect();
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        match days.len() {
            0 => "never (no days configured)".into(),
            _ => format!(
                "{} {}–{} Asia/Tokyo",
                days.join(","),
                hm(self.start_min),
                hm(self.end_min)
            ),
        }
    }
}

impl Default for OperatingHours {
    /// Weekdays 9:00–17:00, as [`HoursSettings::default`] says.
    fn default() -> OperatingHours {
        OperatingHours {
            start_min: 9 * 60,
            end_min: 17 * 60,
            days: [true, true, true, true, true, false, false],
            always_open: false,
        }
    }
}

impl crate::server::Node {
    /// Whether it is within this node's operating hours now, by its clock.
    pub fn within_operating_hours(&self) -> bool {
        self.config.hours.open_at(self.clock.now(), &NoHolidays)
    }

    /// Refuses a wide-area service outside the common operating hours (JK-POL-0107, naming
    /// the rule and the time in Tokyo); work within the caller's own municipality is always
    /// allowed, so callers ask this only for services across municipalities.
    pub fn require_service_hours(&self) -> Result<(), crate::error::ApiError> {
        if self.within_operating_hours() {
            return Ok(());
        }
        let now = tokyo().to_datetime(self.clock.now());
        Err(crate::error::ApiError::with(
            &juki_domain::catalogue::POLICY_OUTSIDE_HOURS,
            serde_json::json!({
                "hours": self.config.hours.describe(),
                "now": now.strftime("%Y-%m-%d %H:%M (%a) Asia/Tokyo").to_string(),
            }),
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn hours(start: &str, end: &str, days: &[&str]) -> Result<OperatingHours, String> {
        OperatingHours::from_settings(&HoursSettings {
            start: start.into(),
            end: end.into(),
            days: days.iter().map(|d| d.to_string()).collect(),
            always_open: false,
        })
    }

    #[test]
    fn weekdays_nine_to_five_tokyo_by_default() {
        let h = OperatingHours::default();
        assert_eq!(
            OperatingHours::from_settings(&HoursSettings::default()),
            Ok(h)
        );
        // 2026-04-10 is a Friday; Tokyo is UTC+9.
        for (utc, open) in [
            ("2026-04-09T23:59:00Z", false), // Fri 08:59
            ("2026-04-10T00:00:00Z", true),  // Fri 09:00, 00:00 UTC: across the date line
            ("2026-04-10T07:59:59Z", true),  // Fri 16:59:59
            ("2026-04-10T08:00:00Z", false), // Fri 17:00
            ("2026-04-11T01:00:00Z", false), // Sat 10:00
            ("2026-04-12T01:00:00Z", false), // Sun 10:00
            ("2026-04-12T23:59:59Z", false), // Mon 08:59:59 in Tokyo, still Sunday in UTC
            ("2026-04-13T00:00:00Z", true),  // Mon 09:00
            ("2026-04-10T15:30:00Z", false), // Sat 00:30 Tokyo, still Friday in UTC
        ] {
            assert_eq!(h.open_at(at(utc), &NoHolidays), open, "{utc}");
        }
        assert_eq!(h.describe(), "mon,tue,wed,thu,fri 09:00–17:00 Asia/Tokyo");
    }

    #[test]
    fn holidays_close_the_windows() {
        struct Showa;
        impl Holidays for Showa {
            fn is_holiday(&self, d: Date) -> bool {
                d == Date::constant(2026, 4, 29)
            }
        }
        let h = OperatingHours::default();
        assert!(!h.open_at(at("2026-04-29T01:00:00Z"), &Showa)); // Wed 10:00, 昭和の日
        assert!(h.open_at(at("2026-04-30T01:00:00Z"), &Showa));
        assert!(h.open_at(at("2026-04-29T01:00:00Z"), &NoHolidays));
    }

    #[test]
    fn all_day_every_day_and_never() {
        let always = hours(
            "00:00",
            "24:00",
            &["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        )
        .unwrap();
        let never = hours("09:00", "17:00", &[]).unwrap();
        for utc in [
            "2026-04-11T14:59:59Z",
            "2026-04-11T15:00:00Z",
            "2026-04-12T08:00:00Z",
        ] {
            assert!(always.open_at(at(utc), &NoHolidays), "{utc}");
            assert!(!never.open_at(at(utc), &NoHolidays), "{utc}");
        }
        assert_eq!(never.describe(), "never (no days configured)");
        let sat = hours("22:30", "23:45", &["sat"]).unwrap();
        assert!(sat.open_at(at("2026-04-11T13:30:00Z"), &NoHolidays)); // Sat 22:30
        assert!(!sat.open_at(at("2026-04-11T14:45:00Z"), &NoHolidays)); // Sat 23:45
    }

    #[test]
    fn settings_are_checked() {
        for (start, end, days, field) in [
            ("9:00", "17:00", &["mon"][..], "hours.start"),
            ("09:60", "17:00", &["mon"][..], "hours.start"),
            ("24:00", "24:00", &["mon"][..], "hours.start"),
            ("09:00", "24:01", &["mon"][..], "hours.end"),
            ("09:00", "25:00", &["mon"][..], "hours.end"),
            ("09:00", "0900", &["mon"][..], "hours.end"),
            ("17:00", "09:00", &["mon"][..], "hours.end"),
            ("09:00", "09:00", &["mon"][..], "hours.end"),
            ("09:00", "17:00", &["monday"][..], "hours.days"),
            ("09:00", "17:00", &["mon", "mon"][..], "hours.days"),
        ] {
            let e = hours(start, end, days).unwrap_err();
            assert!(e.starts_with(field), "{start}-{end} {days:?}: {e}");
        }
        assert!(hours("00:00", "00:01", &["sun"]).is_ok());
    }

    #[test]
    fn juki_toml_carries_the_hours_and_the_national_node_its_ca() {
        use crate::config::{InitOptions, NodeConfig, Role, init};
        let setup = |role, code: Option<&str>| {
            let dir = tempfile::tempdir().unwrap();
            let opts = InitOptions {
                role,
                code: code.map(Into::into),
                data_dir: dir.path().to_path_buf(),
                listen: "127.0.0.1:0".into(),
                parent: None,
                ca_dir: None,
            };
            init(&opts).unwrap();
            dir
        };
        let dir = setup(Role::Municipal, Some("131148"));
        let config = NodeConfig::load(dir.path()).unwrap();
        assert_eq!(config.hours, OperatingHours::default());
        assert_eq!(config.ca_dir, None);
        let path = dir.path().join(crate::config::CONFIG_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        for (from, to, named) in [
            ("start = \"09:00\"", "start = \"9am\"", "hours.start"),
            ("end = \"17:00\"", "end = \"08:00\"", "hours.end"),
            ("\"mon\",", "\"monday\",", "hours.days"),
            ("[hours]", "[ca]\ndir = \"ca\"\n\n[hours]", "ca.dir"),
        ] {
            assert!(text.contains(from), "{from}");
            std::fs::write(&path, text.replace(from, to)).unwrap();
            let e = NodeConfig::load(dir.path()).unwrap_err();
            assert_eq!(e.def.code, "JK-CFG-0102", "{to}");
            assert!(e.detail.starts_with(named), "{}", e.detail);
        }
        // A standalone national node revokes with its own CA.
        let dir = setup(Role::National, None);
        let config = NodeConfig::load(dir.path()).unwrap();
        assert_eq!(config.ca_dir, Some(dir.path().join("ca")));
    }

    /// A node whose clock says Saturday night refuses wide-area services with JK-POL-0107,
    /// naming the rule; the same node always open serves them and warns.
    #[test]
    fn services_are_refused_out_of_hours_unless_always_open() {
        use crate::config::{InitOptions, NodeConfig, init};
        let dir = tempfile::tempdir().unwrap();
        init(&InitOptions {
            role: crate::config::Role::Municipal,
            code: Some("131148".into()),
            data_dir: dir.path().to_path_buf(),
            listen: "127.0.0.1:0".into(),
            parent: None,
            ca_dir: None,
        })
        .unwrap();
        let mut config = NodeConfig::load(dir.path()).unwrap();
        let store = std::sync::Arc::new(config.open_store().unwrap());
        let clock = std::sync::Arc::new(crate::FixedClock::new(at("2026-11-21T13:00:00Z")));
        let node = crate::Node::new(config.clone(), store.clone(), clock.clone());
        let e = node.require_service_hours().unwrap_err();
        assert_eq!(e.def.code, "JK-POL-0107");
        assert_eq!(
            e.detail["hours"],
            "mon,tue,wed,thu,fri 09:00–17:00 Asia/Tokyo"
        );
        assert_eq!(e.detail["now"], "2026-11-21 22:00 (Sat) Asia/Tokyo");
        // Monday 9:00 in Tokyo is Monday 0:00 UTC.
        clock.set(at("2026-11-23T00:00:00Z"));
        assert!(node.require_service_hours().is_ok());
        clock.set(at("2026-11-21T13:00:00Z"));
        config.hours.always_open = true;
        let node = crate::Node::new(config, store, clock);
        assert!(node.require_service_hours().is_ok());
        assert!(node.within_operating_hours());
    }
}
