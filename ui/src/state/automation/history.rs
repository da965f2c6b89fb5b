//! The list and the history.

use super::*;

pub fn steps_text(count: usize) -> String {
    if count == 1 { "1 step".to_string() } else { format!("{count} steps") }
}

pub fn run_status_label(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Queued => "Queued",
        RunStatus::Running => "Running",
        RunStatus::Waiting => "Waiting for the network",
        RunStatus::Succeeded => "Succeeded",
        RunStatus::Stopped => "Stopped by a condition",
        RunStatus::Failed => "Failed",
    }
}

pub fn run_tone(status: RunStatus) -> StatusTone {
    match status {
        RunStatus::Queued | RunStatus::Waiting => StatusTone::Warning,
        RunStatus::Running => StatusTone::Accent,
        RunStatus::Succeeded => StatusTone::Success,
        RunStatus::Stopped => StatusTone::Neutral,
        RunStatus::Failed => StatusTone::Danger,
    }
}

/// "Never run" or "Succeeded · 2026-11-26 19:09 UTC".
pub fn last_run_text(last: Option<&WorkflowRunSummary>) -> String {
    match last {
        None => "Never run".to_string(),
        Some(run) => format!("{} · {}", run_status_label(run.status), short_time(&run.started_at)),
    }
}

/// "2026-11-26 19:09 UTC → 19:10 UTC" style: start, and the finish when there is one.
pub fn run_times(run: &WorkflowRun) -> String {
    let start = short_time(&run.started_at);
    match &run.finished_at {
        Some(end) => {
            let end = short_time(end);
            // The same day: only the time of the end.
            match (start.split_once(' '), end.split_once(' ')) {
                (Some((d1, _)), Some((d2, t2))) if d1 == d2 => format!("{start} → {t2}"),
                _ => format!("{start} → {end}"),
            }
        }
        None => format!("{start} → …"),
    }
}

/// JSON for people: two-space indents, one key or item a line, written out by hand.
pub fn pretty_json(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value, 0);
    out
}

pub(super) fn write_json(out: &mut String, value: &Value, depth: usize) {
    let pad = |out: &mut String, depth: usize| out.extend(std::iter::repeat_n("  ", depth));
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&format!("{n}")),
        Value::String(s) => write_string(out, s),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                pad(out, depth + 1);
                write_json(out, item, depth + 1);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            pad(out, depth);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            out.push_str("{\n");
            for (i, (key, item)) in map.iter().enumerate() {
                pad(out, depth + 1);
                write_string(out, key);
                out.push_str(": ");
                write_json(out, item, depth + 1);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            pad(out, depth);
            out.push('}');
        }
    }
}

pub(super) fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
