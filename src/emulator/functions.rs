//! The functions `/functions/{name}/call` can run: a few built-ins and whatever tests
//! register. Kept apart from the routes so a function is a plain Rust closure over JSON.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde_json::{Map, Value};

/// A registered function: named parameters in, a JSON result or an error message out.
pub type FunctionBody = Arc<dyn Fn(&Map<String, Value>) -> Result<Value, String> + Send + Sync>;

#[derive(Clone)]
enum Body {
    Sin,
    Abs,
    Echo,
    RefreshCaches,
    Custom(FunctionBody),
}

/// The function registry; names are Grok names (`Package:Function`, or bare for core
/// functions), matched case-insensitively.
pub struct Functions {
    map: RwLock<BTreeMap<String, (String, Body)>>,
}

impl Default for Functions {
    fn default() -> Self {
        let functions = Self {
            map: RwLock::new(BTreeMap::new()),
        };
        functions.insert("Sin", Body::Sin);
        functions.insert("Abs", Body::Abs);
        functions.insert("Echo", Body::Echo);
        functions.insert("Demo:RefreshCaches", Body::RefreshCaches);
        functions
    }
}

impl Functions {
    fn insert(&self, name: &str, body: Body) {
        let name = name.replace('.', ":");
        self.map
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_lowercase(), (name, body));
    }

    /// Registers (or replaces) `name`.
    pub fn register(&self, name: &str, body: FunctionBody) {
        self.insert(name, Body::Custom(body));
    }

    /// The canonical name of `name` (URL or colon form) if it exists.
    pub fn canonical(&self, name: &str) -> Option<String> {
        let key = name.replace('.', ":").to_lowercase();
        self.map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .map(|(canonical, _)| canonical.clone())
    }

    /// Calls `name`; `table_rows` answers the row count of a table ID (for
    /// `Demo:RefreshCaches`).
    pub fn call(
        &self,
        name: &str,
        params: &Map<String, Value>,
        table_rows: &dyn Fn(&str) -> Option<(String, u64)>,
    ) -> Result<Value, String> {
        let key = name.replace('.', ":").to_lowercase();
        let body = self
            .map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .map(|(_, body)| body.clone())
            .ok_or_else(|| format!("function `{name}` not found"))?;
        match body {
            Body::Sin => Ok(number_value(number_param(params, "x")?.sin())),
            Body::Abs => match params.get("x") {
                Some(Value::Number(n)) if n.is_i64() => {
                    Ok(Value::from(n.as_i64().unwrap_or_default().unsigned_abs()))
                }
                _ => Ok(number_value(number_param(params, "x")?.abs())),
            },
            Body::Echo => Ok(Value::Object(params.clone())),
            Body::RefreshCaches => {
                let table = params
                    .get("table")
                    .and_then(Value::as_str)
                    .ok_or("parameter `table` (a table ID) is required")?;
                let (id, rows) =
                    table_rows(table).ok_or_else(|| format!("table `{table}` not found"))?;
                Ok(serde_json::json!({ "refreshed": id, "rows": rows }))
            }
            Body::Custom(body) => body(params),
        }
    }
}

fn number_param(params: &Map<String, Value>, name: &str) -> Result<f64, String> {
    params
        .get(name)
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("parameter `{name}` (a number) is required"))
}

/// A float as JSON, whole numbers without a fraction (`Sin(0)` answers `0`, as Datagrok does).
fn number_value(x: f64) -> Value {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15 {
        // exact: the value is whole and well inside i64's range
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(functions: &Functions, name: &str, params: Value) -> Result<Value, String> {
        let params = params.as_object().cloned().unwrap_or_default();
        functions.call(name, &params, &|id| {
            (id == "t1").then(|| ("t1".to_owned(), 3))
        })
    }

    #[test]
    fn built_ins_answer_as_documented() {
        let f = Functions::default();
        assert_eq!(call(&f, "Sin", json!({"x": 0})), Ok(json!(0)));
        assert_eq!(call(&f, "sin", json!({"x": 1.5})), Ok(json!(1.5f64.sin())));
        assert_eq!(call(&f, "Abs", json!({"x": -3})), Ok(json!(3)));
        assert_eq!(call(&f, "Abs", json!({"x": -2.5})), Ok(json!(2.5)));
        assert_eq!(call(&f, "Echo", json!({"a": [1]})), Ok(json!({"a": [1]})));
        assert_eq!(
            call(&f, "Demo.RefreshCaches", json!({"table": "t1"})),
            Ok(json!({"refreshed": "t1", "rows": 3}))
        );
        assert!(call(&f, "Demo:RefreshCaches", json!({"table": "t2"})).is_err());
        assert!(call(&f, "Sin", json!({})).is_err());
        assert!(call(&f, "Nope", json!({})).is_err());
    }

    #[test]
    fn registered_functions_are_found_in_both_forms() {
        let f = Functions::default();
        f.register(
            "Pkg:Double",
            Arc::new(|p| Ok(json!(p["x"].as_i64().unwrap_or(0) * 2))),
        );
        assert_eq!(call(&f, "pkg.double", json!({"x": 4})), Ok(json!(8)));
        assert_eq!(f.canonical("PKG.DOUBLE").as_deref(), Some("Pkg:Double"));
    }
}
