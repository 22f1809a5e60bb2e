//! Config files, read the same way for every kind: the file's text; its top-level `kind`,
//! read once (absent: `"escape"`); then the rest deserialized strictly into the kind's config
//! type and validated. The `kind` entry is blanked out of the text rather than removed, so
//! that a syntax error, an unknown field or a mistyped value is reported at its line and
//! column in the file as written.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config_override::ConfigOverride;
use crate::{ExperimentError, ExperimentKind};

/// The kind of a config that has no `kind` key.
pub const DEFAULT_KIND: &str = "escape";

/// A config's text with its `kind` entry blanked out, and that kind.
#[derive(Debug)]
pub(crate) struct KindAndBody {
    /// The value of `kind` ([`DEFAULT_KIND`] when absent).
    pub kind: String,
    /// The text, with the `kind` entry replaced by spaces (lines and columns unchanged).
    pub body: String,
}

/// Reads a config file's text.
pub(crate) fn read_config_text(path: &Path) -> Result<String, ExperimentError> {
    std::fs::read_to_string(path)
        .map_err(|source| ExperimentError::ReadConfig { path: path.to_path_buf(), source })
}

/// Reads the top-level `kind` of a config's text (a string; [`DEFAULT_KIND`] when absent) and
/// blanks its entry out of the text.
pub(crate) fn split_kind(text: &str, origin: &str) -> Result<KindAndBody, ExperimentError> {
    #[derive(Deserialize)]
    struct KindKey {
        kind: Option<toml::Spanned<toml::Value>>,
    }
    let key: KindKey = toml::from_str(text).map_err(|error| parse_error(origin, error))?;
    let Some(spanned) = key.kind else {
        return Ok(KindAndBody { kind: DEFAULT_KIND.to_string(), body: text.to_string() });
    };
    let span = spanned.span();
    let toml::Value::String(kind) = spanned.into_inner() else {
        return Err(ExperimentError::invalid("kind", "must be a string such as \"escape\""));
    };
    // The entry runs from the start of its line (a top-level key sits on a line of its own)
    // to the end of its value.
    let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let blank: String =
        text[line_start..span.end].chars().map(|c| if c == '\n' { c } else { ' ' }).collect();
    let body = format!("{}{blank}{}", &text[..line_start], &text[span.end..]);
    Ok(KindAndBody { kind, body })
}

/// Deserializes a config's body (its text without `kind`) strictly into the kind's config
/// type, applies `overrides` (`--set`), and validates the result.
///
/// The text is first read as written, so that its errors point at its lines; the overrides
/// then go into its table, which is read strictly again.
pub(crate) fn typed_config<K: ExperimentKind>(
    body: &str,
    origin: &str,
    overrides: &[ConfigOverride],
) -> Result<K, ExperimentError> {
    let mut config: K = parse(body, origin)?;
    if !overrides.is_empty() {
        let mut table: toml::Table = parse(body, origin)?;
        for o in overrides {
            o.apply(&mut table)?;
        }
        let keys: Vec<&str> = overrides.iter().map(|o| o.key()).collect();
        config = toml::Value::Table(table).try_into().map_err(|error| {
            parse_error(&format!("{origin} with --set {}", keys.join(", ")), error)
        })?;
    }
    config.validate()?;
    Ok(config)
}

/// Parses TOML into `T`; `origin` names the text in errors.
fn parse<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T, ExperimentError> {
    toml::from_str(text).map_err(|error| parse_error(origin, error))
}

/// A config's TOML: `kind = "<kind>"`, then the fields of `config`.
pub(crate) fn to_toml<T: Serialize>(kind: &str, config: &T) -> String {
    let body = toml::to_string_pretty(config).expect("configs serialize to TOML");
    format!("kind = {kind:?}\n{body}")
}

fn parse_error(origin: &str, error: impl std::fmt::Display) -> ExperimentError {
    ExperimentError::ParseConfig { origin: origin.to_string(), message: error.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_is_read_once_and_blanked_in_place() {
        let text = "# a comment\nkind = \"scaling\"  # the kind\nname = \"x\"\n";
        let split = split_kind(text, "t").unwrap();
        assert_eq!(split.kind, "scaling");
        assert_eq!(split.body.lines().count(), text.lines().count());
        assert_eq!(split.body.lines().nth(1).unwrap().trim(), "# the kind");
        let table: toml::Table = toml::from_str(&split.body).unwrap();
        assert!(!table.contains_key("kind") && table.contains_key("name"));
        assert_eq!(split_kind("name = \"x\"\n", "t").unwrap().kind, DEFAULT_KIND);
        let error = split_kind("kind = 3\n", "t").unwrap_err().to_string();
        assert!(error.contains("`kind`"), "{error}");
        let error = split_kind("kind = \n", "t.toml").unwrap_err().to_string();
        assert!(error.contains("t.toml") && error.contains("line 1"), "{error}");
    }

    /// Errors after the `kind` entry keep the line numbers of the file as written.
    #[test]
    fn field_errors_name_their_line() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Small {
            name: String,
        }
        let split = split_kind("kind = \"x\"\nname = \"a\"\nnmae = 2\n", "t.toml").unwrap();
        let error = parse::<Small>(&split.body, "t.toml").unwrap_err().to_string();
        assert!(error.contains("line 3") && error.contains("nmae"), "{error}");
    }
}
