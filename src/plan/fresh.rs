//! Whether a saved plan may still be applied: the state, the server and every input must be
//! what they were when it was made, or applying it would do something nobody reviewed.

use std::fmt;

use super::{FORMAT_VERSION, Plan, inputs};
use crate::model::Model;
use crate::server_url::ServerUrl;
use crate::state::State;

/// One way a saved plan no longer matches the world.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StaleReason {
    #[error(
        "the plan file has format version {found}; this grokform reads version {FORMAT_VERSION}"
    )]
    FormatVersion { found: u32 },
    #[error("the plan was made against another state (lineage `{saved}`, now `{current}`)")]
    Lineage { saved: String, current: String },
    #[error("the state moved since the plan was made (serial {saved}, now {current})")]
    Serial { saved: u64, current: u64 },
    #[error("the plan targets `{saved}` but this apply targets `{current}`")]
    Server { saved: String, current: String },
    #[error(
        "the plan was made for {} but this apply uses {}",
        env_name(saved.as_deref()),
        env_name(current.as_deref())
    )]
    Environment {
        saved: Option<String>,
        current: Option<String>,
    },
    #[error("`{0}` changed since the plan was made")]
    InputChanged(String),
    #[error("`{0}` is a new input since the plan was made")]
    InputAdded(String),
    #[error("`{0}` is no longer an input")]
    InputRemoved(String),
}

/// `environment `staging`` or `no environment` (the manifest's top level).
fn env_name(env: Option<&str>) -> String {
    match env {
        Some(env) => format!("environment `{env}`"),
        None => "no environment (the manifest's top level)".to_string(),
    }
}

/// A saved plan that must not be applied, with every reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[diagnostic(
    code(grokform::plan::stale),
    help("run `grokform plan --out FILE` again and review the new plan")
)]
pub struct Stale {
    pub reasons: Vec<StaleReason>,
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the saved plan is stale: ")?;
        for (i, reason) in self.reasons.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{reason}")?;
        }
        Ok(())
    }
}

/// `Ok` when `saved` was made against `current_state` as it is now, for `server`, from the
/// inputs `current_model` hashes now; otherwise every difference.
pub fn check_fresh(
    saved: &Plan,
    current_model: &Model,
    current_state: &State,
    server: &str,
) -> Result<(), Stale> {
    let mut reasons = Vec::new();
    if saved.format_version != FORMAT_VERSION {
        reasons.push(StaleReason::FormatVersion {
            found: saved.format_version,
        });
    }
    if saved.state.serial == 0 && current_state.serial == 0 {
        // Serial 0 is a state never saved: every run invents its lineage afresh, so two runs
        // with no state yet agree on the state whatever lineage each made up. `apply` then
        // adopts the saved plan's lineage.
    } else if saved.state.serial == 0 {
        // The plan was made before the first apply; someone applied since.

        reasons.push(StaleReason::Serial {
            saved: 0,
            current: current_state.serial,
        });
    } else if saved.state.lineage != current_state.lineage {
        reasons.push(StaleReason::Lineage {
            saved: saved.state.lineage.clone(),
            current: current_state.lineage.clone(),
        });
    } else if saved.state.serial != current_state.serial {
        reasons.push(StaleReason::Serial {
            saved: saved.state.serial,
            current: current_state.serial,
        });
    }
    if saved.environment != current_model.environment {
        // Each environment has its own state and variables: applying one's plan with another
        // selected would record its changes in the wrong state.
        reasons.push(StaleReason::Environment {
            saved: saved.environment.clone(),
            current: current_model.environment.clone(),
        });
    }
    let server = ServerUrl::canonical(server);
    if !ServerUrl::same(&saved.server, &server) {
        reasons.push(StaleReason::Server {
            saved: saved.server.clone(),
            current: server,
        });
    }
    let now = inputs(current_model);
    for (path, hash) in &saved.inputs {
        match now.get(path) {
            Some(current) if current == hash => {}
            Some(_) => reasons.push(StaleReason::InputChanged(path.clone())),
            None => reasons.push(StaleReason::InputRemoved(path.clone())),
        }
    }
    for path in now.keys().filter(|p| !saved.inputs.contains_key(*p)) {
        reasons.push(StaleReason::InputAdded(path.clone()));
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(Stale { reasons })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::testing::{Fixture, applied};
    use crate::plan::{Observed, PlanOptions, plan};

    /// Options as `cli` builds them: the environment is the model's.
    fn options(model: &Model) -> PlanOptions {
        PlanOptions {
            server: "https://dg.example.com/api".into(),
            environment: model.environment.clone(),
            targets: vec![],
            replace: vec![],
            capabilities: Default::default(),
        }
    }

    #[test]
    fn a_fresh_plan_passes() {
        let model = Fixture::sales().model();
        let state = applied(&model, &State::new());
        let saved = plan(&model, &state, &Observed::default(), &options(&model)).unwrap();
        assert_eq!(
            check_fresh(&saved, &model, &state, "https://dg.example.com/api/"),
            Ok(())
        );
    }

    #[test]
    fn a_plan_made_before_the_first_apply_stays_fresh_until_someone_applies() {
        let model = Fixture::sales().model();
        let saved = plan(
            &model,
            &State::new(),
            &Observed::default(),
            &options(&model),
        )
        .unwrap();
        // Another run with no state yet invents another lineage: still the same (empty) state.
        assert_eq!(
            check_fresh(&saved, &model, &State::new(), "https://dg.example.com/api"),
            Ok(())
        );
        let since = applied(&model, &State::new());
        let err = check_fresh(&saved, &model, &since, "https://dg.example.com/api").unwrap_err();
        assert_eq!(
            err.reasons,
            [StaleReason::Serial {
                saved: 0,
                current: since.serial
            }]
        );
    }

    #[test]
    fn says_exactly_what_went_stale() {
        let model = Fixture::sales().model();
        let state = applied(&model, &State::new());
        let saved = plan(&model, &state, &Observed::default(), &options(&model)).unwrap();

        let mut moved = state.clone();
        moved.serial += 1;
        let mut fixture = Fixture::sales();
        fixture.table_csv("orders", "id,amount\n1,5\n");
        fixture.drop_layout();
        let changed = fixture.model();
        let err =
            check_fresh(&saved, &changed, &moved, "https://other.example.com/api").unwrap_err();
        insta::assert_snapshot!(err.to_string());

        let mut elsewhere = model.clone();
        elsewhere.environment = Some("prod".into());
        let err =
            check_fresh(&saved, &elsewhere, &state, "https://dg.example.com/api").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the saved plan is stale: the plan was made for environment `staging` but this apply uses environment `prod`"
        );

        let other = State::new();
        let err = check_fresh(&saved, &model, &other, "https://dg.example.com/api").unwrap_err();
        assert!(matches!(err.reasons[..], [StaleReason::Lineage { .. }]));
    }
}
