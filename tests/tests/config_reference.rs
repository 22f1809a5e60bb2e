//! docs/config.md documents every config field of every kind, and nothing else: the fields
//! are found by asking the config types themselves. Every plain table of every shipped
//! config (resolved, defaults filled in) gets an unknown key, and the strict parser's error
//! lists the fields that table accepts, optional ones included. Tables with a `kind` key
//! are values of a tagged type (a schedule, a source task, ...): their `kind` values must be
//! documented.

use std::collections::BTreeSet;
use std::path::Path;

use goldilocks_experiment::AnyConfig;
use toml::{Table, Value};

use crate::shipped_config_files;

const PROBE: &str = "zz_probe";

fn shipped_configs() -> Vec<(String, AnyConfig)> {
    shipped_config_files()
        .into_iter()
        .map(|f| (f.display().to_string(), AnyConfig::load(&f).unwrap()))
        .collect()
}

/// A step into a table: a key, or entry `i` of the array under a key.
#[derive(Clone)]
enum Step {
    Key(String),
    Entry(String, usize),
}

fn path_name(kind: &str, steps: &[Step]) -> String {
    let mut name = kind.to_string();
    for step in steps {
        match step {
            Step::Key(k) => name.push_str(&format!(".{k}")),
            Step::Entry(k, _) => name.push_str(&format!(".{k}[]")),
        }
    }
    name
}

fn table_at<'a>(table: &'a mut Table, steps: &[Step]) -> &'a mut Table {
    let mut current = table;
    for step in steps {
        current = match step {
            Step::Key(k) => current.get_mut(k).and_then(Value::as_table_mut).unwrap(),
            Step::Entry(k, i) => current.get_mut(k).and_then(Value::as_array_mut).unwrap()[*i]
                .as_table_mut()
                .unwrap(),
        };
    }
    current
}

/// The fields the table at `steps` accepts, from the strict parser's error.
fn accepted_fields(text: &str, steps: &[Step]) -> Option<Vec<String>> {
    let mut table: Table = toml::from_str(text).unwrap();
    table_at(&mut table, steps).insert(PROBE.into(), Value::Integer(0));
    let error = AnyConfig::from_toml(&toml::to_string(&table).unwrap(), "probe").err()?;
    let message = error.to_string();
    let listed = message.split(&format!("unknown field `{PROBE}`")).nth(1)?;
    let listed = listed.lines().next().unwrap_or("");
    Some(listed.split('`').skip(1).step_by(2).map(str::to_string).collect())
}

/// Every documented key: `kind.path` for plain fields, `"value"` for tagged kinds.
fn documented() -> (BTreeSet<String>, String) {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/config.md"))
            .unwrap();
    let keys = text
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .map(str::to_string)
        .collect();
    (keys, text)
}

#[test]
fn every_config_field_of_every_kind_is_documented_and_nothing_else() {
    let mut fields = BTreeSet::new();
    let mut tagged = BTreeSet::new();
    for (origin, config) in shipped_configs() {
        let kind = config.kind();
        let text = config.to_toml();
        let root: Table = toml::from_str(&text).unwrap();
        let mut stack: Vec<(Vec<Step>, Table)> = vec![(Vec::new(), root)];
        while let Some((steps, table)) = stack.pop() {
            if !steps.is_empty() {
                if let Some(Value::String(value)) = table.get("kind") {
                    tagged.insert(format!("{}: \"{value}\"", path_name(kind, &steps)));
                    continue;
                }
            }
            if let Some(accepted) = accepted_fields(&text, &steps) {
                for field in accepted {
                    fields.insert(format!("{}.{field}", path_name(kind, &steps)));
                }
            }
            for (key, value) in &table {
                let mut next = steps.clone();
                match value {
                    Value::Table(inner) => {
                        next.push(Step::Key(key.clone()));
                        stack.push((next, inner.clone()));
                    }
                    Value::Array(entries) => {
                        for (i, entry) in entries.iter().enumerate() {
                            if let Value::Table(inner) = entry {
                                let mut next = steps.clone();
                                next.push(Step::Entry(key.clone(), i));
                                stack.push((next, inner.clone()));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        assert!(!fields.is_empty(), "{origin}");
    }
    let (keys, text) = documented();
    let missing: Vec<&String> = fields.iter().filter(|f| !keys.contains(*f)).collect();
    let stale: Vec<&String> = keys.iter().filter(|k| !fields.contains(*k)).collect();
    let untagged: Vec<&String> =
        tagged.iter().filter(|t| !text.contains(t.split(": ").nth(1).unwrap())).collect();
    assert!(
        missing.is_empty() && stale.is_empty() && untagged.is_empty(),
        "docs/config.md lacks {missing:#?}\nnames fields that do not exist: {stale:#?}\nlacks tagged values {untagged:#?}"
    );
}
