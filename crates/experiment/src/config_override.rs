//! `--set key.path=value`: one field of a config overridden from the command line, applied
//! to the config's TOML table before it is deserialized and validated, so an override is
//! checked like the same value written in the file and shows in the resolved config.toml.
//!
//! The path is dotted keys with optional array indices (`starts[0].seeds`); the value is
//! TOML (`0.1`, `true`, `["relu", "erf"]`, `{ kind = "constant", lr = 0.05 }`), or else a
//! bare string (`name=quick` sets `name = "quick"`).
//!
//! ```
//! use goldilocks_experiment::{AnyConfig, ConfigOverride};
//!
//! let set: ConfigOverride = "training.max_steps=50".parse().unwrap();
//! let config = AnyConfig::from_toml_with(
//!     goldilocks_experiment::escape::DEFAULT_CONFIG,
//!     "default",
//!     &[set],
//! )
//! .unwrap();
//! let AnyConfig::Escape(escape) = config else { unreachable!() };
//! assert_eq!(escape.training.max_steps, 50);
//! ```

use std::fmt;
use std::str::FromStr;

use toml::{Table, Value};

use crate::ExperimentError;

/// One step of an override's path.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    /// A key of a table.
    Key(String),
    /// An entry of an array.
    Index(usize),
}

/// A `key.path=value` override of one config field.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigOverride {
    key: String,
    path: Vec<Segment>,
    value: Value,
}

/// Why an override could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadOverride(String);

impl fmt::Display for BadOverride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadOverride {}

impl FromStr for ConfigOverride {
    type Err = BadOverride;

    fn from_str(text: &str) -> Result<Self, BadOverride> {
        let bad = |why: &str| BadOverride(format!("`{text}`: {why} (expected key.path=value)"));
        let (key, raw) = text.split_once('=').ok_or_else(|| bad("no `=`"))?;
        let key = key.trim();
        let path = parse_path(key)
            .ok_or_else(|| bad("not a key path such as training.lr or starts[0].seeds"))?;
        if path.first() == Some(&Segment::Key("kind".into())) {
            return Err(bad("`kind` selects the config's type and cannot be overridden"));
        }
        Ok(Self { key: key.to_string(), path, value: parse_value(raw.trim()) })
    }
}

impl fmt::Display for ConfigOverride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

/// `a.b[2].c` as segments; None when a part is empty or an index is not a number.
fn parse_path(key: &str) -> Option<Vec<Segment>> {
    let mut path = Vec::new();
    for part in key.split('.') {
        let (name, mut indices) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (part, ""),
        };
        let valid = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if name.is_empty() || !name.chars().all(valid) {
            return None;
        }
        path.push(Segment::Key(name.to_string()));
        while !indices.is_empty() {
            let close = indices.find(']')?;
            let index = indices.strip_prefix('[')?[..close - 1].parse().ok()?;
            path.push(Segment::Index(index));
            indices = &indices[close + 1..];
        }
    }
    Some(path)
}

/// The value as TOML, or the text itself as a string when it is not TOML.
fn parse_value(raw: &str) -> Value {
    toml::from_str::<Table>(&format!("value = {raw}"))
        .ok()
        .and_then(|mut table| table.remove("value"))
        .unwrap_or_else(|| Value::String(raw.to_string()))
}

impl ConfigOverride {
    /// The key path as written, e.g. `starts[0].seeds`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Sets the value in `table`, creating missing tables on the way; an index must name an
    /// existing entry.
    pub fn apply(&self, table: &mut Table) -> Result<(), ExperimentError> {
        let mut root = Value::Table(std::mem::take(table));
        let result = set_in(&mut root, "the config", &self.path, &self.value);
        let Value::Table(back) = root else { unreachable!("the root stays a table") };
        *table = back;
        result.map_err(|message| ExperimentError::invalid(format!("--set {}", self.key), message))
    }
}

/// Sets `new` at `path` under `value`, whose own name (for errors) is `name`.
fn set_in(value: &mut Value, name: &str, path: &[Segment], new: &Value) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        *value = new.clone();
        return Ok(());
    };
    match first {
        Segment::Key(key) => {
            let Value::Table(table) = value else {
                return Err(format!("{name} is {}, not a table", type_name(value)));
            };
            let empty = match rest.first() {
                Some(Segment::Index(_)) => Value::Array(Vec::new()),
                _ => Value::Table(Table::new()),
            };
            let entry = table.entry(key.clone()).or_insert(empty);
            set_in(entry, &format!("`{key}`"), rest, new)
        }
        Segment::Index(index) => {
            let Value::Array(array) = value else {
                return Err(format!("{name} is {}, not an array", type_name(value)));
            };
            let len = array.len();
            let entry = array.get_mut(*index).ok_or_else(|| {
                format!("index {index} is out of range ({name} has {len} entries)")
            })?;
            set_in(entry, &format!("entry {index} of {name}"), rest, new)
        }
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        toml::from_str(text).unwrap()
    }

    fn set(text: &str, on: &str) -> Result<Table, ExperimentError> {
        let mut t = table(on);
        text.parse::<ConfigOverride>().unwrap().apply(&mut t)?;
        Ok(t)
    }

    #[test]
    fn values_are_toml_or_else_strings() {
        let t = set("a.b=0.5", "[a]\nb = 1.0").unwrap();
        assert_eq!(t["a"]["b"], Value::Float(0.5));
        let t = set("name=quick run", "name = \"x\"").unwrap();
        assert_eq!(t["name"], Value::String("quick run".into()));
        let t = set("xs=[1, 2]", "").unwrap();
        assert_eq!(t["xs"], Value::Array(vec![Value::Integer(1), Value::Integer(2)]));
        let t = set("lr={ kind = \"constant\", lr = 0.1 }", "").unwrap();
        assert_eq!(t["lr"]["kind"], Value::String("constant".into()));
    }

    #[test]
    fn paths_reach_into_tables_and_array_entries() {
        let base = "[[starts]]\nname = \"a\"\nseeds = 2\n[[starts]]\nname = \"b\"\nseeds = 3\n";
        let t = set("starts[1].seeds=7", base).unwrap();
        assert_eq!(t["starts"][1]["seeds"], Value::Integer(7));
        assert_eq!(t["starts"][0]["seeds"], Value::Integer(2));
        let t = set("training.loss_bound=10", "[training]\nmax_steps = 3").unwrap();
        assert_eq!(t["training"]["loss_bound"], Value::Integer(10));
        let t = set("new.table.key=1", "").unwrap();
        assert_eq!(t["new"]["table"]["key"], Value::Integer(1));
        let t = set("mu[0]=0.3", "mu = [0.1, 0.2]").unwrap();
        assert_eq!(t["mu"][0], Value::Float(0.3));
    }

    #[test]
    fn bad_overrides_are_named() {
        for text in ["no-equals", "=3", "a..b=1", "a[x]=1", "a[1=2", "kind=\"vit\""] {
            let error = text.parse::<ConfigOverride>().unwrap_err().to_string();
            assert!(error.contains(text.split('=').next().unwrap()), "{text}: {error}");
        }
        let base = "[[starts]]\nseeds = 2\n[training]\nmax_steps = 3";
        let out_of_range = set("starts[4].seeds=1", base).unwrap_err().to_string();
        assert!(out_of_range.contains("--set starts[4].seeds"), "{out_of_range}");
        assert!(out_of_range.contains("`starts` has 1 entries"), "{out_of_range}");
        let not_table = set("training.max_steps.x=1", base).unwrap_err().to_string();
        assert!(not_table.contains("`max_steps` is an integer, not a table"), "{not_table}");
    }
}
