//! When and how long to wait before trying a request again. Kept apart from the HTTP code so
//! the policy can be tested without a server.

use std::time::Duration;

use super::ClientOptions;

/// Statuses worth retrying for idempotent requests: rate limiting and overloaded gateways.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
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

/// A `Retry-After` value in seconds (integer or decimal), capped at `cap` so that a confused
/// server cannot park a CI job for hours. HTTP dates are not honoured (the normal backoff
/// applies instead): they need a clock comparison with the server's clock.
pub fn parse_retry_after(value: &str, cap: Duration) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(seconds.min(cap.as_secs_f64())))
}

/// The wait before the next attempt: the server's `Retry-After` when it gave one, else the
/// jittered backoff.
pub fn delay(options: &ClientOptions, attempt: u32, retry_after: Option<Duration>) -> Duration {
    retry_after.unwrap_or_else(|| backoff(options, attempt, fastrand::f64()))
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
            let d = delay(&o, 2, None);
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
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", cap),
            None
        );
        assert_eq!(parse_retry_after("NaN", cap), None);
        assert_eq!(
            delay(&options(), 0, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
    }

    #[test]
    fn only_overload_statuses_are_retried() {
        for status in [429, 502, 503, 504] {
            assert!(is_retryable_status(status));
        }
        for status in [200, 400, 401, 403, 404, 500, 501] {
            assert!(!is_retryable_status(status));
        }
    }
}
