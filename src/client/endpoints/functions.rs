//! Calling server functions.

use reqwest::Method;
use serde_json::Value;

use crate::client::names::grok_name_segment;
use crate::client::request::Request;
use crate::client::{Client, ClientError};

impl Client {
    /// Calls a server function (`Package:Function`, or a bare core function) with named
    /// parameters and returns its result as JSON. Uses `/functions/{name}/call` and falls back
    /// to the older `/{name}/call` only on a 404. Sent again only after an answer that proves
    /// it did not run (429, 503 with `Retry-After`); otherwise a failure may hide a call that
    /// ran: see `ClientError::is_ambiguous`.
    pub async fn call_function(
        &self,
        name: &str,
        params: &serde_json::Map<String, Value>,
    ) -> Result<Value, ClientError> {
        let segment = grok_name_segment(name)?;
        let body = serde_json::to_vec(params).expect("a JSON map serialises");
        let current =
            Request::post(format!("/public/v1/functions/{segment}/call")).json_bytes(body);
        let older = current.on_route(Method::POST, format!("/public/v1/{segment}/call"));
        let (request, answer) = self.send_or_older(current, older).await?;
        if answer.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        answer.json(&request, self.base_url())
    }
}
