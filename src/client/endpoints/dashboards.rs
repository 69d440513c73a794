//! Creating dashboards through the public route (reading them back is `projects`: a dashboard
//! is a project).

use serde_json::Value;

use crate::client::envelope::unexpected;
use crate::client::names::{encode_segment, grok_name_segment};
use crate::client::request::Request;
use crate::client::{Client, ClientError, DashboardInfo, answers};

impl Client {
    /// Creates a dashboard holding `table_ids`, with an optional layout (JSON text). Every call
    /// creates a new dashboard, so it is sent again only after an answer that proves it was
    /// not processed (429, 503 with `Retry-After`); on any other failure check
    /// `ClientError::is_ambiguous`.
    pub async fn create_dashboard(
        &self,
        name: &str,
        table_ids: &[String],
        layout: Option<&str>,
    ) -> Result<DashboardInfo, ClientError> {
        if table_ids.is_empty() {
            return Err(ClientError::BadName {
                name: name.to_string(),
                reason: "a dashboard needs at least one table".into(),
            });
        }
        let ids = table_ids
            .iter()
            .map(|id| {
                if id.is_empty() || id.contains(',') {
                    Err(ClientError::BadName {
                        name: id.clone(),
                        reason: "a table ID cannot be empty or contain `,`".into(),
                    })
                } else {
                    Ok(encode_segment(id))
                }
            })
            .collect::<Result<Vec<_>, _>>()?
            .join(",");
        let mut request = Request::post(format!(
            "/public/v1/dashboards/{}/{ids}",
            grok_name_segment(name)?
        ));
        if let Some(text) = layout {
            // Sent as-is, but it must be JSON: a broken layout would otherwise create a
            // dashboard the server may or may not have accepted half of.
            serde_json::from_str::<Value>(text).map_err(|e| ClientError::BadName {
                name: name.to_string(),
                reason: format!("its layout is not JSON: {e}"),
            })?;
            request = request.json_bytes(text.as_bytes().to_vec());
        }
        let answer = self.send(&request).await?;
        let value = answer.json(&request, self.base_url())?;
        answers::dashboard_info(&value)
            .ok_or_else(|| unexpected(&request, "no `ID` in the answer", &value))
    }
}
