//! The refresh report: what `grokform refresh --format json` prints, with a committed JSON
//! Schema (`schema/refresh.schema.json`) generated from these types, so scheduled CI jobs can
//! rely on its shape.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::plan::{Observation, Observed};

/// The report's format; bumped on incompatible changes.
pub const FORMAT_VERSION: u32 = 1;

/// A refresh: the server, the counts, and everything observed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshReport {
    /// The format of this document: 1.
    #[schemars(extend("const" = 1))]
    pub format_version: u32,
    /// The environment selected with `--env`, if any.
    pub environment: Option<String>,
    /// The base URL of the server read (any `user:password@` part removed).
    pub server: String,
    pub summary: RefreshSummary,
    pub observed: Observed,
}

/// How many of each outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshSummary {
    /// Managed objects read.
    pub checked: usize,
    /// Objects that match the state.
    pub in_sync: usize,
    /// Drift items not covered by an `ignore_changes` rule (`--detailed-exitcode` exits 2
    /// when this is not 0).
    pub drift: usize,
    /// Drift items an `ignore_changes` rule covers.
    pub ignored: usize,
    /// Objects that could not be read.
    pub unverified: usize,
}

impl RefreshReport {
    /// The report of `observed` for `server`.
    pub fn new(server: &str, environment: Option<String>, observed: Observed) -> RefreshReport {
        let in_sync = observed
            .resources
            .values()
            .filter(|o| matches!(o, Observation::InSync))
            .count();
        RefreshReport {
            format_version: FORMAT_VERSION,
            environment,
            server: crate::server_url::ServerUrl::canonical(server),
            summary: RefreshSummary {
                checked: observed.resources.len(),
                in_sync,
                drift: observed.drift_count(),
                ignored: observed.ignored_count(),
                unverified: observed.unverified().len(),
            },
            observed,
        }
    }

    /// Whether drift that is not ignored was found.
    pub fn has_drift(&self) -> bool {
        self.summary.drift > 0
    }
}

/// The JSON Schema of [`RefreshReport`] (checked against `schema/refresh.schema.json`).
#[cfg(test)]
fn json_schema() -> serde_json::Value {
    schemars::schema_for!(RefreshReport).to_value()
}

#[cfg(test)]
pub(crate) use tests::sample;

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // reads the committed schema file
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::plan::{Drift, DriftKind, UnmanagedGrant};

    /// A report with one of each outcome, for schema and rendering tests.
    pub(crate) fn sample() -> RefreshReport {
        let mut observed = Observed::default();
        observed
            .resources
            .insert(Address::table("orders"), Observation::InSync);
        observed.resources.insert(
            Address::dashboard("overview"),
            Observation::Drifted {
                drift: vec![Drift {
                    pointers: vec!["/viewStateMap/viewers/0/look/title".into()],
                    ..Drift::new(
                        DriftKind::LayoutEdited,
                        "changed at `/viewStateMap/viewers/0/look/title`",
                    )
                }],
            },
        );
        observed.resources.insert(
            Address::share("overview", "Analysts"),
            Observation::Gone {
                drift: Drift::new(
                    DriftKind::GrantRemoved,
                    "`Analysts` has no View grant on the server",
                ),
            },
        );
        observed.resources.insert(
            Address::file("readme"),
            Observation::Unverified {
                reason: "no answer within 1m".into(),
            },
        );
        observed.unmanaged_grants.push(UnmanagedGrant {
            dashboard: Address::dashboard("overview"),
            group: "Developers".into(),
            access: "Edit".into(),
            ignored: true,
        });
        observed.notes.push(
            "grants on this server cannot be verified (internal route refused: HTTP 403)".into(),
        );
        RefreshReport::new("https://u:p@dg.example.com/api", None, observed)
    }

    #[test]
    fn committed_schema_is_the_generated_one() {
        crate::test_support::assert_committed_schema(
            "schema/refresh.schema.json",
            &json_schema(),
            "GROKFORM_WRITE_SCHEMA=1 cargo test refresh::report",
        );
    }

    #[test]
    fn reports_validate_against_the_committed_schema() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/refresh.schema.json"),
        )
        .unwrap();
        let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let report = sample();
        assert_eq!(report.server, "https://dg.example.com/api", "no secret");
        assert_eq!(
            (
                report.summary.drift,
                report.summary.ignored,
                report.summary.unverified
            ),
            (2, 1, 1)
        );
        let value = serde_json::to_value(&report).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        let back: RefreshReport = serde_json::from_value(value).unwrap();
        assert_eq!(back, report);
        assert!(!validator.is_valid(&serde_json::json!({"format_version": 1})));
    }
}
