//! Money and badges.

use super::*;

/// Micros of USD for people: 4 decimals under a dollar (`$0.0123`), cents from a dollar up
/// (`$12.35`).
pub fn usd(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    if abs < 999_950 {
        // Ten-thousandths of a dollar, rounded half up.
        let units = (abs + 50) / 100;
        return format!("{sign}$0.{units:04}");
    }
    let cents = (abs + 5_000) / 10_000;
    format!("{sign}${}.{:02}", cents / 100, cents % 100)
}

/// A dollar amount typed by a person into micros: `12.50` → `12_500_000`.
pub(super) fn parse_dollars(text: &str) -> Result<i64, String> {
    let text = text.trim().trim_start_matches('$').trim();
    match parse_decimal_micros(text) {
        Ok(micros) if micros < 0 => Err("cannot be negative".to_string()),
        Ok(micros) => Ok(micros),
        Err(MoneyParseError::Empty) => Err("is empty".to_string()),
        Err(MoneyParseError::TooPrecise(_)) => Err("has more than 6 decimals".to_string()),
        Err(MoneyParseError::TooLarge(_)) => Err("is too large".to_string()),
        Err(_) => Err(format!("“{text}” is not an amount in dollars like 25 or 0.15")),
    }
}

/// Micros for an input: `12_500_000` → `12.50`.
pub fn dollars_input(micros: i64) -> String {
    format_decimal_micros(micros, 2)
}

/// Where a lead score falls: 70 and up is good, 40–69 medium, under 40 low.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreBand {
    Good,
    Medium,
    Low,
}

impl ScoreBand {
    pub fn of(score: u8) -> ScoreBand {
        match score {
            70.. => ScoreBand::Good,
            40..=69 => ScoreBand::Medium,
            _ => ScoreBand::Low,
        }
    }

    /// The badge's `data-band` and class suffix.
    pub fn as_str(self) -> &'static str {
        match self {
            ScoreBand::Good => "good",
            ScoreBand::Medium => "medium",
            ScoreBand::Low => "low",
        }
    }

    pub fn tone(self) -> StatusTone {
        match self {
            ScoreBand::Good => StatusTone::Success,
            ScoreBand::Medium => StatusTone::Warning,
            ScoreBand::Low => StatusTone::Danger,
        }
    }
}

/// "Lead score 82".
pub fn lead_score_text(score: u8) -> String {
    format!("Lead score {score}")
}

/// "Positive +0.60".
pub fn sentiment_text(label: SentimentLabel, score: f64) -> String {
    let name = match label {
        SentimentLabel::Positive => "Positive",
        SentimentLabel::Neutral => "Neutral",
        SentimentLabel::Negative => "Negative",
    };
    format!("{name} {score:+.2}")
}

pub fn sentiment_tone(label: SentimentLabel) -> StatusTone {
    match label {
        SentimentLabel::Positive => StatusTone::Success,
        SentimentLabel::Neutral => StatusTone::Neutral,
        SentimentLabel::Negative => StatusTone::Danger,
    }
}

/// "850 ms", "1.2 s".
pub fn latency_text(ms: u64) -> String {
    if ms < 1_000 { format!("{ms} ms") } else { format!("{:.1} s", ms as f64 / 1_000.0) }
}

/// "1200 in · 300 out".
pub fn tokens_text(tokens_in: u64, tokens_out: u64) -> String {
    format!("{tokens_in} in · {tokens_out} out")
}

/// The question before running past the monthly budget.
pub fn over_budget_question(month_cost_micros: i64, budget_micros: i64) -> String {
    format!("This month's AI spend is {} of a {} budget. Run anyway?", usd(month_cost_micros), usd(budget_micros))
}

/// What the card says after an action was queued.
pub const QUEUED_TEXT: &str = "Queued until back online";
