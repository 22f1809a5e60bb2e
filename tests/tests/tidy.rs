//! Workspace conventions, checked on the files themselves:
//!
//! - the crate graph stays layered: `goldilocks-lora` and `goldilocks-model` do not depend on
//!   `goldilocks-store`, `goldilocks-analysis` does not depend on `goldilocks-experiment`, and
//!   the leaf crates (`goldilocks-store`, `goldilocks-schedule`, `goldilocks-theory`,
//!   `goldilocks-data`) depend on no `goldilocks-*` crate, in any dependency section;
//! - every `crates/*/src/lib.rs` opens with a `//!` crate doc holding a Rust code block that
//!   rustdoc compiles (not `ignore`, `text` or another language).
//!
//! The checks take parsed manifests and file texts, so that the tests at the end feed them
//! bad input and see each rule fail.

use std::path::{Path, PathBuf};

/// `(crate, dependency)` pairs that must not occur.
const FORBIDDEN: &[(&str, &str)] = &[
    ("goldilocks-lora", "goldilocks-store"),
    ("goldilocks-model", "goldilocks-store"),
    ("goldilocks-analysis", "goldilocks-experiment"),
    ("goldilocks-kernels", "goldilocks-store"),
    ("goldilocks-kernels", "goldilocks-experiment"),
];

/// Crates that depend on no `goldilocks-*` crate.
const LEAVES: &[&str] =
    &["goldilocks-store", "goldilocks-schedule", "goldilocks-theory", "goldilocks-data"];

/// A parsed `Cargo.toml` and where it was read from (named in messages).
struct Manifest {
    origin: String,
    value: toml::Value,
}

impl Manifest {
    fn parse(origin: &str, text: &str) -> Self {
        let value = text.parse().unwrap_or_else(|e| panic!("{origin} is not valid TOML: {e}"));
        Self { origin: origin.to_string(), value }
    }

    /// `[package] name`, if any.
    fn name(&self) -> Option<&str> {
        self.value.get("package")?.get("name")?.as_str()
    }

    /// Every dependency as (section, crate name): `[dependencies]`, `[dev-dependencies]`,
    /// `[build-dependencies]` and their `[target.'...'.*]` forms, with renamed dependencies
    /// (`package = "..."`) under their real name.
    fn dependencies(&self) -> Vec<(String, String)> {
        let mut tables: Vec<(String, &toml::Value)> = Vec::new();
        let sections = ["dependencies", "dev-dependencies", "build-dependencies"];
        for section in sections {
            if let Some(table) = self.value.get(section) {
                tables.push((section.to_string(), table));
            }
        }
        if let Some(targets) = self.value.get("target").and_then(toml::Value::as_table) {
            for (target, value) in targets {
                for section in sections {
                    if let Some(table) = value.get(section) {
                        tables.push((format!("target.{target}.{section}"), table));
                    }
                }
            }
        }
        let mut found = Vec::new();
        for (section, table) in tables {
            let Some(table) = table.as_table() else { continue };
            for (key, spec) in table {
                let name = spec.get("package").and_then(toml::Value::as_str).unwrap_or(key);
                found.push((section.clone(), name.to_string()));
            }
        }
        found
    }
}

/// The dependency rules broken by `manifests`, one message each.
fn dependency_violations(manifests: &[Manifest]) -> Vec<String> {
    let mut errors = Vec::new();
    for manifest in manifests {
        let Some(name) = manifest.name() else { continue };
        for (section, dependency) in manifest.dependencies() {
            if FORBIDDEN.contains(&(name, dependency.as_str())) {
                errors.push(format!(
                    "{}: {name} must not depend on {dependency} (found in [{section}])",
                    manifest.origin
                ));
            } else if LEAVES.contains(&name) && dependency.starts_with("goldilocks-") {
                errors.push(format!(
                    "{}: {name} is a leaf crate and must not depend on any goldilocks-* crate, \
                     found {dependency} in [{section}]",
                    manifest.origin
                ));
            }
        }
    }
    errors
}

/// Why the text of a `lib.rs` breaks the crate-doc rule, if it does.
fn crate_doc_violation(origin: &str, text: &str) -> Option<String> {
    let doc: Vec<&str> = text
        .lines()
        .map(str::trim_start)
        .take_while(|line| line.starts_with("//!"))
        .map(|line| line.trim_start_matches("//!").trim())
        .collect();
    if doc.is_empty() {
        return Some(format!("{origin}: must open with a `//!` crate doc comment"));
    }
    let mut in_block = false;
    for line in doc {
        let Some(info) = line.strip_prefix("```") else { continue };
        if in_block {
            in_block = false;
        } else if is_doc_test(info) {
            return None;
        } else {
            in_block = true;
        }
    }
    Some(format!(
        "{origin}: the crate doc must hold a runnable example, a ``` code block that is not \
         `ignore`, `text` or another language (`no_run` is fine)"
    ))
}

/// Whether a code block with this info string is a Rust doc test that rustdoc compiles.
fn is_doc_test(info: &str) -> bool {
    info.split([',', ' ']).filter(|token| !token.is_empty()).all(|token| {
        matches!(token, "rust" | "no_run" | "should_panic")
            || token.starts_with("edition")
            || token.starts_with('{')
    })
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The folders of `crates/`, sorted.
fn crate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("crates"))
        .expect("crates/ is readable")
        .map(|entry| entry.expect("crates/ lists").path())
        .filter(|path| path.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn relative(path: &Path) -> String {
    path.strip_prefix(workspace_root()).unwrap_or(path).display().to_string()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn crates_depend_only_downwards() {
    let mut paths: Vec<PathBuf> = crate_dirs().iter().map(|dir| dir.join("Cargo.toml")).collect();
    paths.push(workspace_root().join("xtask/Cargo.toml"));
    let manifests: Vec<Manifest> =
        paths.iter().map(|path| Manifest::parse(&relative(path), &read(path))).collect();
    let names: Vec<&str> = manifests.iter().filter_map(Manifest::name).collect();
    for expected in ["goldilocks-lora", "goldilocks-model", "goldilocks-store", "goldilocks-data"] {
        assert!(names.contains(&expected), "no manifest of {expected} among {names:?}");
    }
    let errors = dependency_violations(&manifests);
    assert!(errors.is_empty(), "forbidden dependencies:\n{}", errors.join("\n"));
}

#[test]
fn every_crate_doc_has_an_example() {
    let dirs = crate_dirs();
    assert!(dirs.len() >= 7, "found only {dirs:?}");
    let errors: Vec<String> = dirs
        .iter()
        .map(|dir| dir.join("src/lib.rs"))
        .filter(|path| path.is_file())
        .filter_map(|path| crate_doc_violation(&relative(&path), &read(&path)))
        .collect();
    assert!(errors.is_empty(), "crate docs without an example:\n{}", errors.join("\n"));
}

#[test]
fn each_dependency_rule_can_fail() {
    let manifest = |name: &str, dependencies: &str| {
        Manifest::parse(
            &format!("crates/{name}/Cargo.toml"),
            &format!("[package]\nname = \"goldilocks-{name}\"\n\n{dependencies}\n"),
        )
    };
    let cases = [
        ("lora", "[dependencies]\ngoldilocks-store.workspace = true", "goldilocks-store"),
        ("model", "[dev-dependencies]\ngoldilocks-store = { path = \"../store\" }", "dev-"),
        ("analysis", "[dependencies]\ngoldilocks-experiment.workspace = true", "experiment"),
        ("store", "[dependencies]\ngoldilocks-schedule.workspace = true", "leaf"),
        ("schedule", "[build-dependencies]\ngoldilocks-data.workspace = true", "leaf"),
        ("theory", "[dependencies]\ngoldilocks-model.workspace = true", "goldilocks-theory"),
        ("data", "[target.'cfg(unix)'.dependencies]\ngoldilocks-store.workspace = true", "unix"),
        (
            "lora",
            "[dependencies]\nstorage = { package = \"goldilocks-store\", path = \"x\" }",
            "lora",
        ),
    ];
    for (name, dependencies, expected) in cases {
        let errors = dependency_violations(&[manifest(name, dependencies)]);
        assert_eq!(errors.len(), 1, "{name} with {dependencies:?}: {errors:?}");
        assert!(errors[0].contains(expected), "{errors:?} does not say {expected:?}");
        assert!(errors[0].starts_with(&format!("crates/{name}/Cargo.toml: ")), "{errors:?}");
    }
    // Allowed edges pass.
    let fine = [
        manifest("lora", "[dependencies]\nsafetensors = \"0.7\"\nburn.workspace = true"),
        manifest("model", "[dependencies]\ngoldilocks-lora.workspace = true"),
        manifest("experiment", "[dependencies]\ngoldilocks-store.workspace = true"),
        manifest("store", "[dev-dependencies]\ntempfile.workspace = true"),
    ];
    assert_eq!(dependency_violations(&fine), Vec::<String>::new());
}

#[test]
fn the_crate_doc_rule_can_fail() {
    let bad = [
        ("no doc", "#![warn(missing_docs)]\n//! Too late.\n"),
        ("item doc only", "/// A function.\npub fn f() {}\n"),
        ("no block", "//! A crate.\n//!\n//! No example.\n"),
        ("ignored", "//! A crate.\n//! ```ignore\n//! f();\n//! ```\n"),
        ("text", "//! A crate.\n//! ```text\n//! $ cargo run\n//! ```\n"),
        ("python", "//! A crate.\n//! ```python\n//! load_file(\"x\")\n//! ```\n"),
        ("after the doc", "//! A crate.\n\n//! ```\n//! f();\n//! ```\n"),
    ];
    for (case, text) in bad {
        let error = crate_doc_violation("crates/x/src/lib.rs", text);
        assert!(error.is_some_and(|e| e.starts_with("crates/x/src/lib.rs: ")), "{case}");
    }
    let good = [
        "//! A crate.\n//!\n//! ```\n//! assert_eq!(1 + 1, 2);\n//! ```\n\nmod a;\n",
        "//! A crate.\n//! ```no_run\n//! f();\n//! ```\n",
        "//! A crate.\n//! ```text\n//! out\n//! ```\n//! ```rust,should_panic\n//! f();\n//! ```\n",
    ];
    for text in good {
        assert_eq!(crate_doc_violation("crates/x/src/lib.rs", text), None, "{text}");
    }
}
