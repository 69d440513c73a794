//! When and how long to wait before trying a request again, and which failed answers leave
//! it open whether the server carried a request out. Kept apart from the HTTP code so the
//! policy can be tested without a server.
//!
//! The rule: a request that is safe to repeat is retried after overload answers and broken
//! connections. Any other request (a dashboard create, a function call) is retried only
//! after an answer that proves it was not processed (429, or 503 with `Retry-After`) or a
//! connection that never opened; after anything else it may have been carried out, and the
//! caller has to find out rather than send it again.

use std::time::Duration;

use super::ClientOptions;

/// Whether a request may be sent again after it may have reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeat {
    /// Safe to repeat (uploads that replace, reads, shares, saves with a client-chosen id).
    Always,
    /// Repeating could do it twice: retried only when the server proved it did nothing.
    IfUnprocessed,
}

/// A `Retry-After` header, as far as grokform reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    Absent,
    /// A number of seconds, capped.
    Wait(Duration),
    /// Present but not a number (an HTTP date): it still says "not processed, come back".
    Unparsed,
}

impl RetryAfter {
    /// Reads the header value, capping the wait at `cap` so that a confused server cannot
    /// park a CI job for hours. HTTP dates are not honoured (the normal backoff applies
    /// instead): they need a clock comparison with the server's clock.
    pub fn parse(value: Option<&str>, cap: Duration) -> RetryAfter {
        let Some(value) = value else {
            return RetryAfter::Absent;
        };
        match parse_retry_after(value, cap) {
            Some(wait) => RetryAfter::Wait(wait),
            None => RetryAfter::Unparsed,
        }
    }

    fn is_present(self) -> bool {
        self != RetryAfter::Absent
    }

    fn wait(self) -> Option<Duration> {
        match self {
            RetryAfter::Wait(wait) => Some(wait),
            _ => None,
        }
    }
}

/// Statuses worth retrying for requests that are safe to repeat: rate limiting and
/// overloaded gateways.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// The answer proves the request was not processed: rate limited, or unavailable with a
/// `Retry-After` (the server asks to come back, it did not start the work).
pub fn is_unprocessed(status: u16, retry_after: RetryAfter) -> bool {
    status == 429 || (status == 503 && retry_after.is_present())
}

/// Whether an answer with `status` is retried.
pub fn retries_status(repeat: Repeat, status: u16, retry_after: RetryAfter) -> bool {
    match repeat {
        Repeat::Always => is_retryable_status(status),
        Repeat::IfUnprocessed => is_unprocessed(status, retry_after),
    }
}

/// Whether a final answer with `status` leaves open that a request which must not be
/// repeated was carried out: a 5xx that does not prove otherwise.
pub fn is_ambiguous_status(repeat: Repeat, status: u16, retry_after: RetryAfter) -> bool {
    repeat == Repeat::IfUnprocessed && status >= 500 && !is_unprocessed(status, retry_after)
}

/// Exponential backoff with full jitter: a uniformly random wait in
/// `[0, min(backoff_max, backoff_base * 2^attempt)]`, where `attempt` counts from 0.
/// Full jitter keeps many CI runners that failed together from retrying together.
pub fn backoff(options: &ClientOptions, attempt: u32, random: f64) -> Duration {
    let ceiling = backoff_ceiling(options, attempt);
    ceiling.mul_f64(random.clamp(0.0, 1.0))
}

/// The upper bound of the wait before retry number `attempt + 1`.
pub fn backoff_ceiling(options: &ClientOptions, attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.min(30));
    options
        .backoff_base
        .checked_mul(factor)
        .unwrap_or(options.backoff_max)
        .min(options.backoff_max)
}

/// A `Retry-After` value in seconds (integer or decimal), capped at `cap`.
pub fn parse_retry_after(value: &str, cap: Duration) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(seconds.min(cap.as_secs_f64())))
}

/// The wait before the next attempt: the server's `Retry-After` when it gave a number of
/// seconds, else the jittered backoff.
pub fn delay(options: &ClientOptions, attempt: u32, retry_after: RetryAfter) -> Duration {
    retry_after
        .wait()
        .unwrap_or_else(|| backoff(options, attempt, fastrand::f64()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ClientOptions {
        ClientOptions {
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(20),
            ..ClientOptions::default()
        }
    }

    #[test]
    fn the_ceiling_doubles_up_to_the_maximum() {
        let o = options();
        let ceilings: Vec<u64> = (0..7).map(|a| backoff_ceiling(&o, a).as_secs()).collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 20, 20]);
        assert_eq!(backoff_ceiling(&o, 200), Duration::from_secs(20));
    }

    #[test]
    fn jitter_stays_within_zero_and_the_ceiling() {
        let o = options();
        assert_eq!(backoff(&o, 3, 0.0), Duration::ZERO);
        assert_eq!(backoff(&o, 3, 1.0), Duration::from_secs(8));
        assert_eq!(backoff(&o, 3, 0.5), Duration::from_secs(4));
        for _ in 0..1000 {
            let d = delay(&o, 2, RetryAfter::Absent);
            assert!(d <= Duration::from_secs(4), "{d:?}");
            let d = delay(&o, 2, RetryAfter::Unparsed);
            assert!(d <= Duration::from_secs(4), "{d:?}");
        }
    }

    #[test]
    fn retry_after_is_seconds_and_capped() {
        let cap = Duration::from_secs(60);
        assert_eq!(parse_retry_after("3", cap), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(" 0.5 ", cap),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_retry_after("86400", cap), Some(cap));
        assert_eq!(parse_retry_after("-1", cap), None);
        assert_eq!(parse_retry_after("NaN", cap), None);
        assert_eq!(
            RetryAfter::parse(Some("Wed, 21 Oct 2015 07:28:00 GMT"), cap),
            RetryAfter::Unparsed
        );
        assert_eq!(RetryAfter::parse(None, cap), RetryAfter::Absent);
        assert_eq!(
            delay(&options(), 0, RetryAfter::Wait(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
    }

    #[test]
    fn requests_safe_to_repeat_retry_every_overload_status() {
        for status in [429, 502, 503, 504] {
            assert!(retries_status(Repeat::Always, status, RetryAfter::Absent));
        }
        for status in [200, 400, 401, 403, 404, 500, 501] {
            assert!(!retries_status(Repeat::Always, status, RetryAfter::Absent));
        }
    }

    #[test]
    fn other_requests_retry_only_what_was_not_processed() {
        let wait = RetryAfter::Wait(Duration::from_secs(1));
        let once = Repeat::IfUnprocessed;
        assert!(retries_status(once, 429, RetryAfter::Absent));
        assert!(retries_status(once, 503, wait));
        assert!(retries_status(once, 503, RetryAfter::Unparsed));
        for status in [500, 502, 503, 504] {
            assert!(
                !retries_status(once, status, RetryAfter::Absent),
                "{status}"
            );
            assert!(is_ambiguous_status(once, status, RetryAfter::Absent));
        }
        assert!(!is_ambiguous_status(once, 429, RetryAfter::Absent));
        assert!(!is_ambiguous_status(once, 503, wait));
        assert!(!is_ambiguous_status(once, 400, RetryAfter::Absent));
        assert!(!is_ambiguous_status(
            Repeat::Always,
            502,
            RetryAfter::Absent
        ));
    }
}
