//! The JSON Schema of the saved-plan format (`schema/plan.schema.json`), generated from the
//! types so that it cannot drift from them: the schema of addresses here, the check that the
//! committed file is the generated one in the tests.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::address::Address;

/// Addresses serialise as their text form (`share.overview.Analysts`).
impl JsonSchema for Address {
    fn schema_name() -> Cow<'static, str> {
        "Address".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "`file.KEY`, `table.KEY`, `dashboard.KEY`, `share.DASHBOARD.GROUP` or `call.KEY`",
            "type": "string",
            "pattern": "^((file|table|dashboard|call)\\.[^.]+|share\\.[^.]+\\..+)$"
        })
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures on disk and read the environment
mod tests {
    use std::path::Path;

    use crate::plan::testing::{Fixture, applied};
    use crate::plan::{Observed, PlanOptions, plan};
    use crate::state::State;

    /// The JSON Schema of [`Plan`](crate::plan::Plan): what `schema/plan.schema.json` must hold.
    fn json_schema() -> serde_json::Value {
        schemars::schema_for!(crate::plan::Plan).to_value()
    }

    fn committed_path() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/plan.schema.json")
    }

    /// `GROKFORM_WRITE_SCHEMA=1 cargo test plan::schema` rewrites the committed file.
    #[test]
    fn committed_schema_is_the_generated_one() {
        crate::test_support::assert_committed_schema(
            "schema/plan.schema.json",
            &json_schema(),
            "GROKFORM_WRITE_SCHEMA=1 cargo test plan::schema",
        );
    }

    #[test]
    fn rendered_plans_validate_against_the_committed_schema() {
        let committed: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(committed_path()).unwrap()).unwrap();
        let validator = jsonschema::validator_for(&committed).unwrap();
        let model = Fixture::sales().model();
        let options = PlanOptions {
            server: "https://dg.example.com/api".into(),
            environment: Some("staging".into()),
            targets: vec![],
            replace: vec![],
            capabilities: Default::default(),
        };
        let first = plan(&model, &State::new(), &Observed::default(), &options).unwrap();
        let mut changed = Fixture::sales();
        changed.table_csv("orders", "id,amount,discount\n1,5,0\n2,6,1\n");
        changed.layout("{\"#type\":\"ViewLayout\",\"table\":\"${table.orders.id}\",\"x\":2}");
        changed.remove_share("overview", "Managers");
        let second = plan(
            &changed.model(),
            &applied(&model, &State::new()),
            &Observed::default(),
            &options,
        )
        .unwrap();
        for p in [first, second] {
            let text = crate::render::json(&p);
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{errors:#?}");
            let back: crate::plan::Plan = serde_json::from_str(&text).unwrap();
            assert_eq!(back, p, "a saved plan reads back as the same plan");
        }
        let broken = serde_json::json!({"format_version": 1});
        assert!(!validator.is_valid(&broken));
    }
}
