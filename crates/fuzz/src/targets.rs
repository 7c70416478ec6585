//! One module per target; each exports `TARGET` and `check`.
pub mod inbound_mime;
pub mod live_frame;
pub mod reply_trim;
pub mod routing_rules;
pub mod search_dsl;
pub mod search_sql;
pub mod segment;
pub mod template;
