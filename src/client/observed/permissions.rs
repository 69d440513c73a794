//! Grants: `GET /privileges/permissions?entityId=…&all=true` rows.

use serde::Deserialize;
use serde_json::Value;

use super::lenient::{self, Record};

/// One grant: `{id, entityId, userGroup{id, name, friendlyName…}, permission{name}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    /// What a revoke deletes.
    #[serde(alias = "ID", deserialize_with = "lenient::id")]
    pub id: String,
    /// The entity the grant is on (also read from `entity.id`). With `all=true` the server
    /// adds rows inherited from containing entities: those have another id here.
    #[serde(default, deserialize_with = "lenient::string")]
    pub entity_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional")]
    pub user_group: Option<Group>,
    #[serde(default, deserialize_with = "lenient::optional")]
    pub permission: Option<PermissionName>,
}

impl Permission {
    /// The group's name as people see it (`friendlyName`, else `name`).
    pub fn group_name(&self) -> Option<&str> {
        let group = self.user_group.as_ref()?;
        group.friendly_name.as_deref().or(group.name.as_deref())
    }

    /// `View`, `Edit`, … as the server names it.
    pub fn permission_name(&self) -> Option<&str> {
        self.permission.as_ref()?.name.as_deref()
    }
}

impl Record for Permission {
    fn id(&self) -> &str {
        &self.id
    }
    fn keep_raw(&mut self, raw: Value) {
        if self.entity_id.is_none() {
            self.entity_id = raw
                .pointer("/entity/id")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
    }
}

/// A user group (a user is a personal group).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    #[serde(default, alias = "ID", deserialize_with = "lenient::string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub friendly_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub personal: Option<bool>,
}

/// `permission: {name}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct PermissionName {
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::parse_list;
    use super::*;

    #[test]
    fn grants_are_read_with_their_group_and_entity() {
        let rows: Vec<Permission> = parse_list(&json!([
            {"id": "g-1", "entityId": "d-1",
             "userGroup": {"id": "u-1", "name": "analysts", "friendlyName": "Analysts"},
             "permission": {"name": "View", "extra": 1}},
            {"ID": "g-2", "entity": {"id": "d-1"}, "userGroup": {"name": "Managers"},
             "permission": "Edit"}
        ]))
        .unwrap();
        assert_eq!(rows[0].group_name(), Some("Analysts"));
        assert_eq!(rows[0].permission_name(), Some("View"));
        assert_eq!(rows[1].entity_id.as_deref(), Some("d-1"));
        assert_eq!(rows[1].group_name(), Some("Managers"));
        assert_eq!(
            rows[1].permission_name(),
            None,
            "a shape that does not fit is dropped"
        );
    }
}
