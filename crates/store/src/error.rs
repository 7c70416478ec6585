/// What a repository can fail with. Callers map these to their own errors (HTTP statuses etc.).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist in this workspace (rows of other workspaces do not exist either).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// A uniqueness rule would be broken (duplicate name, external id, …).
    #[error("{0}")]
    Conflict(String),
    /// The request is well-formed but not acceptable to the data (unknown reference, bad value).
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Db(sqlx::Error),
    /// Reading or writing stored files (attachments) failed.
    #[error("file storage error: {0}")]
    Io(#[from] std::io::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    pub fn not_found(entity: &'static str) -> Self {
        StoreError::NotFound { entity }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(db.message().to_string()),
            _ => StoreError::Db(error),
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
