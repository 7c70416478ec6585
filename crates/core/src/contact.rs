//! Contacts: users (known by the customer's own id) and leads (anonymous or email-only).
use std::fmt;
use std::str::FromStr;

mod identifiers;
mod merge;

pub use identifiers::{IdentifierError, IdentityKind};
pub use merge::{check_merge, plan_merge, CarriedIdentity, MergeConflict, MergePlan, MergeSide};

/// A syntactically valid email address, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EmailError {
    #[error("email must not be empty")]
    Empty,
    #[error("email is too long (at most 254 characters)")]
    TooLong,
    #[error("{0:?} is not a valid email address")]
    Malformed(String),
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let malformed = || EmailError::Malformed(s.to_string());
        let (local, domain) = s.rsplit_once('@').ok_or_else(malformed)?;
        let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c);
        if local.is_empty()
            || local.len() > 64
            || domain.is_empty()
            || local.contains('@')
            || s.chars().any(bad_char)
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(malformed());
        }
        Ok(Email(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the `@` (`email_domain` in the API).
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactRole {
    User,
    Lead,
}

impl ContactRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactRole::User => "user",
            ContactRole::Lead => "lead",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("role must be \"user\" or \"lead\" (got {0:?})")]
pub struct UnknownContactRole(pub String);

impl FromStr for ContactRole {
    type Err = UnknownContactRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(ContactRole::User),
            "lead" => Ok(ContactRole::Lead),
            other => Err(UnknownContactRole(other.to_string())),
        }
    }
}

/// Why a role change or a merge is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RoleRuleError {
    #[error("a user cannot be turned back into a lead")]
    UserToLead,
    #[error("a lead or a user can only be merged into a user")]
    MergeRoles,
    #[error("a contact cannot be merged into itself")]
    MergeSelf,
}

impl ContactRole {
    /// Leads become users when identified; Intercom never turns a user back into a lead.
    pub fn change_to(self, next: ContactRole) -> Result<ContactRole, RoleRuleError> {
        match (self, next) {
            (ContactRole::User, ContactRole::Lead) => Err(RoleRuleError::UserToLead),
            _ => Ok(next),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_normalises_emails() {
        let e = Email::parse("  Joe@Bloggs.COM ").unwrap();
        assert_eq!(e.as_str(), "joe@bloggs.com");
        assert_eq!(e.domain(), "bloggs.com");
        for bad in ["", "joe", "@x.com", "joe@", "a b@x.com", "joe@x..com", "<script>@x.com", "a@b@c"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn role_rules() {
        assert_eq!(ContactRole::Lead.change_to(ContactRole::User), Ok(ContactRole::User));
        assert_eq!(ContactRole::User.change_to(ContactRole::Lead), Err(RoleRuleError::UserToLead));
    }

    proptest! {
        #[test]
        fn parsed_emails_are_stable(local in "[a-z0-9._%+-]{1,20}", domain in "[a-z0-9-]{1,20}\\.[a-z]{2,6}") {
            let raw = format!("{local}@{domain}");
            let e = Email::parse(&raw).unwrap();
            prop_assert_eq!(Email::parse(e.as_str()).unwrap(), e.clone());
            prop_assert_eq!(e.domain(), domain.as_str());
        }
    }
}
