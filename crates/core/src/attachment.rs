//! Which uploaded files Rapport accepts, judged by their bytes rather than by what the uploader
//! claims: images (PNG, JPEG, GIF, WebP), PDF, ZIP, plain text and CSV, at most 10 MB. A claimed
//! content type or a file extension that contradicts the bytes is refused.

/// Largest attachment accepted, in bytes.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// Why an upload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than 10 MB")]
    TooLarge,
    #[error("this type of file is not accepted (images, PDF, plain text, CSV and ZIP are)")]
    Unsupported,
    #[error("the file's content does not match its declared type {0:?}")]
    Mismatch(String),
}

/// A checked upload: its content type (from its bytes) and a safe file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub content_type: &'static str,
    pub name: String,
}

impl Accepted {
    /// Whether browsers may show it inline (images); everything else is served as a download.
    pub fn is_image(content_type: &str) -> bool {
        content_type.starts_with("image/")
    }
}

/// The type the magic bytes announce, if any.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some("application/zip")
    } else {
        None
    }
}

/// Text is UTF-8 without NUL or other binary control bytes.
fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| !s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')))
}

/// The content types each extension may carry.
fn types_of_extension(extension: &str) -> Option<&'static [&'static str]> {
    Some(match extension {
        "png" => &["image/png"],
        "jpg" | "jpeg" | "jpe" => &["image/jpeg"],
        "gif" => &["image/gif"],
        "webp" => &["image/webp"],
        "pdf" => &["application/pdf"],
        "zip" => &["application/zip"],
        "txt" | "text" | "log" | "md" => &["text/plain"],
        "csv" => &["text/csv"],
        _ => return None,
    })
}

/// Keeps the last path component, drops control characters and quotes, caps at 255 characters.
pub fn safe_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String =
        last.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '\'' | ';' | '<' | '>')).take(255).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

/// Checks an upload. `claimed` is the part's declared content type (absent or
/// `application/octet-stream` means "don't know").
pub fn accept(bytes: &[u8], claimed: Option<&str>, raw_name: &str) -> Result<Accepted, AttachmentError> {
    if bytes.is_empty() {
        return Err(AttachmentError::Empty);
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(AttachmentError::TooLarge);
    }
    let name = safe_name(raw_name);
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let claimed = claimed
        .map(|c| c.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "application/octet-stream");
    let by_extension = match &extension {
        Some(e) => Some(types_of_extension(e).ok_or(AttachmentError::Unsupported)?),
        None => None,
    };
    let content_type = match sniff(bytes) {
        Some(sniffed) => sniffed,
        None if is_text(bytes) => {
            // Text has no magic number: its kind comes from the claim or the extension.
            let hint = claimed.as_deref().or(by_extension.map(|t| t[0]));
            match hint {
                Some("text/csv") => "text/csv",
                Some("text/plain") | None => "text/plain",
                Some(other) if other.starts_with("image/") || other == "application/pdf" => {
                    return Err(AttachmentError::Mismatch(other.to_string()))
                }
                Some(_) => return Err(AttachmentError::Unsupported),
            }
        }
        None => {
            return match claimed {
                Some(c) if c.starts_with("image/") || c == "application/pdf" || c == "application/zip" => {
                    Err(AttachmentError::Mismatch(c))
                }
                _ => Err(AttachmentError::Unsupported),
            }
        }
    };
    if let Some(claimed) = &claimed {
        let same = claimed == content_type || (claimed == "image/jpg" && content_type == "image/jpeg");
        if !same {
            return Err(AttachmentError::Mismatch(claimed.clone()));
        }
    }
    if let Some(types) = by_extension {
        if !types.contains(&content_type) {
            return Err(AttachmentError::Mismatch(format!(".{}", extension.unwrap_or_default())));
        }
    }
    Ok(Accepted { content_type, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn accepts_allowed_types_by_their_bytes() {
        assert_eq!(accept(PNG, Some("image/png"), "a.png").unwrap().content_type, "image/png");
        assert_eq!(accept(PNG, None, "screenshot").unwrap().content_type, "image/png");
        assert_eq!(accept(b"\xFF\xD8\xFF\xE0xx", Some("image/jpg"), "p.JPG").unwrap().content_type, "image/jpeg");
        assert_eq!(accept(b"GIF89a..", None, "x.gif").unwrap().content_type, "image/gif");
        assert_eq!(accept(b"RIFF\0\0\0\0WEBPVP8 ", None, "x.webp").unwrap().content_type, "image/webp");
        assert_eq!(accept(b"%PDF-1.7", Some("application/pdf"), "r.pdf").unwrap().content_type, "application/pdf");
        assert_eq!(accept(b"PK\x03\x04..", None, "a.zip").unwrap().content_type, "application/zip");
        assert_eq!(accept(b"a,b\n1,2\n", Some("text/csv"), "t.csv").unwrap().content_type, "text/csv");
        assert_eq!(accept(b"a,b\n1,2\n", None, "t.csv").unwrap().content_type, "text/csv");
        assert_eq!(accept("héllo\n".as_bytes(), None, "notes.txt").unwrap().content_type, "text/plain");
    }

    #[test]
    fn refuses_other_types_and_disguises() {
        assert_eq!(accept(b"MZ\x90\0\x03", None, "setup.exe"), Err(AttachmentError::Unsupported));
        assert_eq!(accept(b"MZ\x90\0\x03", Some("application/octet-stream"), "x"), Err(AttachmentError::Unsupported));
        let html = b"<html><script>alert(1)</script></html>";
        assert!(matches!(accept(html, Some("image/png"), "cat.png"), Err(AttachmentError::Mismatch(_))));
        assert_eq!(accept(html, Some("text/html"), "page.html"), Err(AttachmentError::Unsupported));
        assert!(matches!(accept(PNG, Some("image/png"), "evil.html"), Err(AttachmentError::Unsupported)));
        assert!(matches!(accept(PNG, Some("image/png"), "evil.pdf"), Err(AttachmentError::Mismatch(_))));
        assert!(matches!(accept(b"%PDF-1.4", Some("image/png"), "a.png"), Err(AttachmentError::Mismatch(_))));
        assert!(matches!(accept(b"text", Some("image/svg+xml"), "a"), Err(AttachmentError::Mismatch(_))));
        assert_eq!(accept(b"", None, "a.txt"), Err(AttachmentError::Empty));
        let big = vec![b'a'; MAX_ATTACHMENT_BYTES + 1];
        assert_eq!(accept(&big, None, "a.txt"), Err(AttachmentError::TooLarge));
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\Users\\me\\a \"b\".png"), "a b.png");
        assert_eq!(safe_name(".."), "file");
        assert_eq!(safe_name(".bashrc"), "bashrc");
        assert_eq!(safe_name(&"x".repeat(300)).len(), 255);
    }
}
