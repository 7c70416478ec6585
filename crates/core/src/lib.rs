//! Rapport's domain: types that are valid by construction and pure rules over them.
//!
//! No IO, no async, no SQL, no HTTP lives here, so the live path and the simulators of later
//! features run the same code.
#![forbid(unsafe_code)]

/// A closed set of names stored and sent as strings: `as_str`, `Display`, `FromStr` and
/// `TryFrom<String>` (for row decoding), and serde as the same strings.
macro_rules! string_enum {
    ($(#[$meta:meta])* pub enum $name:ident ($what:literal) {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::UnknownName { what: $what, value: other.to_string() }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::UnknownName;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                value.parse()
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A name outside its closed set (an event kind, a part type, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownName {
    pub what: &'static str,
    pub value: String,
}

pub mod admin;
pub mod attachment;
pub mod attributes;
pub mod contact;
pub mod conversation;
pub mod email;
pub mod event;
pub mod identity;
pub mod ids;
pub mod messenger;
pub mod office_hours;
pub mod routing;
pub mod search;
pub mod segment;
pub mod sla;
pub mod template;
pub mod text;
pub mod webhook;
