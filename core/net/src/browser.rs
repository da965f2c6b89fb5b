//! Opening a web page in the user's browser (Connect Whop, the CLI's login). Best effort: callers
//! always show the address too, for machines without a browser.

/// Starts the platform's opener on `url` and does not wait for it.
pub fn open_in_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(_) => tracing::debug!(opener, "browser opened"),
        Err(error) => tracing::info!(%error, opener, "cannot open a browser; the address is shown instead"),
    }
}
