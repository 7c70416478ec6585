//! The standard attributes of each model, as `GET /data_attributes` lists them. They have no id
//! and `custom: false`; custom attributes may not reuse their names.
use super::{DataType, Model};

/// One standard attribute of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinAttribute {
    pub name: &'static str,
    /// The dotted path of the field in the object's JSON (equals `name` unless nested).
    pub full_name: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    pub data_type: DataType,
    pub api_writable: bool,
    pub ui_writable: bool,
    pub messenger_writable: bool,
}

const fn attr(
    name: &'static str,
    full_name: &'static str,
    label: &'static str,
    description: &'static str,
    data_type: DataType,
    writable: bool,
) -> BuiltinAttribute {
    BuiltinAttribute {
        name,
        full_name,
        label,
        description,
        data_type,
        api_writable: writable,
        ui_writable: writable,
        messenger_writable: false,
    }
}

use DataType::{Boolean, Date, Float, Integer, String};

const CONTACT: &[BuiltinAttribute] = &[
    attr("name", "name", "Name", "A person's full name", String, true),
    attr("email", "email", "Email", "A person's email address", String, true),
    attr("phone", "phone", "Phone", "A person's phone number", String, true),
    attr("external_id", "external_id", "User ID", "Your own identifier for a user", String, true),
    attr("role", "role", "Role", "user or lead", String, true),
    attr("avatar", "avatar", "Avatar", "The URL of a person's avatar image", String, true),
    attr("owner_id", "owner_id", "Owner", "The teammate who owns this person", Integer, true),
    attr("signed_up_at", "signed_up_at", "Signed up", "When the user signed up", Date, true),
    attr("last_seen_at", "last_seen_at", "Last seen", "When the person was last seen", Date, true),
    attr("last_replied_at", "last_replied_at", "Last replied", "When the person last replied", Date, false),
    attr("last_contacted_at", "last_contacted_at", "Last contacted", "When a teammate last wrote", Date, false),
    attr("last_email_opened_at", "last_email_opened_at", "Last opened email", "When an email was opened", Date, false),
    attr(
        "last_email_clicked_at",
        "last_email_clicked_at",
        "Last clicked email",
        "When an email link was clicked",
        Date,
        false,
    ),
    attr("created_at", "created_at", "First seen", "When the person was created", Date, false),
    attr("updated_at", "updated_at", "Updated", "When the person was last updated", Date, false),
    attr(
        "unsubscribed_from_emails",
        "unsubscribed_from_emails",
        "Unsubscribed from emails",
        "Opted out of email",
        Boolean,
        true,
    ),
    attr(
        "language_override",
        "language_override",
        "Language override",
        "The language to speak to them in",
        String,
        true,
    ),
    attr("browser", "browser", "Browser", "The browser last used", String, false),
    attr("browser_language", "browser_language", "Browser language", "The browser's language", String, false),
    attr("os", "os", "OS", "The operating system last used", String, false),
    attr("country", "location.country", "Country", "Country, from the last IP address", String, false),
    attr("region", "location.region", "Region", "Region, from the last IP address", String, false),
    attr("city", "location.city", "City", "City, from the last IP address", String, false),
    attr("email_domain", "email_domain", "Email domain", "The domain of the email address", String, false),
];

const COMPANY: &[BuiltinAttribute] = &[
    attr("name", "name", "Company name", "The name of a company", String, true),
    attr("company_id", "company_id", "Company ID", "A number identifying a company", String, false),
    attr("plan", "plan", "Plan", "The plan a company is on", String, true),
    attr("monthly_spend", "monthly_spend", "Monthly spend", "How much a company pays each month", Float, true),
    attr("size", "size", "Company size", "The number of people in a company", Integer, true),
    attr("website", "website", "Website", "A company's website", String, true),
    attr("industry", "industry", "Industry", "A company's industry", String, true),
    attr("session_count", "session_count", "Sessions", "How many sessions the company has had", Integer, false),
    attr("user_count", "user_count", "People", "How many people belong to the company", Integer, false),
    attr(
        "remote_created_at",
        "remote_created_at",
        "Company created",
        "When the company was created in your app",
        Date,
        true,
    ),
    attr(
        "last_request_at",
        "last_request_at",
        "Company last seen",
        "The last day anyone from a company visited",
        Date,
        false,
    ),
    attr("created_at", "created_at", "First seen", "When the company was created here", Date, false),
    attr("updated_at", "updated_at", "Updated", "When the company was last updated", Date, false),
];

const CONVERSATION: &[BuiltinAttribute] = &[
    attr("state", "state", "State", "open, closed or snoozed", String, false),
    attr("open", "open", "Open", "Whether the conversation is open", Boolean, false),
    attr("read", "read", "Read", "Whether the last contact message was read", Boolean, false),
    attr("priority", "priority", "Priority", "priority or not_priority", String, false),
    attr("title", "title", "Title", "The conversation's title", String, true),
    attr("admin_assignee_id", "admin_assignee_id", "Teammate assigned", "The assigned teammate", Integer, false),
    attr("team_assignee_id", "team_assignee_id", "Team assigned", "The assigned team", Integer, false),
    attr("waiting_since", "waiting_since", "Waiting since", "When the contact started waiting", Date, false),
    attr("snoozed_until", "snoozed_until", "Snoozed until", "When a snoozed conversation reopens", Date, false),
    attr("created_at", "created_at", "Started", "When the conversation started", Date, false),
    attr("updated_at", "updated_at", "Updated", "When the conversation last changed", Date, false),
    attr("type", "source.type", "Channel", "How the conversation started", String, false),
    attr("subject", "source.subject", "Subject", "The subject of the first message", String, false),
    attr("body", "source.body", "First message", "The body of the first message", String, false),
];

/// The standard attributes of `model`, in the order `GET /data_attributes` lists them.
pub fn builtins(model: Model) -> &'static [BuiltinAttribute] {
    match model {
        Model::Contact => CONTACT,
        Model::Company => COMPANY,
        Model::Conversation => CONVERSATION,
    }
}
