//! Projects through the internal routes (a dashboard is a project): read one, search by name,
//! read its relations and layouts, delete it, save it in place.

use std::time::Duration;

use serde_json::Value;

use super::{checked_id, id_segment};
use crate::client::capabilities::Capability;
use crate::client::envelope::unexpected;
use crate::client::observed::{Deletion, Layout, Project, RelationSource, Relations};
use crate::client::request::Request;
use crate::client::{Client, ClientError};

/// Projects per search page, as Datagrok's own CLI asks for.
const PAGE_SIZE: usize = 500;

/// A server that ignores `page` would be paged for ever; no team has this many projects
/// matching one dashboard name.
const MAX_PAGES: u32 = 200;

/// Pauses before the retries of a save that hit a PostgreSQL deadlock (`40P01`), as
/// `grok s push` does.
const DEADLOCK_PAUSES: [Duration; 2] = [Duration::from_millis(250), Duration::from_millis(500)];

impl Client {
    /// `GET /projects/{id}`; `None` when the server says there is no such project. Under the
    /// read deadline: this route can hang on huge projects.
    pub async fn project(&self, id: &str) -> Result<Option<Project>, ClientError> {
        self.read_one(&Request::get(format!("/projects/{}", id_segment(id)?)))
            .await
    }

    /// The projects called exactly `name` (their name or friendly name): the server's text
    /// search (`GET /projects?text=…&includeRoot=true&limit=500&page=N`, pages from 1) is
    /// loose, so every page is read and matched here. Several can match: the server allows
    /// duplicate names.
    pub async fn projects_named(&self, name: &str) -> Result<Vec<Project>, ClientError> {
        let mut found = Vec::new();
        let mut previous_first: Option<String> = None;
        for page in 1..=MAX_PAGES {
            let projects = self.projects_page(name, page).await?;
            let first = projects.first().map(|p| p.id.clone());
            // A page that starts like the one before: the server ignores `page`.
            if first.is_none() || first == previous_first {
                break;
            }
            let full = projects.len() >= PAGE_SIZE;
            found.extend(projects.into_iter().filter(|p| p.is_named(name)));
            if !full {
                break;
            }
            previous_first = first;
        }
        found.sort_by(|a, b| a.id.cmp(&b.id));
        found.dedup_by(|a, b| a.id == b.id);
        Ok(found)
    }

    /// One page of the project search.
    pub(crate) async fn projects_page(
        &self,
        text: &str,
        page: u32,
    ) -> Result<Vec<Project>, ClientError> {
        let request = Request::get("/projects")
            .query("text", text)
            .query("includeRoot", "true")
            .query("limit", &PAGE_SIZE.to_string())
            .query("page", &page.to_string());
        self.read_list(&request).await
    }

    /// The relations of a project (the tables and other entities it holds), from
    /// `GET /projects/relations?projectId=…&include=entity`; when that route fails (it does
    /// on some projects), from the project's own `relations[]`, saying so. `None` when the
    /// project does not exist.
    pub async fn project_relations(&self, id: &str) -> Result<Option<Relations>, ClientError> {
        let request = Request::get("/projects/relations")
            .query("projectId", checked_id(id)?)
            .query("include", "entity");
        let reason = match self.read_list(&request).await {
            Ok(items) if !items.is_empty() => {
                return Ok(Some(Relations {
                    items,
                    source: RelationSource::Route,
                }));
            }
            // No relations, or a project that does not exist: the project read tells which.
            Ok(_) => None,
            Err(error) => Some(format!("`{}` {}", request.label(), error.outcome())),
        };
        let Some(project) = self.project(id).await? else {
            return Ok(None);
        };
        let source = match reason {
            None => RelationSource::Route,
            Some(reason) => RelationSource::ProjectFallback { reason },
        };
        Ok(Some(Relations {
            items: project.relations,
            source,
        }))
    }

    /// `GET /layouts?projectId=…`: the layouts saved in a project (none for a project that
    /// does not exist).
    pub async fn layouts(&self, project_id: &str) -> Result<Vec<Layout>, ClientError> {
        let request = Request::get("/layouts").query("projectId", checked_id(project_id)?);
        self.read_list(&request).await
    }

    /// `DELETE /projects/{id}`. Global: it removes the dashboard for every user. Not repeated
    /// after an answer that leaves open whether it happened; read the project back to know.
    pub async fn delete_project(&self, id: &str) -> Result<Deletion, ClientError> {
        let request = Request::delete(format!("/projects/{}", id_segment(id)?));
        self.delete_entity(&request, Capability::DeleteProject)
            .await
    }

    /// Saves `project` (a project's JSON carrying its `id`) with `POST /projects`, which
    /// updates the project with that id in place; with `save_relations`, `POST
    /// /projects?saveRelations=true`, which **replaces the whole relation set** (start from
    /// the relations the server has). The id is chosen by the client, so the save is safe to
    /// repeat; a PostgreSQL deadlock (`40P01`) is retried twice more, after 250 ms and 500 ms,
    /// as `grok s push` does. Returns the id the server says it saved under (compare it with
    /// the one sent) and counts only after a read-back: a save can report success and not
    /// land.
    pub async fn save_project(
        &self,
        project: &Value,
        save_relations: bool,
    ) -> Result<String, ClientError> {
        let sent_id = project
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| ClientError::Invalid {
                request: "POST /projects".into(),
                reason: "a project saved in place needs its `id`".into(),
            })?
            .to_string();
        let mut request = Request::post("/projects").idempotent().json(project);
        if save_relations {
            request = request.query("saveRelations", "true");
        }
        let answer = self.save_in_place(&request).await?;
        if answer.is_nothing() {
            return Ok(sent_id);
        }
        let value = answer.json(&request, self.base_url())?;
        match value.get("id").or(value.get("ID")) {
            Some(Value::String(id)) if !id.is_empty() => Ok(id.clone()),
            None => Ok(sent_id),
            Some(_) => Err(unexpected(
                &request,
                "the saved project's `id` is not a string",
                &value,
            )),
        }
    }
}

impl Client {
    /// Sends an in-place save, repeating it after a PostgreSQL deadlock (`40P01`) as `grok s
    /// push` does, and records what it says about `Capability::SaveInPlace`.
    pub(super) async fn save_in_place(
        &self,
        request: &Request<'_>,
    ) -> Result<crate::client::envelope::Answer, ClientError> {
        let mut pauses = DEADLOCK_PAUSES.iter();
        let result = loop {
            match self.send(request).await {
                Err(error) if is_deadlock(&error) => match pauses.next() {
                    Some(pause) => tokio::time::sleep(*pause).await,
                    None => break Err(error),
                },
                other => break other,
            }
        };
        // A deadlock says nothing about whether the server allows the save.
        if !matches!(&result, Err(error) if is_deadlock(error)) {
            self.note_write(Capability::SaveInPlace, &result);
        }
        result
    }
}

/// A save that failed on a PostgreSQL deadlock: worth repeating after a pause.
fn is_deadlock(error: &ClientError) -> bool {
    let text = match error {
        ClientError::Api {
            message,
            error_code,
            ..
        } => format!("{message} {}", error_code.as_deref().unwrap_or_default()),
        ClientError::Http { body_excerpt, .. } => body_excerpt.clone(),
        _ => return false,
    };
    text.contains("40P01") || text.to_lowercase().contains("deadlock")
}
