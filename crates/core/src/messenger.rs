//! The messenger's look and promises, as a workspace configures them: the accent colour, the
//! greeting, and the usual reply time (office hours live in [`crate::office_hours`]).

/// Why a messenger setting was refused; the field it concerns comes first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("color must be a hex colour like #2563eb")]
    Color,
    #[error("greeting must be at most 500 characters")]
    Greeting,
    #[error("reply_time_minutes must be between 1 and 10080 (a week)")]
    ReplyTime,
}

impl SettingError {
    /// The request field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            SettingError::Color => "color",
            SettingError::Greeting => "greeting",
            SettingError::ReplyTime => "reply_time_minutes",
        }
    }
}

/// A `#rrggbb` colour, lower-cased.
pub fn parse_color(raw: &str) -> Result<String, SettingError> {
    let hex = raw.trim().strip_prefix('#').ok_or(SettingError::Color)?;
    if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(format!("#{}", hex.to_ascii_lowercase()))
    } else {
        Err(SettingError::Color)
    }
}

/// The greeting shown atop the messenger: trimmed, at most 500 characters.
pub fn parse_greeting(raw: &str) -> Result<String, SettingError> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > 500 {
        return Err(SettingError::Greeting);
    }
    Ok(trimmed.to_string())
}

/// The usual reply time in minutes: 1 to a week.
pub fn parse_reply_time(minutes: i64) -> Result<i64, SettingError> {
    if (1..=7 * 24 * 60).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(SettingError::ReplyTime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_greetings_and_reply_times() {
        assert_eq!(parse_color(" #AbCdEf ").as_deref(), Ok("#abcdef"));
        for bad in ["abcdef", "#abc", "#abcdeg", "red", "#abcdef0", "", "#ａｂｃｄｅｆ"] {
            assert_eq!(parse_color(bad), Err(SettingError::Color), "{bad}");
        }
        assert_eq!(parse_greeting("  Hi!  ").as_deref(), Ok("Hi!"));
        assert_eq!(parse_greeting(&"x".repeat(501)), Err(SettingError::Greeting));
        assert_eq!(parse_reply_time(5), Ok(5));
        assert_eq!(parse_reply_time(0), Err(SettingError::ReplyTime));
        assert_eq!(parse_reply_time(10_081), Err(SettingError::ReplyTime));
    }
}
