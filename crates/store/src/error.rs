//! The store's one error type, [`StoreError`], and the conflicts it knows, [`Conflict`].
//!
//! A conflict is typed: each rule of uniqueness or dependency the product knows (a duplicate name,
//! a taken external id or identifier, a tag still in use, …) is a variant of [`Conflict`], whose
//! `Display` is the human message API clients get. Callers that answer clients map variants to
//! their codes (the HTTP layer: `conflict`, or `tag_has_dependent_objects` for a tag in use)
//! without looking at any text.
//!
//! A unique violation from the database becomes [`Conflict::Unknown`] (see
//! `From<sqlx::Error>` and `From<rusqlite::Error>`). The repository that knows which rule its statement can break turns it into
//! the variant that names it ([`StoreError::unique_as`]); one that reaches a caller as `Unknown` is
//! answered generically ("The request conflicts with existing data"), never with the driver's text,
//! which names tables, columns and constraints and differs per engine. That text is kept in
//! `Unknown::detail`, which `Display` does not print: the layer that answers with it logs it
//! (`tracing::warn!`). It is not logged at the conversion itself, because most unique violations
//! are expected there (a repository names them, or retries a race) and are not worth a warning.
use rapport_core::attributes::Model;
use rapport_core::contact::IdentityKind;
use rapport_core::ids::ContactId;

/// What a repository can fail with. Callers map these to their own errors (HTTP statuses etc.).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist in this workspace (rows of other workspaces do not exist either).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// A uniqueness or dependency rule would be broken (duplicate name, external id, tag in use, …).
    #[error("{0}")]
    Conflict(Conflict),
    /// The request is well-formed but not acceptable to the data (unknown reference, bad value).
    #[error("{0}")]
    Invalid(String),
    /// As [`StoreError::Invalid`], for the value of one field of the request, which the answer
    /// names (`error.list[].field`).
    #[error("{message}")]
    InvalidField { field: &'static str, message: String },
    /// A failure of PostgreSQL (through sqlx), or of the store's own making (no row).
    #[error("database error: {0}")]
    Db(sqlx::Error),
    /// A failure of SQLite (through rusqlite).
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// Reading or writing stored files (attachments) failed.
    #[error("file storage error: {0}")]
    Io(#[from] std::io::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The conflicts the product knows. `Display` is the message clients see (kept word for word as
/// the API has always answered).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// A tag still applied to something cannot be deleted (Intercom's `tag_has_dependent_objects`).
    #[error("Unable to delete Tag with dependent objects")]
    TagInUse,
    /// A name unique in its workspace is taken.
    #[error("{0} with this name already exists")]
    DuplicateName(Named),
    /// A data attribute of this model already has the name (archived ones included).
    #[error("a {model} attribute named {name:?} already exists")]
    AttributeNameTaken { model: Model, name: String },
    /// Another live contact has the external id (the unique index refused it).
    #[error("A contact with this external_id already exists")]
    ExternalIdTaken,
    /// Another live contact already holds these details (its external id, as primary or further
    /// identifier).
    #[error("A contact matching those details already exists with id={id}")]
    ContactExists { id: ContactId },
    /// A contact in conversations cannot be deleted (archive it instead).
    #[error("this contact has conversations; archive it instead")]
    ContactHasConversations,
    /// The identifier belongs to another contact.
    #[error("the {kind} {value:?} already belongs to contact id={contact_id} (merge the two contacts instead)")]
    IdentityTaken { kind: IdentityKind, value: String, contact_id: ContactId },
    /// The identifier is the contact's own primary one.
    #[error("{value:?} is already this contact's primary {kind}")]
    IdentityIsPrimary { kind: IdentityKind, value: String },
    /// The contact already holds the identifier as a further one.
    #[error("this contact already has the {kind} {value:?}")]
    IdentityAlreadyHeld { kind: IdentityKind, value: String },
    /// Another request took the identifier between the checks and the write.
    #[error("the {kind} {value:?} was just taken")]
    IdentityJustTaken { kind: IdentityKind, value: String },
    /// A message's client id was already used in another conversation.
    #[error("client_id was already used for a message in another conversation")]
    ClientIdUsedElsewhere,
    /// A teammate of the workspace already has the email.
    #[error("an admin with email {email} already exists in this workspace")]
    AdminEmailTaken { email: String },
    /// Another workspace receives mail at the address.
    #[error("support_addresses: {address} already belongs to another workspace")]
    SupportAddressTaken { address: String },
    /// Requests racing on one `company_id` kept colliding.
    #[error("company_id is being written concurrently; retry")]
    CompanyIdBusy,
    /// Another request is creating the company (the Segment intake retries once).
    #[error("company {company_id:?} is being created by another request")]
    CompanyBeingCreated { company_id: String },
    /// A unique violation no repository named. `detail` is the driver's text, for the log only:
    /// `Display` never prints it.
    #[error("The request conflicts with existing data")]
    Unknown { detail: String },
}

/// The kinds of rows whose names are unique in a workspace (article included, for the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Named {
    #[error("a tag")]
    Tag,
    #[error("a team")]
    Team,
    #[error("an SLA policy")]
    SlaPolicy,
    #[error("a saved reply")]
    SavedReply,
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    pub fn not_found(entity: &'static str) -> Self {
        StoreError::NotFound { entity }
    }

    /// [`StoreError::InvalidField`]: `field`'s value is not acceptable.
    pub fn invalid_field(field: &'static str, message: impl Into<String>) -> Self {
        StoreError::InvalidField { field, message: message.into() }
    }

    /// The message of a refusal of the request's values ([`StoreError::Invalid`] or
    /// [`StoreError::InvalidField`]), for callers that answer every refusal alike.
    pub fn refusal(&self) -> Option<&str> {
        match self {
            StoreError::Invalid(message) | StoreError::InvalidField { message, .. } => Some(message),
            _ => None,
        }
    }

    /// `error` as a store error, a unique violation being `conflict`: for a statement that can
    /// break one known rule only.
    pub fn unique_as(error: impl Into<StoreError>, conflict: Conflict) -> Self {
        match error.into() {
            StoreError::Conflict(Conflict::Unknown { .. }) => StoreError::Conflict(conflict),
            other => other,
        }
    }
}

impl Conflict {
    /// The message to answer a client with (its `Display`). An [`Conflict::Unknown`] is logged
    /// here, at warn, with its detail: the one place the driver's text goes.
    pub fn answer(&self) -> String {
        if let Conflict::Unknown { detail } = self {
            tracing::warn!(%detail, "unmapped unique violation, answered as a generic conflict");
        }
        self.to_string()
    }
}

impl From<Conflict> for StoreError {
    fn from(conflict: Conflict) -> Self {
        StoreError::Conflict(conflict)
    }
}

/// A unique violation is [`Conflict::Unknown`], its driver text kept out of `Display`; any other
/// database failure is [`StoreError::Db`].
impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                let detail = match (db.table(), db.constraint()) {
                    (Some(table), Some(constraint)) => {
                        format!("{} (table {table}, constraint {constraint})", db.message())
                    }
                    (Some(table), None) => format!("{} (table {table})", db.message()),
                    (None, Some(constraint)) => format!("{} (constraint {constraint})", db.message()),
                    (None, None) => db.message().to_string(),
                };
                StoreError::Conflict(Conflict::Unknown { detail })
            }
            _ => StoreError::Db(error),
        }
    }
}

/// A unique violation is [`Conflict::Unknown`], SQLite's text (which names the table and columns)
/// kept out of `Display`; any other failure is [`StoreError::Sqlite`].
impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ffi;
        match &error {
            rusqlite::Error::SqliteFailure(failure, message)
                if matches!(
                    failure.extended_code,
                    ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                ) =>
            {
                let detail = message.clone().unwrap_or_else(|| failure.to_string());
                StoreError::Conflict(Conflict::Unknown { detail })
            }
            _ => StoreError::Sqlite(error),
        }
    }
}

/// Turns "no row" into [`StoreError::NotFound`].
pub trait OptionExt<T> {
    fn or_not_found(self, entity: &'static str) -> StoreResult<T>;
}

impl<T> OptionExt<T> for Option<T> {
    fn or_not_found(self, entity: &'static str) -> StoreResult<T> {
        self.ok_or(StoreError::NotFound { entity })
    }
}

/// A stored name outside its closed set (a part type, an author type, …): the row cannot be read.
impl From<rapport_core::UnknownName> for StoreError {
    fn from(error: rapport_core::UnknownName) -> Self {
        StoreError::Db(sqlx::Error::Decode(Box::new(error)))
    }
}
