//! What the server says about itself: the public healthcheck and the internal server info.

use crate::client::envelope::{HTML_EXCERPT, unexpected};
use crate::client::observed::ServerInfo;
use crate::client::request::Request;
use crate::client::{Client, ClientError, Health, answers};

impl Client {
    /// Probes the server before planning against it: a wrong URL (nothing answers, or HTML
    /// answers), a refused key and a non-Datagrok JSON answer each give one clear error.
    pub async fn healthcheck(&self) -> Result<Health, ClientError> {
        let request = Request::get("/public/v1/healthcheck");
        let answer = match self.send(&request).await {
            Ok(answer) => answer,
            // An unknown route (the web UI, a proxy) is a wrong URL; a gateway's 5xx page is not.
            Err(ClientError::Http {
                status,
                body_excerpt,
                ..
            }) if status == 404 || (status < 500 && body_excerpt == HTML_EXCERPT) => {
                return Err(ClientError::NotDatagrok {
                    url: self.base_url().to_string(),
                    detail: format!("the healthcheck route answered HTTP {status}"),
                });
            }
            Err(other) => return Err(other),
        };
        let value = answer.json(&request, self.base_url())?;
        answers::health(&value).ok_or_else(|| ClientError::NotDatagrok {
            url: self.base_url().to_string(),
            detail: "the healthcheck answer has no `status`".into(),
        })
    }

    /// `GET /info/server`: the server's version and commit (internal route).
    pub async fn server_info(&self) -> Result<ServerInfo, ClientError> {
        let request = Request::get("/info/server");
        let answer = self.send(&request).await?;
        let value = answer.json(&request, self.base_url())?;
        serde_json::from_value(value.clone())
            .map_err(|e| unexpected(&request, &e.to_string(), &value))
    }
}
