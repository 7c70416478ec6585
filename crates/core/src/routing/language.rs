//! The language of a conversation's first message, for the `conversation.language` condition.
//!
//! Detection is `whatlang` (trigram statistics, pure Rust, no model to load), reported as an
//! ISO 639-1 code. A guess below [`CONFIDENCE_FLOOR`], or text with fewer than
//! [`MIN_LETTERS`] letters ("ok", "hi!", a URL-only message), is [`UNKNOWN`]: no `eq`/`in`
//! test matches it, so a rule "language is French" never fires on a guess.

/// What a text too short or too ambiguous to call reads as.
pub const UNKNOWN: &str = "unknown";
/// Lowest detector confidence (0 to 1) taken as an answer. `whatlang`'s confidence is
/// conservative: one-sentence support messages it gets right score 0.25–0.95, while its wrong
/// guesses on short or mixed text ("Non riesco ad accedere al mio account." as English) score
/// under 0.1.
pub const CONFIDENCE_FLOOR: f64 = 0.2;
/// Fewest letters a text needs before its language is guessed at all.
pub const MIN_LETTERS: usize = 12;
/// Only the start of a long message is read (the language rarely changes after it).
const MAX_BYTES: usize = 2_000;

/// The languages the detector knows, as `(ISO 639-3 from whatlang, ISO 639-1)`.
const CODES: &[(&str, &str)] = &[
    ("afr", "af"),
    ("aka", "ak"),
    ("amh", "am"),
    ("ara", "ar"),
    ("aze", "az"),
    ("bel", "be"),
    ("ben", "bn"),
    ("bul", "bg"),
    ("cat", "ca"),
    ("ces", "cs"),
    ("cmn", "zh"),
    ("dan", "da"),
    ("deu", "de"),
    ("ell", "el"),
    ("eng", "en"),
    ("epo", "eo"),
    ("est", "et"),
    ("fin", "fi"),
    ("fra", "fr"),
    ("guj", "gu"),
    ("heb", "he"),
    ("hin", "hi"),
    ("hrv", "hr"),
    ("hun", "hu"),
    ("hye", "hy"),
    ("ind", "id"),
    ("ita", "it"),
    ("jav", "jv"),
    ("jpn", "ja"),
    ("kan", "kn"),
    ("kat", "ka"),
    ("khm", "km"),
    ("kor", "ko"),
    ("lat", "la"),
    ("lav", "lv"),
    ("lit", "lt"),
    ("mal", "ml"),
    ("mar", "mr"),
    ("mkd", "mk"),
    ("mya", "my"),
    ("nep", "ne"),
    ("nld", "nl"),
    ("nob", "nb"),
    ("ori", "or"),
    ("pan", "pa"),
    ("pes", "fa"),
    ("pol", "pl"),
    ("por", "pt"),
    ("ron", "ro"),
    ("rus", "ru"),
    ("sin", "si"),
    ("slk", "sk"),
    ("slv", "sl"),
    ("sna", "sn"),
    ("spa", "es"),
    ("srp", "sr"),
    ("swe", "sv"),
    ("tam", "ta"),
    ("tel", "te"),
    ("tgl", "tl"),
    ("tha", "th"),
    ("tuk", "tk"),
    ("tur", "tr"),
    ("ukr", "uk"),
    ("urd", "ur"),
    ("uzb", "uz"),
    ("vie", "vi"),
    ("yid", "yi"),
    ("zul", "zu"),
];

/// The language of a subject's first message once detected (a cache: empty until a rule asks).
#[derive(Debug, Clone, Default)]
pub struct Detected(pub(super) std::sync::OnceLock<serde_json::Value>);

/// Whether `code` is an ISO 639-1 code the detector can report.
pub fn is_known(code: &str) -> bool {
    CODES.iter().any(|(_, two)| *two == code)
}

/// Every ISO 639-1 code the detector can report, in alphabetical order of their ISO 639-3 code.
pub fn known_codes() -> impl Iterator<Item = &'static str> {
    CODES.iter().map(|(_, two)| *two)
}

/// The language of `text` as an ISO 639-1 code, or [`UNKNOWN`].
pub fn detect(text: &str) -> &'static str {
    let mut end = text.len().min(MAX_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    if text.chars().filter(|c| c.is_alphabetic()).count() < MIN_LETTERS {
        return UNKNOWN;
    }
    let Some(info) = whatlang::detect(text) else { return UNKNOWN };
    if info.confidence() < CONFIDENCE_FLOOR {
        return UNKNOWN;
    }
    let three = info.lang().code();
    CODES.iter().find(|(code, _)| *code == three).map(|(_, two)| *two).unwrap_or(UNKNOWN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn detects_clear_sentences() {
        let cases = [
            ("Bonjour, je n'arrive pas à me connecter à mon compte depuis hier soir.", "fr"),
            ("Hello, I cannot log in to my account since yesterday evening.", "en"),
            ("Hallo, ich kann mich seit gestern Abend nicht mehr in mein Konto einloggen.", "de"),
            ("Hola, no puedo iniciar sesión en mi cuenta desde ayer por la noche.", "es"),
            ("Здравствуйте, я не могу войти в свою учётную запись со вчерашнего вечера.", "ru"),
            ("こんにちは、昨日の夜からアカウントにログインできません。", "ja"),
            ("Bonjour, ma facture est fausse depuis le mois dernier.", "fr"),
            ("Hello, my invoice is wrong since last month.", "en"),
            ("Hola, mi factura está mal desde el mes pasado.", "es"),
            // Guessed as English with confidence 0.06: below the floor.
            ("Non riesco ad accedere al mio account.", UNKNOWN),
            ("please refund me", UNKNOWN),
        ];
        for (text, code) in cases {
            assert_eq!(detect(text), code, "{text}");
        }
    }

    #[test]
    fn short_or_letterless_text_is_unknown() {
        for text in ["", "ok", "hi!", "Merci", "1234 5678 !!!", "https://x.io/a?b=1", "😀😀😀😀😀😀😀😀😀😀😀😀😀"]
        {
            assert_eq!(detect(text), UNKNOWN, "{text:?}");
        }
    }

    #[test]
    fn every_reported_code_is_a_two_letter_code() {
        assert!(known_codes().all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_lowercase())));
        assert!(is_known("fr") && !is_known("fra") && !is_known(UNKNOWN));
    }

    proptest! {
        /// Any text (long, cut mid-character, any script) gives a known code or unknown, never a panic.
        #[test]
        fn detection_is_total(text in "\\PC{0,3000}") {
            let code = detect(&text);
            prop_assert!(code == UNKNOWN || is_known(code));
        }
    }
}
