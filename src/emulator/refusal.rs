//! Refused internal routes. A real Datagrok may refuse the internal routes grokform probes
//! (a gateway that only forwards `/public/v1`, a key without the privilege, an older server):
//! the emulator can refuse any group of them in each of those ways, so every client fallback
//! is testable. Refusals are plain data: set from `--refuse` or the control route.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::answer::{self, ApiError};

/// A group of internal routes that is refused or served as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InternalRoute {
    /// `GET /info/server`
    ServerInfo,
    /// `GET /projects`, `/projects/{id}`, `/projects/relations`
    ProjectsRead,
    /// `POST /projects` (in-place save, `saveRelations`)
    ProjectsSave,
    /// `DELETE /projects/{id}`
    ProjectsDelete,
    /// `GET /layouts?projectId=`
    LayoutsRead,
    /// `POST /layouts` (in-place save of a dashboard's layout)
    LayoutsSave,
    /// `GET /views?projectId=`
    ViewsRead,
    /// `GET /entities/{id}`, `/entities?namespace=&name=`
    EntitiesRead,
    /// `GET /privileges/permissions`
    PermissionsRead,
    /// `POST /privileges/permissions`
    PermissionsGrant,
    /// `DELETE /privileges/permissions/{id}`
    PermissionsRevoke,
    /// `GET /tables`, `/tables/{id}`
    TablesRead,
    /// `DELETE /tables/{id}`
    TablesDelete,
}

impl InternalRoute {
    /// Every group, in order.
    pub const ALL: [Self; 13] = [
        Self::ServerInfo,
        Self::ProjectsRead,
        Self::ProjectsSave,
        Self::ProjectsDelete,
        Self::LayoutsRead,
        Self::LayoutsSave,
        Self::ViewsRead,
        Self::EntitiesRead,
        Self::PermissionsRead,
        Self::PermissionsGrant,
        Self::PermissionsRevoke,
        Self::TablesRead,
        Self::TablesDelete,
    ];

    /// The kebab-case name used on the command line and the control route.
    pub fn name(self) -> &'static str {
        match self {
            Self::ServerInfo => "server-info",
            Self::ProjectsRead => "projects-read",
            Self::ProjectsSave => "projects-save",
            Self::ProjectsDelete => "projects-delete",
            Self::LayoutsRead => "layouts-read",
            Self::LayoutsSave => "layouts-save",
            Self::ViewsRead => "views-read",
            Self::EntitiesRead => "entities-read",
            Self::PermissionsRead => "permissions-read",
            Self::PermissionsGrant => "permissions-grant",
            Self::PermissionsRevoke => "permissions-revoke",
            Self::TablesRead => "tables-read",
            Self::TablesDelete => "tables-delete",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl fmt::Display for InternalRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a refused route answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Refusal {
    /// 404 with the HTML page of an unknown route, as if the server had no such route.
    #[default]
    #[serde(rename = "404")]
    NotFound,
    /// 403 with a JSON ApiError, as for a key without the privilege.
    #[serde(rename = "403")]
    Forbidden,
    /// HTTP 200 with the `api-error` header and an ApiError body ("access denied").
    ApiError,
    /// HTTP 200 with an empty JSON object, and nothing done: a save that reports success and
    /// does not land (what `grok s push` guards against by reading back). For write routes.
    Ignore,
}

impl Refusal {
    /// The answer a refused `route` gets.
    pub fn answer(self, route: InternalRoute) -> Response {
        match self {
            Self::NotFound => answer::not_found(),
            Self::Forbidden => {
                let body = json!({
                    "#type": "ApiError",
                    "message": format!("forbidden: `{route}` is not allowed for this key"),
                    "errorCode": "Forbidden",
                    "stackTrace": null,
                });
                (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
            }
            Self::ApiError => ApiError::new(format!(
                "access denied: `{route}` is not allowed for this key"
            ))
            .into_response(),
            Self::Ignore => axum::Json(json!({})).into_response(),
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "404" => Some(Self::NotFound),
            "403" => Some(Self::Forbidden),
            "api-error" => Some(Self::ApiError),
            "ignore" => Some(Self::Ignore),
            _ => None,
        }
    }
}

/// A refusal as `--refuse` and the control route take it: route groups (or `internal` for
/// all of them) and how they answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalRule {
    pub routes: Vec<InternalRoute>,
    #[serde(default)]
    pub answer: Refusal,
}

/// The error of a `--refuse` specification.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid refusal `{spec}`: {reason}")]
pub struct RefusalSpecError {
    spec: String,
    reason: String,
}

impl FromStr for RefusalRule {
    type Err = RefusalSpecError;

    /// Parses `ROUTE[,ROUTE…][=404|403|api-error|ignore]`, ROUTE a group name or `internal`.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| RefusalSpecError {
            spec: spec.to_owned(),
            reason,
        };
        let (names, answer) = match spec.split_once('=') {
            Some((names, answer)) => (
                names,
                Refusal::parse(answer).ok_or_else(|| {
                    fail(format!(
                        "`{answer}` is not an answer; use `404`, `403`, `api-error` or `ignore`"
                    ))
                })?,
            ),
            None => (spec, Refusal::default()),
        };
        let mut routes = Vec::new();
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name.eq_ignore_ascii_case("internal") {
                routes.extend(InternalRoute::ALL);
                continue;
            }
            let route = InternalRoute::parse(&name.to_ascii_lowercase()).ok_or_else(|| {
                let known: Vec<&str> = InternalRoute::ALL.iter().map(|r| r.name()).collect();
                fail(format!(
                    "`{name}` is not a route group; use `internal` or one of {}",
                    known.join(", ")
                ))
            })?;
            routes.push(route);
        }
        if routes.is_empty() {
            return Err(fail("it names no route group".to_owned()));
        }
        routes.sort();
        routes.dedup();
        Ok(Self { routes, answer })
    }
}

/// The refused route groups and how each answers.
#[derive(Debug, Default)]
pub struct Refusals(BTreeMap<InternalRoute, Refusal>);

impl Refusals {
    /// Refuses the rule's routes (a later rule overrides an earlier one's answer).
    pub fn add(&mut self, rule: &RefusalRule) {
        for route in &rule.routes {
            self.0.insert(*route, rule.answer);
        }
    }

    /// How `route` is refused, if it is.
    pub fn get(&self, route: InternalRoute) -> Option<Refusal> {
        self.0.get(&route).copied()
    }

    /// Serves every route again.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// The refusals as `{route: answer}`, in route order.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.0).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_name_groups_or_all_with_an_answer() {
        let rule: RefusalRule = "projects-delete,tables-delete=403".parse().unwrap();
        assert_eq!(
            rule.routes,
            [InternalRoute::ProjectsDelete, InternalRoute::TablesDelete]
        );
        assert_eq!(rule.answer, Refusal::Forbidden);
        let all: RefusalRule = "internal".parse().unwrap();
        assert_eq!(all.routes, InternalRoute::ALL);
        assert_eq!(all.answer, Refusal::NotFound);
        let api: RefusalRule = "permissions-read=api-error".parse().unwrap();
        assert_eq!(api.answer, Refusal::ApiError);
        let ignored: RefusalRule = "layouts-save=ignore".parse().unwrap();
        assert_eq!(ignored.answer, Refusal::Ignore);
        let bad = "projects-nuke".parse::<RefusalRule>().unwrap_err();
        assert!(bad.to_string().contains("projects-read"), "{bad}");
        assert!("projects-read=500".parse::<RefusalRule>().is_err());
        assert!("=404".parse::<RefusalRule>().is_err());
    }

    #[test]
    fn rules_read_and_write_as_json() {
        let rule: RefusalRule =
            serde_json::from_str(r#"{"routes":["layouts-read"],"answer":"api-error"}"#).unwrap();
        assert_eq!(rule.answer, Refusal::ApiError);
        let mut refusals = Refusals::default();
        refusals.add(&rule);
        assert_eq!(refusals.to_json(), json!({"layouts-read": "api-error"}));
        refusals.clear();
        assert_eq!(refusals.get(InternalRoute::LayoutsRead), None);
    }
}
