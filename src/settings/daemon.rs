//! `[daemon]`: when cycles run (an interval or a cron expression, parsed
//! into a [`Schedule`]), where the HTTP endpoints listen, and who may call
//! them.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `[daemon]` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonSettings {
    /// Time between cycle starts: `90s`, `15m`, `1h`, `1h30m`.
    pub interval: Option<String>,
    /// Or a cron expression (5 or 6 fields, UTC): `*/15 * * * *`.
    pub cron: Option<String>,
    /// Address of `/healthz` and `/metrics` (no item data there).
    pub listen: String,
    /// Address of `/reports/NAME.json` and the review pack (titles, owners:
    /// the backlog's content). Not served unless set; then every request
    /// needs `Authorization: Bearer <reports_token>`.
    pub reports_listen: Option<String>,
    /// The bearer token `/reports/*` requires (at least 16 characters;
    /// `RECUR_DAEMON__REPORTS_TOKEN` keeps it out of the file).
    pub reports_token: Option<super::Secret>,
    /// Host names (or host:port) the HTTP endpoints answer to; any other
    /// `Host` header gets 421, which stops DNS rebinding. Default: the
    /// listen addresses themselves, `localhost` and `127.0.0.1`.
    pub allowed_hosts: Vec<String>,
    /// Whether cycles write back (`recur writeback`).
    pub writeback: bool,
}

impl Default for DaemonSettings {
    fn default() -> Self {
        DaemonSettings {
            interval: None,
            cron: None,
            listen: "127.0.0.1:9464".into(),
            reports_listen: None,
            reports_token: None,
            allowed_hosts: Vec::new(),
            writeback: false,
        }
    }
}

/// When cycles run.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// Every so long, from the start of the previous cycle.
    Every(Duration),
    /// At the times a cron expression names (UTC).
    Cron(Box<croner::Cron>),
}

/// Parses `90s`, `15m`, `1h30m`, `2d`.
pub fn parse_interval(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total = 0u64;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        total += n * match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
    }
    if !num.is_empty() || total == 0 {
        return None;
    }
    Some(Duration::from_secs(total))
}

impl DaemonSettings {
    /// The schedule, or a message naming the key.
    pub fn schedule(&self) -> Result<Schedule, String> {
        match (&self.interval, &self.cron) {
            (Some(_), Some(_)) => {
                Err("daemon.interval and daemon.cron are both set; keep one".into())
            }
            (_, Some(expr)) => croner::Cron::new(expr)
                .with_seconds_optional()
                .parse()
                .map(|c| Schedule::Cron(Box::new(c)))
                .map_err(|e| format!("daemon.cron = {expr:?}: {e}")),
            (i, None) => {
                let text = i.as_deref().unwrap_or("15m");
                parse_interval(text).map(Schedule::Every).ok_or_else(|| {
                    format!("daemon.interval = {text:?}: expected a duration like \"90s\", \"15m\" or \"1h30m\"")
                })
            }
        }
    }

    /// Checks the values; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        self.schedule()?;
        self.listen.parse::<SocketAddr>().map_err(|e| {
            format!(
                "daemon.listen = {:?}: not an address like 127.0.0.1:9464: {e}",
                self.listen
            )
        })?;
        if let Some(r) = &self.reports_listen {
            r.parse::<SocketAddr>().map_err(|e| {
                format!("daemon.reports_listen = {r:?}: not an address like 127.0.0.1:9465: {e}")
            })?;
            // Port 0 (any free port) twice is two listeners, not one.
            if *r == self.listen && !r.ends_with(":0") {
                return Err(format!(
                    "daemon.reports_listen = {r:?} is daemon.listen too: reports need their own address"
                ));
            }
            match &self.reports_token {
                Some(t) if t.expose().trim().chars().count() >= 16 => {}
                Some(_) => {
                    return Err("daemon.reports_token is shorter than 16 characters".into())
                }
                None => {
                    return Err(
                        "daemon.reports_listen is set but daemon.reports_token is not: reports carry the backlog's content and are served only with a bearer token".into(),
                    )
                }
            }
        }
        Ok(())
    }

    /// The `Host` values the endpoints answer to: `allowed_hosts`, or by
    /// default the listen addresses, `localhost` and `127.0.0.1` (with and
    /// without their ports).
    /// `bound` are the addresses actually listened on (a configured port 0
    /// becomes a real one).
    pub fn hosts(&self, bound: &[SocketAddr]) -> Vec<String> {
        if !self.allowed_hosts.is_empty() {
            return self
                .allowed_hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect();
        }
        let mut out = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "[::1]".to_string(),
        ];
        let configured = std::iter::once(&self.listen)
            .chain(self.reports_listen.as_ref())
            .filter_map(|a| a.parse::<SocketAddr>().ok());
        for addr in configured.chain(bound.iter().copied()) {
            {
                out.push(addr.to_string());
                out.push(match addr {
                    SocketAddr::V4(v) => v.ip().to_string(),
                    SocketAddr::V6(v) => format!("[{}]", v.ip()),
                });
                for h in ["localhost", "127.0.0.1", "[::1]"] {
                    out.push(format!("{h}:{}", addr.port()));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

impl Schedule {
    /// The wait from `now` until the next cycle, the previous one having
    /// started at `last_start`.
    pub fn wait(&self, last_start: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
        match self {
            Schedule::Every(d) => {
                let next = last_start + chrono::Duration::from_std(*d).unwrap_or_default();
                (next - now).to_std().unwrap_or_default()
            }
            Schedule::Cron(c) => c
                .find_next_occurrence(&now, false)
                .ok()
                .and_then(|next| (next - now).to_std().ok())
                .unwrap_or(Duration::from_secs(60)),
        }
    }

    /// The nominal time between cycles (for `/healthz`).
    pub fn period(&self) -> Duration {
        match self {
            Schedule::Every(d) => *d,
            Schedule::Cron(c) => {
                let now = Utc::now();
                let a = c.find_next_occurrence(&now, false).ok();
                let b = a.and_then(|a| c.find_next_occurrence(&a, false).ok());
                match (a, b) {
                    (Some(a), Some(b)) => (b - a).to_std().unwrap_or(Duration::from_secs(3600)),
                    _ => Duration::from_secs(3600),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_and_bad_ones_are_refused() {
        assert_eq!(parse_interval("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_interval("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_interval("1h30m"), Some(Duration::from_secs(5400)));
        for bad in ["", "15", "m", "15x", "0s", "-5m"] {
            assert_eq!(parse_interval(bad), None, "{bad}");
        }
    }

    #[test]
    fn schedules_validate_and_wait() {
        let every = DaemonSettings {
            interval: Some("10m".into()),
            ..DaemonSettings::default()
        };
        let Schedule::Every(d) = every.schedule().unwrap() else {
            panic!("interval")
        };
        assert_eq!(d, Duration::from_secs(600));
        let start = Utc::now();
        let w = every
            .schedule()
            .unwrap()
            .wait(start, start + chrono::Duration::seconds(60));
        assert_eq!(w, Duration::from_secs(540));
        let cron = DaemonSettings {
            cron: Some("*/15 * * * *".into()),
            ..DaemonSettings::default()
        };
        let s = cron.schedule().unwrap();
        assert_eq!(s.period(), Duration::from_secs(900));
        assert!(s.wait(start, start) <= Duration::from_secs(900));
        let both = DaemonSettings {
            interval: Some("1m".into()),
            cron: Some("* * * * *".into()),
            ..DaemonSettings::default()
        };
        assert!(both.validate().unwrap_err().contains("both"));
        let bad = DaemonSettings {
            cron: Some("61 * * * *".into()),
            ..DaemonSettings::default()
        };
        assert!(bad.validate().unwrap_err().contains("daemon.cron"));
        let bad = DaemonSettings {
            listen: "localhost".into(),
            ..DaemonSettings::default()
        };
        assert!(bad.validate().unwrap_err().contains("daemon.listen"));
    }
}
