//! The three pagination styles the Intercom SDKs rely on (see docs/API.md):
//! cursor (`pages.next.starting_after`), page number (empty `data` past the end) and scroll.
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{AppError, AppResult};

pub const DEFAULT_PER_PAGE: i64 = 50;
pub const MAX_PER_PAGE: i64 = 150;

/// Validates `per_page` (1 to 150, default 50).
pub fn per_page(requested: Option<i64>) -> AppResult<i64> {
    match requested {
        None => Ok(DEFAULT_PER_PAGE),
        Some(n) if (1..=MAX_PER_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(AppError::invalid("per_page", format!("per_page must be between 1 and {MAX_PER_PAGE}"))),
    }
}

/// A cursor: the sort key of the last item returned, its integers joined by colons (`1712:42`).
/// Clients treat it as opaque; the document states its shape as a `pattern` on each cursor
/// parameter (`^-?[0-9]{1,18}` per number), and any cursor of that shape is a position: the page starts after it.
pub fn encode_cursor(key: &[i64]) -> String {
    key.iter().map(i64::to_string).collect::<Vec<_>>().join(":")
}

/// One number of a cursor: an optional `-` and 1 to 18 ASCII digits (so it always fits an i64).
fn cursor_number(part: &str) -> Option<i64> {
    let digits = part.strip_prefix('-').unwrap_or(part);
    let well_formed = (1..=18).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    well_formed.then(|| part.parse().ok()).flatten()
}

/// Decodes a cursor made by [`encode_cursor`] with `len` parts.
pub fn decode_cursor(cursor: &str, len: usize) -> AppResult<Vec<i64>> {
    let invalid = || AppError::invalid("starting_after", "starting_after is not a cursor this server issued");
    let parts: Vec<i64> = cursor.split(':').map(|p| cursor_number(p).ok_or_else(invalid)).collect::<AppResult<_>>()?;
    if parts.len() != len {
        return Err(invalid());
    }
    Ok(parts)
}

/// Query parameters of cursor-paginated GET lists.
#[derive(Debug, Deserialize, Default)]
pub struct CursorParams {
    pub per_page: Option<i64>,
    pub starting_after: Option<String>,
}

/// Query parameters of page-number lists (`?page=&per_page=`).
#[derive(Debug, Deserialize, Default)]
pub struct PageParams {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl PageParams {
    /// The validated `(page, per_page)`.
    pub fn validated(&self) -> AppResult<(i64, i64)> {
        Ok((page_number(self.page)?, per_page(self.per_page)?))
    }
}

/// Body `pagination` of the search endpoints.
#[derive(Debug, Deserialize, Default)]
pub struct SearchPagination {
    pub per_page: Option<i64>,
    pub starting_after: Option<String>,
}

/// `pages` for a cursor page. `next` is omitted on the last page, as the SDKs expect.
/// `page` is 1-based and derived from how many items came before this page.
pub fn cursor_pages(page: i64, per_page: i64, total_count: i64, next_cursor: Option<String>) -> Value {
    let total_pages = if total_count == 0 { 0 } else { (total_count + per_page - 1) / per_page };
    let mut pages = json!({"type": "pages", "page": page, "per_page": per_page, "total_pages": total_pages});
    if let Some(cursor) = next_cursor {
        pages["next"] = json!({"page": page + 1, "starting_after": cursor});
    }
    pages
}

/// `pages` for a page-number list (`next` is null on the last page; past-the-end pages are empty).
pub fn numbered_pages(page: i64, per_page: i64, total_count: i64) -> Value {
    let total_pages = if total_count == 0 { 0 } else { (total_count + per_page - 1) / per_page };
    json!({
        "type": "pages",
        "page": page,
        "per_page": per_page,
        "total_pages": total_pages,
        "next": if page < total_pages { json!(page + 1) } else { Value::Null },
    })
}

/// `starting_after` of a newest-first log paged by id (audit entries, webhook deliveries): the
/// last id of the previous page, or `None` for the first page.
pub fn older_than(starting_after: Option<&str>) -> AppResult<Option<i64>> {
    match starting_after {
        None | Some("") => Ok(None),
        Some(raw) => raw.strip_prefix('-').is_none().then(|| cursor_number(raw)).flatten().map(Some).ok_or_else(|| {
            AppError::invalid("starting_after", "starting_after must be the id of the previous page's last entry")
        }),
    }
}

/// The list answer of a newest-first log paged by id: `pages.next.starting_after` is the last
/// id of a full page (a short page is the last one).
pub fn id_log_list(data: Vec<Value>, per_page: i64, last_id: Option<i64>) -> Value {
    let next = (data.len() as i64 == per_page).then_some(last_id).flatten();
    json!({
        "type": "list",
        "data": data,
        "pages": {"type": "pages", "per_page": per_page, "next": next.map(|id| json!({"starting_after": id.to_string()}))},
    })
}

/// Validates a 1-based page number.
pub fn page_number(requested: Option<i64>) -> AppResult<i64> {
    match requested {
        None => Ok(1),
        Some(n) if n >= 1 => Ok(n),
        Some(_) => Err(AppError::invalid("page", "page must be 1 or more")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        let c = encode_cursor(&[1_700_000_000, 42]);
        assert_eq!(decode_cursor(&c, 2).unwrap(), vec![1_700_000_000, 42]);
        assert!(decode_cursor(&c, 1).is_err());
        assert!(decode_cursor("'; DROP TABLE contacts; --", 2).is_err());
        assert!(per_page(Some(0)).is_err() && per_page(Some(151)).is_err());
        assert_eq!(per_page(None).unwrap(), 50);
    }

    #[test]
    fn last_cursor_page_has_no_next() {
        assert!(cursor_pages(2, 50, 60, None).get("next").is_none());
        assert_eq!(cursor_pages(1, 50, 60, Some("x".into()))["next"]["starting_after"], "x");
        assert_eq!(numbered_pages(3, 10, 20)["next"], Value::Null);
    }
}

#[cfg(test)]
mod cursor_tests {
    use super::*;

    /// Cursors round-trip, and a string of the documented shape is a cursor whether or not this
    /// server issued it; anything else is refused.
    #[test]
    fn cursors_have_the_documented_shape() {
        assert_eq!(encode_cursor(&[1712, -42, 3]), "1712:-42:3");
        assert_eq!(decode_cursor("1712:-42:3", 3).unwrap(), vec![1712, -42, 3]);
        assert_eq!(decode_cursor("999999999999999999", 1).unwrap(), vec![999_999_999_999_999_999]);
        for bad in ["", "1:2", "+1", " 1", "1 ", "1x", "-", "1234567890123456789", "MTIz", "\u{661}"] {
            assert!(decode_cursor(bad, 1).is_err(), "{bad:?}");
        }
        assert_eq!(older_than(Some("")).unwrap(), None);
        assert_eq!(older_than(Some("42")).unwrap(), Some(42));
        for bad in ["-1", " 42", "+42", "4.2"] {
            assert!(older_than(Some(bad)).is_err(), "{bad:?}");
        }
    }
}
