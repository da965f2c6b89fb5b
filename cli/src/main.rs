//! `dealdesk-cli` as a binary of its own (development, tests, and platforms whose app binary has
//! no console). The installed Linux app runs the same code as `dealdesk cli …`.

use std::process::ExitCode;

fn main() -> ExitCode {
    dealdesk_cli::run(std::env::args_os())
}
