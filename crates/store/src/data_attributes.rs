//! Data attributes: the schema of custom attributes on contacts, companies and conversations.
//! (Being built: list/create/update and validation. The signature below is the contract.)
use crate::{Db, StoreResult};

/// Checks a `custom_attributes` object against the workspace's attribute definitions for
/// `model` (`contact`, `company` or `conversation`): every key must be a defined, unarchived
/// attribute, and every value must fit its data type. Returns `StoreError::Invalid` naming the
/// offending key otherwise.
pub async fn validate_custom_attributes(
    _db: &Db,
    _workspace_id: i64,
    _model: &str,
    _attributes: &serde_json::Map<String, serde_json::Value>,
) -> StoreResult<()> {
    Ok(())
}
