//! The catalogue of searchable fields of each model and their types, which decide the operators
//! and values a filter may use. Custom attributes (`custom_attributes.<name>`) take their type
//! from the workspace's data attribute definitions ([`FieldType::from_data_type`]).
use super::Operator;

/// The model a search runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    Contacts,
    Conversations,
}

impl Model {
    /// The `model` of the model's data attributes (`data_attributes.model`).
    pub fn attribute_model(self) -> &'static str {
        match self {
            Model::Contacts => "contact",
            Model::Conversations => "conversation",
        }
    }
}

/// The type of a searchable field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// `= != IN NIN ~ !~ ^ $`, case-insensitive for the pattern operators.
    Text,
    /// `= != IN NIN < > <= >=`; numeric strings are accepted as values.
    Integer,
    /// Like [`FieldType::Integer`] with fractional values.
    Float,
    /// A unix timestamp matched by calendar day in the workspace timezone: `= < > <= >=`.
    Date,
    /// `= !=` with `true` / `false`.
    Boolean,
    /// `= !=` with `"priority"`, `"not_priority"` or a boolean.
    Priority,
    /// `tag_id`: `= !=` with one tag id.
    Tag,
    /// `segment_id`: `= !=` with one segment id.
    Segment,
    /// A set of related ids (`contact_ids`, `tag_ids`, …): `= != IN NIN`.
    Reference,
}

impl FieldType {
    /// The type of a custom attribute of `data_type` (`string`, `integer`, …), if searchable.
    pub fn from_data_type(data_type: &str) -> Option<Self> {
        Some(match data_type {
            "string" | "options" => FieldType::Text,
            "integer" => FieldType::Integer,
            "float" => FieldType::Float,
            "boolean" => FieldType::Boolean,
            "date" | "datetime" => FieldType::Date,
            _ => return None,
        })
    }

    /// The name used in error messages.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Text => "string",
            FieldType::Integer => "integer",
            FieldType::Float => "float",
            FieldType::Date => "date",
            FieldType::Boolean => "boolean",
            FieldType::Priority => "priority",
            FieldType::Tag => "tag",
            FieldType::Segment => "segment",
            FieldType::Reference => "id list",
        }
    }

    /// Whether `operator` applies to fields of this type (`!=` on dates only with `null`).
    pub fn accepts(self, operator: Operator) -> bool {
        use Operator::*;
        match self {
            FieldType::Text => matches!(operator, Eq | Ne | In | Nin | Contains | NotContains | StartsWith | EndsWith),
            FieldType::Integer | FieldType::Float => matches!(operator, Eq | Ne | In | Nin | Lt | Gt | Le | Ge),
            FieldType::Date => matches!(operator, Eq | Lt | Gt | Le | Ge),
            FieldType::Boolean | FieldType::Priority | FieldType::Tag | FieldType::Segment => {
                matches!(operator, Eq | Ne)
            }
            FieldType::Reference => matches!(operator, Eq | Ne | In | Nin),
        }
    }

    /// Whether `= null` / `!= null` (IS NULL / IS NOT NULL) make sense for this type.
    pub fn nullable(self) -> bool {
        matches!(self, FieldType::Text | FieldType::Integer | FieldType::Float | FieldType::Date | FieldType::Boolean)
    }
}

const CONTACT_FIELDS: &[(&str, FieldType)] = &[
    ("id", FieldType::Integer),
    ("role", FieldType::Text),
    ("name", FieldType::Text),
    ("avatar", FieldType::Text),
    ("owner_id", FieldType::Integer),
    ("email", FieldType::Text),
    ("email_domain", FieldType::Text),
    ("phone", FieldType::Text),
    ("external_id", FieldType::Text),
    ("created_at", FieldType::Date),
    ("signed_up_at", FieldType::Date),
    ("updated_at", FieldType::Date),
    ("last_seen_at", FieldType::Date),
    ("last_contacted_at", FieldType::Date),
    ("last_replied_at", FieldType::Date),
    ("last_email_opened_at", FieldType::Date),
    ("last_email_clicked_at", FieldType::Date),
    ("language_override", FieldType::Text),
    ("browser", FieldType::Text),
    ("browser_version", FieldType::Text),
    ("browser_language", FieldType::Text),
    ("os", FieldType::Text),
    ("location.country", FieldType::Text),
    ("location.region", FieldType::Text),
    ("location.city", FieldType::Text),
    ("location.country_code", FieldType::Text),
    ("location.continent_code", FieldType::Text),
    ("unsubscribed_from_emails", FieldType::Boolean),
    ("marked_email_as_spam", FieldType::Boolean),
    ("has_hard_bounced", FieldType::Boolean),
    ("segment_id", FieldType::Segment),
    ("tag_id", FieldType::Tag),
    // Rapport extension: the name of any company the contact is attached to.
    ("companies.name", FieldType::Text),
];

const CONVERSATION_FIELDS: &[(&str, FieldType)] = &[
    ("id", FieldType::Integer),
    ("created_at", FieldType::Date),
    ("updated_at", FieldType::Date),
    ("title", FieldType::Text),
    ("state", FieldType::Text),
    ("open", FieldType::Boolean),
    ("read", FieldType::Boolean),
    ("priority", FieldType::Priority),
    ("admin_assignee_id", FieldType::Integer),
    ("team_assignee_id", FieldType::Integer),
    ("waiting_since", FieldType::Date),
    ("snoozed_until", FieldType::Date),
    ("source.type", FieldType::Text),
    ("source.delivered_as", FieldType::Text),
    ("source.subject", FieldType::Text),
    ("source.body", FieldType::Text),
    // Rapport extension: any part of the conversation (opening message, reply or note).
    ("parts.body", FieldType::Text),
    ("source.author.id", FieldType::Reference),
    ("source.author.type", FieldType::Text),
    ("source.url", FieldType::Text),
    // Rapport extension: the SLA state (on_track, at_risk, breached; null without an SLA).
    ("sla_state", FieldType::Text),
    ("contact_ids", FieldType::Reference),
    ("teammate_ids", FieldType::Reference),
    ("tag_ids", FieldType::Reference),
    // Rapport extension: teammates @mentioned in a note of the conversation.
    ("mentioned_admin_ids", FieldType::Reference),
    ("statistics.time_to_assignment", FieldType::Integer),
    ("statistics.time_to_admin_reply", FieldType::Integer),
    ("statistics.time_to_first_close", FieldType::Integer),
    ("statistics.time_to_last_close", FieldType::Integer),
    ("statistics.first_contact_reply_at", FieldType::Date),
    ("statistics.first_assignment_at", FieldType::Date),
    ("statistics.first_admin_reply_at", FieldType::Date),
    ("statistics.first_close_at", FieldType::Date),
    ("statistics.last_assignment_at", FieldType::Date),
    ("statistics.last_contact_reply_at", FieldType::Date),
    ("statistics.last_admin_reply_at", FieldType::Date),
    ("statistics.last_close_at", FieldType::Date),
    ("statistics.last_closed_by_id", FieldType::Reference),
    ("statistics.count_reopens", FieldType::Integer),
    ("statistics.count_assignments", FieldType::Integer),
    ("statistics.count_conversation_parts", FieldType::Integer),
];

/// Every built-in searchable field of `model` with its type.
pub fn catalogue(model: Model) -> &'static [(&'static str, FieldType)] {
    match model {
        Model::Contacts => CONTACT_FIELDS,
        Model::Conversations => CONVERSATION_FIELDS,
    }
}

/// The type of the built-in field `name` of `model`; custom attributes are not built in.
pub fn field_type(model: Model, name: &str) -> Option<FieldType> {
    catalogue(model).iter().find(|(field, _)| *field == name).map(|(_, kind)| *kind)
}

/// The attribute name of a `custom_attributes.<name>` field, if it is one.
pub fn custom_attribute_name(field: &str) -> Option<&str> {
    field.strip_prefix("custom_attributes.").filter(|name| !name.is_empty())
}
