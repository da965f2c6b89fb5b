//! The sandbox against Whop's own artefacts: the contract extract must be what the pinned SDK says,
//! and Whop's official TypeScript SDK, run with Node against a live sandbox, must list every
//! resource Dealdesk syncs and perform every action Dealdesk offers with every answer in the SDK's
//! own types (tests/whop-sdk/check-sandbox.mjs). `cargo xtask setup` installs Node's packages
//! (the SDK and TypeScript, pinned by tests/whop-sdk/package-lock.json) into target/tools/whop-sdk.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use dealdesk_sandbox::contract::contract;
use dealdesk_sandbox::{Sandbox, SandboxConfig};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn node() -> Command {
    let sdk = root().join("target/tools/whop-sdk/node_modules/@whop/sdk/package.json");
    assert!(
        sdk.is_file(),
        "Whop's SDK is not installed at {}: run `cargo xtask setup` (it installs Node.js and the pinned SDK)",
        sdk.display()
    );
    let mut cmd = Command::new("node");
    cmd.current_dir(root());
    cmd
}

#[test]
fn the_contract_extract_is_what_the_pinned_sdk_says() {
    let out = node().arg("tests/whop-sdk/extract.mjs").arg("--check").output().expect("node runs");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn whops_official_sdk_lists_and_acts_on_the_sandbox_in_its_own_types() {
    let config = SandboxConfig { businesses: 2, ..SandboxConfig::with_members(24) };
    let sandbox = Sandbox::start(config).await.unwrap();
    let token = sandbox.mint_access_token();
    let every_but_manage_and_chat: Vec<String> = dealdesk_sandbox::contract::all_permissions()
        .into_iter()
        .filter(|p| p != "member:manage" && p != "chat:message:create")
        .collect();
    let limited = sandbox.mint_access_token_with(&every_but_manage_and_chat);
    let mut cmd = node();
    cmd.arg("tests/whop-sdk/check-sandbox.mjs")
        .env("WHOP_BASE_URL", sandbox.api_url())
        .env("WHOP_API_KEY", token)
        .env("WHOP_LIMITED_KEY", limited);
    let out = tokio::task::spawn_blocking(move || cmd.output()).await.unwrap().expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    let exercised: BTreeSet<&str> =
        report["exercised"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    let contracted: BTreeSet<&str> = contract().endpoints.iter().map(|e| e.sdk_method.as_str()).collect();
    assert_eq!(exercised, contracted, "every endpoint of the contract is called through the SDK");
    assert!(report["objects"].as_u64().unwrap() > 100, "{report}");
    assert!(report["refusals"].as_array().unwrap().len() >= 9, "{report}");
    sandbox.shutdown().await;
}
