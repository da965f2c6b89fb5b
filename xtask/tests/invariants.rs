//! The invariants of docs/ARCHITECTURE.md, checked on every test run.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn metadata() -> Value {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Names of every package `package` depends on (normal and build dependencies, transitively).
fn dependency_closure(meta: &Value, package: &str) -> BTreeSet<String> {
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: HashMap<&str, &Value> =
        meta["resolve"]["nodes"].as_array().unwrap().iter().map(|n| (n["id"].as_str().unwrap(), n)).collect();
    let start = names.iter().find(|(_, name)| **name == package).map(|(id, _)| *id).expect("package in workspace");
    let mut seen = BTreeSet::new();
    let mut stack = vec![start];
    while let Some(id) = stack.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let not_dev_only = dep["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].as_str() != Some("dev"));
            let dep_id = dep["pkg"].as_str().unwrap();
            if not_dev_only && seen.insert(names[dep_id].to_string()) {
                stack.push(dep_id);
            }
        }
    }
    seen
}

fn offenders(closure: &BTreeSet<String>, prefixes: &[&str]) -> Vec<String> {
    closure.iter().filter(|name| prefixes.iter().any(|p| name.starts_with(p))).cloned().collect()
}

#[test]
fn core_never_depends_on_tauri_gtk_webkit_or_yew() {
    let meta = metadata();
    let closure = dependency_closure(&meta, "dealdesk-core");
    let bad = offenders(&closure, &["tauri", "wry", "tao", "gtk", "gdk", "webkit", "javascriptcore", "yew"]);
    assert!(bad.is_empty(), "dealdesk-core depends on {bad:?}");
    assert!(closure.contains("sqlx"), "the check sees real dependencies");
}

#[test]
fn ui_knows_the_app_only_through_the_model() {
    let meta = metadata();
    let closure = dependency_closure(&meta, "dealdesk-ui");
    let bad = offenders(&closure, &["dealdesk-core", "sqlx", "tauri", "wry"]);
    assert!(bad.is_empty(), "dealdesk-ui depends on {bad:?}");
    assert!(closure.contains("dealdesk-model"));
}

#[test]
fn model_does_no_io() {
    let meta = metadata();
    let closure = dependency_closure(&meta, "dealdesk-model");
    let bad = offenders(&closure, &["sqlx", "tokio", "reqwest", "hyper", "mio", "tauri"]);
    assert!(bad.is_empty(), "dealdesk-model depends on {bad:?}");
}

/// What each layer's crate must never depend on, directly or through another crate (normal and
/// build dependencies; docs/ARCHITECTURE.md, "Layers"). Names match as prefixes (`typst` also
/// catches `typst-layout`).
const FORBIDDEN_DEPENDENCIES: &[(&str, &[&str])] = &[
    (
        "dealdesk-store",
        &[
            CRM, TYPESET, OUTBOX, NET, WHOP, ESIGN, AI, AUTOMATION, APP, "reqwest", "oauth2", "keyring", "typst",
            "hayro",
        ],
    ),
    (
        "dealdesk-crm",
        &[TYPESET, OUTBOX, NET, WHOP, ESIGN, AI, AUTOMATION, APP, "reqwest", "oauth2", "keyring", "typst", "hayro"],
    ),
    ("dealdesk-typeset", &[STORE, CRM, OUTBOX, NET, WHOP, ESIGN, AI, AUTOMATION, APP, "sqlx", "reqwest", "keyring"]),
    (
        "dealdesk-outbox",
        &[TYPESET, NET, WHOP, ESIGN, AI, AUTOMATION, APP, "reqwest", "oauth2", "keyring", "typst", "hayro"],
    ),
    ("dealdesk-net", &[STORE, CRM, TYPESET, OUTBOX, WHOP, ESIGN, AI, AUTOMATION, APP, "sqlx", "typst", "hayro"]),
    ("dealdesk-whop", &[TYPESET, ESIGN, AI, AUTOMATION, APP, "typst", "hayro"]),
    ("dealdesk-esign", &[WHOP, AI, AUTOMATION, APP]),
    ("dealdesk-ai", &[TYPESET, ESIGN, AUTOMATION, APP, "typst", "hayro"]),
    ("dealdesk-automation", &[APP]),
    (
        "dealdesk-revenue",
        &[
            CRM, TYPESET, OUTBOX, NET, WHOP, ESIGN, AI, AUTOMATION, APP, "reqwest", "oauth2", "keyring", "typst",
            "hayro",
        ],
    ),
    (
        "dealdesk-team",
        &[
            STORE, CRM, TYPESET, OUTBOX, NET, WHOP, ESIGN, AI, AUTOMATION, APP, "reqwest", "oauth2", "keyring",
            "typst", "hayro",
        ],
    ),
    ("dealdesk-core", &["tauri", "wry", "tao", "gtk", "gdk", "webkit", "javascriptcore", "yew"]),
];
const STORE: &str = "dealdesk-store";
const CRM: &str = "dealdesk-crm";
const TYPESET: &str = "dealdesk-typeset";
const OUTBOX: &str = "dealdesk-outbox";
const NET: &str = "dealdesk-net";
const WHOP: &str = "dealdesk-whop";
const ESIGN: &str = "dealdesk-esign";
const AI: &str = "dealdesk-ai";
const AUTOMATION: &str = "dealdesk-automation";
const APP: &str = "dealdesk-core";

#[test]
fn each_layer_crate_keeps_to_its_dependencies() {
    let meta = metadata();
    let mut broken = Vec::new();
    for (package, forbidden) in FORBIDDEN_DEPENDENCIES {
        let closure = dependency_closure(&meta, package);
        assert!(closure.contains("dealdesk-model"), "the check sees {package}'s real dependencies");
        let bad = offenders(&closure, forbidden);
        if !bad.is_empty() {
            broken.push(format!("{package} depends on {bad:?}"));
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn only_the_typesetting_crate_and_those_above_it_compile_typst() {
    let meta = metadata();
    let mut compiling_typst = Vec::new();
    for package in meta["workspace_members"].as_array().unwrap() {
        let id = package.as_str().unwrap();
        let name =
            meta["packages"].as_array().unwrap().iter().find(|p| p["id"] == id).unwrap()["name"].as_str().unwrap();
        let closure = dependency_closure(&meta, name);
        if closure.contains("typst") && name != "dealdesk-typeset" && !closure.contains("dealdesk-typeset") {
            compiling_typst.push(name.to_string());
        }
    }
    assert!(
        compiling_typst.is_empty(),
        "crates that reach Typst other than through dealdesk-typeset: {compiling_typst:?}"
    );
    assert!(dependency_closure(&meta, "dealdesk-typeset").contains("typst"), "the check sees Typst");
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn shell_commands_are_adapters_without_sql_or_http() {
    let meta = metadata();
    let shell = &meta["packages"].as_array().unwrap().iter().find(|p| p["name"] == "dealdesk").unwrap()["dependencies"];
    let direct: Vec<&str> = shell.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    for forbidden in ["sqlx", "reqwest", "rusqlite", "hyper"] {
        assert!(!direct.contains(&forbidden), "src-tauri depends on {forbidden} directly");
    }
    for file in rust_files(&root().join("src-tauri/src")) {
        let text = std::fs::read_to_string(&file).unwrap().to_uppercase();
        for sql in ["SELECT ", "INSERT INTO", "DELETE FROM", "UPDATE ", "CREATE TABLE"] {
            assert!(!text.contains(sql), "{} contains SQL ({sql})", file.display());
        }
    }
}

#[test]
fn the_ui_reaches_tauri_only_through_its_ipc_module() {
    for file in rust_files(&root().join("ui/src")) {
        if file.ends_with("ipc.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for raw in ["__TAURI__", "wasm_bindgen(js_namespace", "serde_json::json!", "serde_json::to_string"] {
            assert!(!text.contains(raw), "{} bypasses the typed IPC ({raw})", file.display());
        }
    }
}

#[test]
fn core_library_keeps_no_state_files_beside_the_database() {
    // The app layer (core/src) and every layer crate's library (core/<crate>/src).
    let mut libraries = vec![root().join("core/src")];
    for entry in std::fs::read_dir(root().join("core")).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() && src.join("lib.rs").is_file() {
            libraries.push(src);
        }
    }
    assert!(libraries.len() > 5, "the check sees the layer crates: {libraries:?}");
    for file in libraries.iter().flat_map(|dir| rust_files(dir)) {
        // The module that writes what the user asks for (exports). Backups (store/backup.rs)
        // copy the database with VACUUM INTO and rename, never through these.
        if file.ends_with("exports.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // A module's own tests (after `#[cfg(test)]`) may write files: damaged databases, say.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for write in ["File::create", "fs::write", "OpenOptions::new"] {
            assert!(
                !text.contains(write),
                "{} writes a file ({write}); state belongs in SQLite or the keyring",
                file.display()
            );
        }
    }
}

/// The core's layers, bottom first (docs/ARCHITECTURE.md, "Layers"). A module may use the modules
/// of the layers below its own. Modules of one layer do not use each other, except in the top
/// layer, which is the app and the services it alone offers.
/// Every layer below the app is a crate of its own (core/<name>), re-exported under its module
/// name, so a `crate::whop::…` path in the app layer still names its layer.
const CORE_LAYERS: &[&[&str]] = &[
    &["store"],
    &["crm"],
    &["outbox", "net", "secrets", "browser"],
    &["whop", "esign"],
    &["ai"],
    &["automation"],
    &["app", "support", "exports", "sample", "test_support", "workspace"],
];

/// The top-level core modules a source file names through `crate::` (also inside `use crate::{…}`).
fn crate_modules_named(text: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            // Only the first path segment of each item at the group's own depth.
            let mut depth = 0;
            let mut items = Vec::new();
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        items.push(&group[start..i]);
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        items.push(&group[start..i]);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            items
        } else {
            vec![rest]
        };
        for name in names {
            let ident: String = name.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !ident.is_empty() {
                named.insert(ident);
            }
        }
    }
    named
}

#[test]
fn core_modules_never_import_upward() {
    let layer_of = |module: &str| CORE_LAYERS.iter().position(|layer| layer.contains(&module));
    let src = root().join("core/src");
    let mut unplaced = Vec::new();
    let mut upward = Vec::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).unwrap();
        let first =
            relative.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if first == "lib" {
            continue;
        }
        let Some(own) = layer_of(&first) else {
            unplaced.push(first);
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for named in crate_modules_named(&text) {
            if named == first {
                continue;
            }
            // Names that are not modules (re-exports at the crate root such as `crate::AppError`)
            // belong to the app layer.
            let theirs = layer_of(&named).unwrap_or(CORE_LAYERS.len() - 1);
            let top = CORE_LAYERS.len() - 1;
            if theirs > own || (theirs == own && own != top) {
                upward.push(format!("{} uses crate::{named}", relative.display()));
            }
        }
    }
    assert!(unplaced.is_empty(), "core modules missing from CORE_LAYERS: {unplaced:?}");
    assert!(upward.is_empty(), "imports that run up or across a layer:\n{}", upward.join("\n"));
}

#[test]
fn the_import_scanner_sees_grouped_and_nested_paths() {
    let text = "use crate::{store::Store, crm::{Crm, record::WriteCtx}};\nlet x = crate::whop::Whop::new();";
    let named: Vec<String> = crate_modules_named(text).into_iter().collect();
    assert_eq!(named, ["crm", "store", "whop"]);
}

/// The window's files stay small enough to read in one sitting (issue 18): a screen grows into a
/// folder of sections before a file passes this. Test files (`tests.rs`) are exempt.
const UI_FILE_LINES: usize = 620;

#[test]
fn window_files_stay_under_six_hundred_lines() {
    let mut long = Vec::new();
    for file in rust_files(&root().join("ui/src")) {
        if file.ends_with("tests.rs") {
            continue;
        }
        let lines = std::fs::read_to_string(&file).unwrap().lines().count();
        if lines > UI_FILE_LINES {
            long.push(format!("{} ({lines} lines)", file.display()));
        }
    }
    assert!(long.is_empty(), "split these by screen section: {long:?}");
}
