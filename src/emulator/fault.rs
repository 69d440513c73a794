//! Fault injection: rules that make chosen requests slow, fail, drop or "commit then fail", so
//! the client's retry and recovery paths are tested against a real server. Rules are plain data
//! (JSON on the control route, a one-line syntax on the command line); `FaultSet` holds their
//! counters and seeded random generators.

use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which requests a fault applies to and what happens to them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// HTTP method to match (case-insensitive); `None` matches every method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Prefix of the path after `/api` (e.g. `/public/v1/dashboards`); `None` matches all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// What the fault does.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many times it fires before it is removed; `None` fires every time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

/// What a fault does to a matching request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Wait this long before handling the request (adds up with other latency rules).
    Latency { ms: u64 },
    /// Answer with this status (an HTML body like a gateway's) instead of handling the request.
    Status {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_secs: Option<u32>,
    },
    /// Close the connection without answering; nothing is stored.
    Drop,
    /// Handle the request (the object is stored), then answer 500.
    CommitThenFail,
    /// With probability `rate`, a transient fault (502, 503, 429 with `Retry-After: 0`, or a
    /// dropped connection), drawn from a generator seeded with `seed`.
    Random { rate: f64, seed: u64 },
}

impl FaultRule {
    /// Checks values a rule cannot work with.
    pub fn validate(&self) -> Result<(), String> {
        match &self.kind {
            FaultKind::Status { status, .. } if !(400..=599).contains(status) => Err(format!(
                "the fault status `{status}` is not an error status (400 to 599)"
            )),
            FaultKind::Random { rate, .. } if !(0.0..=1.0).contains(rate) => {
                Err(format!("the fault rate `{rate}` is not between 0 and 1"))
            }
            _ if self.count == Some(0) => Err("a fault `count` must be at least 1".to_owned()),
            _ => Ok(()),
        }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m == "*" || m.eq_ignore_ascii_case(method))
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|prefix| path.starts_with(prefix))
    }
}

/// The error of a `--fault` specification.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid fault `{spec}`: {reason}")]
pub struct FaultSpecError {
    spec: String,
    reason: String,
}

impl FromStr for FaultRule {
    type Err = FaultSpecError;

    /// Parses `[METHOD] [/PATH-PREFIX] KIND [count=N]`, where KIND is one of `latency=MS`,
    /// `status=CODE [retry-after=SECS]`, `drop`, `commit-then-fail`, `random=RATE [seed=N]`.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| FaultSpecError {
            spec: spec.to_owned(),
            reason,
        };
        let mut method = None;
        let mut path_prefix = None;
        let mut kind: Option<FaultKind> = None;
        let mut count = None;
        let mut retry_after = None;
        let mut seed = None;
        for token in spec.split_whitespace() {
            let (key, value) = match token.split_once('=') {
                Some((k, v)) => (k.to_ascii_lowercase(), Some(v)),
                None => (token.to_ascii_lowercase(), None),
            };
            let number = |what: &str| -> Result<u64, FaultSpecError> {
                value
                    .ok_or_else(|| fail(format!("`{what}` needs a value, like `{what}=1`")))?
                    .parse::<u64>()
                    .map_err(|_| fail(format!("`{token}` needs a whole number")))
            };
            let set_kind = |kind: &mut Option<FaultKind>, new: FaultKind| {
                if kind.replace(new).is_some() {
                    Err(fail("it names more than one fault kind".to_owned()))
                } else {
                    Ok(())
                }
            };
            match key.as_str() {
                _ if token.starts_with('/') => {
                    if path_prefix.replace(token.to_owned()).is_some() {
                        return Err(fail("it names two paths".to_owned()));
                    }
                }
                "get" | "post" | "put" | "delete" | "patch" | "head" | "*" if value.is_none() => {
                    if method.replace(token.to_ascii_uppercase()).is_some() {
                        return Err(fail("it names two methods".to_owned()));
                    }
                }
                "latency" => set_kind(
                    &mut kind,
                    FaultKind::Latency {
                        ms: number("latency")?,
                    },
                )?,
                "status" => {
                    let status = u16::try_from(number("status")?)
                        .map_err(|_| fail("the status is out of range".to_owned()))?;
                    set_kind(
                        &mut kind,
                        FaultKind::Status {
                            status,
                            retry_after_secs: None,
                        },
                    )?;
                }
                "drop" if value.is_none() => set_kind(&mut kind, FaultKind::Drop)?,
                "commit-then-fail" if value.is_none() => {
                    set_kind(&mut kind, FaultKind::CommitThenFail)?;
                }
                "random" => {
                    let rate = value
                        .ok_or_else(|| fail("`random` needs a rate, like `random=0.1`".to_owned()))?
                        .parse::<f64>()
                        .map_err(|_| fail(format!("`{token}` needs a rate between 0 and 1")))?;
                    set_kind(&mut kind, FaultKind::Random { rate, seed: 0 })?;
                }
                "count" => {
                    count = Some(
                        u32::try_from(number("count")?)
                            .map_err(|_| fail("the count is out of range".to_owned()))?,
                    );
                }
                "retry-after" => {
                    retry_after = Some(
                        u32::try_from(number("retry-after")?)
                            .map_err(|_| fail("retry-after is out of range".to_owned()))?,
                    );
                }
                "seed" => seed = Some(number("seed")?),
                _ => {
                    return Err(fail(format!(
                        "`{token}` is not understood; expected a method, a path starting with `/`, \
                         `latency=MS`, `status=CODE`, `drop`, `commit-then-fail`, `random=RATE`, \
                         `count=N`, `retry-after=SECS` or `seed=N`"
                    )));
                }
            }
        }
        let mut kind = kind.ok_or_else(|| {
            fail("it names no fault kind (`latency=MS`, `status=CODE`, `drop`, `commit-then-fail` or `random=RATE`)".to_owned())
        })?;
        match (&mut kind, retry_after) {
            (
                FaultKind::Status {
                    retry_after_secs, ..
                },
                Some(secs),
            ) => *retry_after_secs = Some(secs),
            (_, Some(_)) => return Err(fail("`retry-after` only goes with `status=`".to_owned())),
            _ => {}
        }
        match (&mut kind, seed) {
            (FaultKind::Random { seed, .. }, Some(value)) => *seed = value,
            (_, Some(_)) => return Err(fail("`seed` only goes with `random=`".to_owned())),
            _ => {}
        }
        let rule = FaultRule {
            method,
            path_prefix,
            kind,
            count,
        };
        rule.validate().map_err(fail)?;
        Ok(rule)
    }
}

/// What the server must do with one request, decided by the active rules.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultDecision {
    /// Total added latency.
    pub delay: Duration,
    /// The failure to inject, if any.
    pub action: Option<FaultAction>,
}

/// A failure to inject.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultAction {
    Status {
        status: u16,
        retry_after_secs: Option<u32>,
    },
    Drop,
    CommitThenFail,
}

struct ActiveRule {
    rule: FaultRule,
    remaining: Option<u32>,
    rng: Option<fastrand::Rng>,
}

/// The active rules with their counters.
#[derive(Default)]
pub struct FaultSet {
    rules: Vec<ActiveRule>,
}

impl FaultSet {
    /// Adds a rule after the others (the first matching failure rule wins).
    pub fn add(&mut self, rule: FaultRule) {
        let rng = match rule.kind {
            FaultKind::Random { seed, .. } => Some(fastrand::Rng::with_seed(seed)),
            _ => None,
        };
        self.rules.push(ActiveRule {
            remaining: rule.count,
            rule,
            rng,
        });
    }

    /// Removes every rule.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// The rules still active, with their remaining counts.
    pub fn rules(&self) -> Vec<FaultRule> {
        self.rules
            .iter()
            .map(|active| FaultRule {
                count: active.remaining,
                ..active.rule.clone()
            })
            .collect()
    }

    /// Decides what happens to a request, consuming counts of the rules that fire.
    pub fn decide(&mut self, method: &str, path: &str) -> FaultDecision {
        let mut delay = Duration::ZERO;
        let mut action = None;
        for active in &mut self.rules {
            if !active.rule.matches(method, path) {
                continue;
            }
            let fired = match &active.rule.kind {
                FaultKind::Latency { ms } => {
                    delay += Duration::from_millis(*ms);
                    true
                }
                _ if action.is_some() => false,
                FaultKind::Status {
                    status,
                    retry_after_secs,
                } => {
                    action = Some(FaultAction::Status {
                        status: *status,
                        retry_after_secs: *retry_after_secs,
                    });
                    true
                }
                FaultKind::Drop => {
                    action = Some(FaultAction::Drop);
                    true
                }
                FaultKind::CommitThenFail => {
                    action = Some(FaultAction::CommitThenFail);
                    true
                }
                FaultKind::Random { rate, .. } => {
                    let rng = active.rng.get_or_insert_with(fastrand::Rng::new);
                    if rng.f64() < *rate {
                        action = Some(match rng.u8(0..4) {
                            0 => FaultAction::Status {
                                status: 502,
                                retry_after_secs: None,
                            },
                            1 => FaultAction::Status {
                                status: 503,
                                retry_after_secs: None,
                            },
                            2 => FaultAction::Status {
                                status: 429,
                                retry_after_secs: Some(0),
                            },
                            _ => FaultAction::Drop,
                        });
                        true
                    } else {
                        false
                    }
                }
            };
            if fired && let Some(remaining) = &mut active.remaining {
                *remaining = remaining.saturating_sub(1);
            }
        }
        self.rules.retain(|active| active.remaining != Some(0));
        FaultDecision { delay, action }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_command_line_syntax() {
        let rule: FaultRule = "POST /public/v1/dashboards status=503 count=2 retry-after=1"
            .parse()
            .unwrap();
        assert_eq!(
            rule,
            FaultRule {
                method: Some("POST".into()),
                path_prefix: Some("/public/v1/dashboards".into()),
                kind: FaultKind::Status {
                    status: 503,
                    retry_after_secs: Some(1)
                },
                count: Some(2),
            }
        );
        assert_eq!(
            "latency=250".parse::<FaultRule>().unwrap().kind,
            FaultKind::Latency { ms: 250 }
        );
        assert_eq!(
            "random=0.25 seed=7".parse::<FaultRule>().unwrap().kind,
            FaultKind::Random {
                rate: 0.25,
                seed: 7
            }
        );
        assert_eq!(
            "get /public/v1/tables drop"
                .parse::<FaultRule>()
                .unwrap()
                .method,
            Some("GET".into())
        );
        assert_eq!(
            "commit-then-fail".parse::<FaultRule>().unwrap().kind,
            FaultKind::CommitThenFail
        );
    }

    #[test]
    fn rejects_unclear_specs() {
        for bad in [
            "",
            "POST",
            "status=200",
            "status=503 drop",
            "drop retry-after=1",
            "latency",
            "random=2",
            "status=503 count=0",
            "explode",
        ] {
            assert!(bad.parse::<FaultRule>().is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn json_form_uses_a_kind_tag() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"method":"POST","path_prefix":"/public/v1/tables","kind":"status","status":429,"retry_after_secs":2,"count":1}"#,
        )
        .unwrap();
        assert_eq!(
            rule.kind,
            FaultKind::Status {
                status: 429,
                retry_after_secs: Some(2)
            }
        );
        let round: FaultRule =
            serde_json::from_value(serde_json::to_value(&rule).unwrap()).unwrap();
        assert_eq!(round, rule);
    }

    #[test]
    fn counts_run_out_and_latency_adds_up() {
        let mut set = FaultSet::default();
        set.add("latency=10".parse().unwrap());
        set.add("latency=5 count=1".parse().unwrap());
        set.add("POST /public/v1/tables status=503 count=2".parse().unwrap());
        let first = set.decide("POST", "/public/v1/tables/Cars");
        assert_eq!(first.delay, Duration::from_millis(15));
        assert!(matches!(
            first.action,
            Some(FaultAction::Status { status: 503, .. })
        ));
        assert_eq!(set.decide("GET", "/public/v1/tables/Cars").action, None);
        assert!(
            set.decide("POST", "/public/v1/tables/Cars")
                .action
                .is_some()
        );
        let third = set.decide("POST", "/public/v1/tables/Cars");
        assert_eq!(third.action, None);
        assert_eq!(third.delay, Duration::from_millis(10));
    }

    #[test]
    fn random_faults_repeat_for_a_seed() {
        let run = || {
            let mut set = FaultSet::default();
            set.add("random=0.5 seed=42".parse().unwrap());
            (0..50)
                .map(|_| set.decide("GET", "/x").action)
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let fired = first.iter().filter(|a| a.is_some()).count();
        assert!((10..40).contains(&fired), "{fired} of 50 fired");
    }
}
