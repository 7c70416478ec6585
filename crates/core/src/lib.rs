//! Rapport's domain: types that are valid by construction and pure rules over them.
//!
//! No IO, no async, no SQL, no HTTP lives here, so the live path and the simulators of later
//! features run the same code.
#![forbid(unsafe_code)]

pub mod admin;
pub mod attachment;
pub mod attributes;
pub mod contact;
pub mod conversation;
pub mod email;
pub mod identity;
pub mod messenger;
pub mod office_hours;
pub mod routing;
pub mod search;
pub mod segment;
pub mod sla;
pub mod template;
pub mod text;
pub mod webhook;
