//! Row ids as their own types (workspace, conversation, contact, admin, team, company), so that
//! passing a contact's id where a conversation's is expected does not compile. In the database
//! they are integers; on the Intercom-compatible wire they are strings (the renderers write
//! `id.to_string()`), and where a row is serialized whole (the event log's payloads) they stay
//! numbers (`serde(transparent)`), as they were before. Ids of other rows (tags, parts, notes, …)
//! and ids whose kind is named by a neighbouring column (a part's author, a tag's target) stay
//! `i64`.

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(id: i64) -> Self {
                Self(id)
            }

            /// The integer, for the SQL boundary and the wire.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    )+};
}

id_type! {
    /// A workspace (a tenant): every store function takes one, and every query filters on it.
    WorkspaceId,
    /// A conversation.
    ConversationId,
    /// A contact (a user or a lead).
    ContactId,
    /// An admin (a teammate).
    AdminId,
    /// A team of admins.
    TeamId,
    /// A company.
    CompanyId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_show_and_serialize_as_their_numbers() {
        let id = WorkspaceId::from(42);
        assert_eq!(id.to_string(), "42");
        assert_eq!(id.get(), 42);
        assert_eq!(serde_json::to_string(&id).unwrap(), "42");
        assert_eq!(serde_json::from_str::<WorkspaceId>("42").unwrap(), id);
        assert_eq!("42".parse::<WorkspaceId>().unwrap(), id);
        assert_eq!(serde_json::to_string(&ConversationId::new(7)).unwrap(), "7");
        assert_eq!(serde_json::to_string(&ContactId::new(7)).unwrap(), "7");
        assert_eq!(serde_json::to_string(&AdminId::new(7)).unwrap(), "7");
        assert_eq!(serde_json::to_string(&TeamId::new(7)).unwrap(), "7");
        assert_eq!(serde_json::to_string(&CompanyId::new(7)).unwrap(), "7");
    }
}
