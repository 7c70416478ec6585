//! The further identifiers a contact may hold beyond its primary email, phone and external id,
//! and how each kind is normalised so that one value is written and compared one way.
use std::fmt;
use std::str::FromStr;

use super::Email;

/// What an identifier is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityKind {
    Email,
    Phone,
    ExternalId,
}

impl IdentityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::Email => "email",
            IdentityKind::Phone => "phone",
            IdentityKind::ExternalId => "external_id",
        }
    }

    /// The value as stored and compared: emails parsed and lower-cased, phones and external ids
    /// trimmed, none empty and none longer than the contact's own columns allow.
    pub fn normalise(self, raw: &str) -> Result<String, IdentifierError> {
        match self {
            IdentityKind::Email => {
                Email::parse(raw).map(|e| e.as_str().to_string()).map_err(|e| IdentifierError::Invalid(e.to_string()))
            }
            IdentityKind::Phone | IdentityKind::ExternalId => {
                let value = raw.trim();
                let max = if self == IdentityKind::Phone { 64 } else { 255 };
                if value.is_empty() {
                    Err(IdentifierError::Invalid(format!("{self} must not be empty")))
                } else if value.chars().count() > max {
                    Err(IdentifierError::Invalid(format!("{self} is too long (at most {max} characters)")))
                } else {
                    Ok(value.to_string())
                }
            }
        }
    }
}

impl fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdentifierError {
    #[error("type must be \"email\", \"phone\" or \"external_id\" (got {0:?})")]
    UnknownKind(String),
    #[error("{0}")]
    Invalid(String),
}

impl FromStr for IdentityKind {
    type Err = IdentifierError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "email" => Ok(IdentityKind::Email),
            "phone" => Ok(IdentityKind::Phone),
            "external_id" => Ok(IdentityKind::ExternalId),
            other => Err(IdentifierError::UnknownKind(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_each_kind() {
        assert_eq!(IdentityKind::Email.normalise(" Ann@Example.COM ").unwrap(), "ann@example.com");
        assert_eq!(IdentityKind::Phone.normalise(" +44 20 7946 0000 ").unwrap(), "+44 20 7946 0000");
        assert_eq!(IdentityKind::ExternalId.normalise("u-42").unwrap(), "u-42");
        assert!(IdentityKind::Email.normalise("not an email").is_err());
        assert!(IdentityKind::Phone.normalise("   ").is_err());
        assert!(IdentityKind::ExternalId.normalise(&"x".repeat(256)).is_err());
        assert_eq!("email".parse::<IdentityKind>(), Ok(IdentityKind::Email));
        assert!("fax".parse::<IdentityKind>().is_err());
    }
}
