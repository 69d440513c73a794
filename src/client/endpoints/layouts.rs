//! A dashboard's layout saved in place: `POST /layouts` with the layout JSON carrying the id
//! of the layout entity the server already holds, the generic "save an entity with its own
//! id" route pattern `grok s push` uses. Not a published contract: it goes through
//! `Capability::SaveInPlace`, and a caller counts it only after reading the layout back.

use serde_json::Value;

use crate::client::request::Request;
use crate::client::{Client, ClientError};

impl Client {
    /// Saves `layout` over the layout entity `layout_id` (the id `GET /layouts?projectId=…`
    /// serves), keeping the dashboard's id and URL. Safe to repeat (the id is the client's
    /// choice), so a deadlock is retried like `save_project`. Returns what the server
    /// answered (the saved layout, or `Null` for an empty answer); it proves nothing: read
    /// the layout back.
    pub async fn save_layout(&self, layout_id: &str, layout: &Value) -> Result<Value, ClientError> {
        let Value::Object(fields) = layout else {
            return Err(ClientError::Invalid {
                request: "POST /layouts".into(),
                reason: "a layout must be a JSON object".into(),
            });
        };
        let mut fields = fields.clone();
        fields.insert(
            "id".into(),
            Value::String(super::checked_id(layout_id)?.to_string()),
        );
        let body = Value::Object(fields);
        let request = Request::post("/layouts").idempotent().json(&body);
        let answer = self.save_in_place(&request).await?;
        if answer.is_nothing() {
            return Ok(Value::Null);
        }
        answer.json(&request, self.base_url())
    }
}
