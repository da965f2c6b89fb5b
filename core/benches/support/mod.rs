//! What the benchmarks share: flags, percentiles, and the markdown rows they print.
#![allow(dead_code, clippy::print_stdout)] // each bench uses what it needs

use std::time::Duration;

/// `--name N` from the command line, or `default`.
pub fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The `p` quantile of the samples, in milliseconds.
pub fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort_unstable();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

/// `| name | p50 | p95 | p99 |` in milliseconds.
pub fn row(name: &str, samples: &mut [Duration]) {
    println!(
        "| {name} | {:.2} | {:.2} | {:.2} |",
        percentile(samples, 0.5),
        percentile(samples, 0.95),
        percentile(samples, 0.99)
    );
}
