//! What the routes answer, read leniently: Datagrok's JSON spells some keys two ways (`ID` and
//! `id`) and grokform only needs a few of them.

use serde_json::Value;

/// `GET /public/v1/healthcheck`.
#[derive(Clone, Debug, PartialEq)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: String,
    pub server: Option<String>,
    pub version: Option<String>,
    pub services: Vec<Value>,
}

impl Health {
    /// True when the server says it is fully working.
    pub fn is_ok(&self) -> bool {
        self.status == "ok"
    }
}

/// What a table upload answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableInfo {
    pub id: String,
    pub grok_name: Option<String>,
    pub url: Option<String>,
}

/// What a dashboard create answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DashboardInfo {
    pub id: String,
}

/// What a share answered. `status` is `success`, `partial_success` or `failed`; the caller
/// decides what a partial success means for it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ShareOutcome {
    pub status: String,
    pub shared: Vec<String>,
    pub already_shared: Vec<String>,
    pub failed: Vec<String>,
}

impl ShareOutcome {
    /// Every requested group has the access now.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && self.status != "failed" && self.status != "partial_success"
    }
}

fn string_field(map: &serde_json::Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match map.get(*k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Reads the healthcheck answer; `None` when it is not one.
pub fn health(value: &Value) -> Option<Health> {
    let map = value.as_object()?;
    Some(Health {
        status: map.get("status")?.as_str()?.to_string(),
        server: string_field(map, &["server"]),
        version: string_field(map, &["version"]),
        services: map
            .get("services")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    })
}

/// Reads a table upload's answer (`ID`, or `id`).
pub fn table_info(value: &Value) -> Option<TableInfo> {
    let map = value.as_object()?;
    Some(TableInfo {
        id: string_field(map, &["ID", "id", "Id"])?,
        grok_name: string_field(map, &["Grok name", "grokName", "nqName"]),
        url: string_field(map, &["URL", "url"]),
    })
}

/// Reads a dashboard create's answer (`ID`, `id`, or a bare ID string).
pub fn dashboard_info(value: &Value) -> Option<DashboardInfo> {
    let id = match value {
        Value::String(s) if !s.is_empty() => s.clone(),
        Value::Object(map) => string_field(map, &["ID", "id", "Id"])?,
        _ => return None,
    };
    Some(DashboardInfo { id })
}

/// Reads a share's answer.
pub fn share_outcome(value: &Value) -> Option<ShareOutcome> {
    let map = value.as_object()?;
    Some(ShareOutcome {
        status: string_field(map, &["status"])?,
        shared: string_list(map.get("shared")),
        already_shared: string_list(map.get("alreadyShared").or(map.get("already_shared"))),
        failed: string_list(map.get("failed")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_both_spellings_of_ids() {
        let t =
            table_info(&json!({"ID": "u1", "Grok name": "A:B:C", "URL": "http://x/t"})).unwrap();
        assert_eq!(t.id, "u1");
        assert_eq!(t.grok_name.as_deref(), Some("A:B:C"));
        assert_eq!(table_info(&json!({"id": "u2"})).unwrap().id, "u2");
        assert_eq!(table_info(&json!({"name": "x"})), None);
        assert_eq!(dashboard_info(&json!({"ID": "d1"})).unwrap().id, "d1");
        assert_eq!(dashboard_info(&json!("d2")).unwrap().id, "d2");
        assert_eq!(dashboard_info(&json!(7)), None);
    }

    #[test]
    fn reads_share_outcomes() {
        let o = share_outcome(&json!({
            "status": "partial_success", "shared": ["A"], "alreadyShared": ["B"],
            "failed": [{"group": "C", "reason": "unknown"}]
        }))
        .unwrap();
        assert_eq!(o.shared, ["A"]);
        assert_eq!(o.already_shared, ["B"]);
        assert_eq!(o.failed.len(), 1);
        assert!(!o.is_success());
        let ok = share_outcome(&json!({"status": "success", "shared": ["A"]})).unwrap();
        assert!(ok.is_success());
    }

    #[test]
    fn reads_the_healthcheck() {
        let h =
            health(&json!({"status": "degraded", "server": "s", "version": "1.2", "services": []}))
                .unwrap();
        assert!(!h.is_ok());
        assert_eq!(h.version.as_deref(), Some("1.2"));
        assert_eq!(health(&json!({"ok": true})), None);
    }
}
