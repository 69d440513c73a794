//! Generic entities: `GET /entities/{id}` answers any entity by id, whatever its type.

use super::id_segment;
use crate::client::observed::Entity;
use crate::client::request::Request;
use crate::client::{Client, ClientError};

impl Client {
    /// `GET /entities/{id}` (an array of one); `None` when the server says there is none.
    pub async fn entity(&self, id: &str) -> Result<Option<Entity>, ClientError> {
        self.read_one(&Request::get(format!("/entities/{}", id_segment(id)?)))
            .await
    }
}
