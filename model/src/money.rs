//! Money as integer micros (1/1,000,000 of the currency unit) plus an ISO 4217 code. Never floats.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Micros per currency unit.
pub const MICROS_PER_UNIT: i64 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub micros: i64,
    /// Upper-case ISO 4217 code, checked by [`currency_minor_units`].
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyParseError {
    Empty,
    /// The text is not a plain decimal number such as `1200.50`.
    NotANumber(String),
    /// More than six digits after the decimal point.
    TooPrecise(String),
    TooLarge(String),
    UnknownCurrency(String),
}

impl fmt::Display for MoneyParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "amount is empty"),
            Self::NotANumber(s) => {
                write!(f, "amount '{s}' is not a number like 1200.50 (digits, one '.', no thousands separators)")
            }
            Self::TooPrecise(s) => write!(f, "amount '{s}' has more than 6 decimal places"),
            Self::TooLarge(s) => write!(f, "amount '{s}' is too large"),
            Self::UnknownCurrency(c) => {
                write!(f, "unknown currency '{c}' (expected an ISO 4217 code such as USD or EUR)")
            }
        }
    }
}

impl std::error::Error for MoneyParseError {}

/// Parses a plain decimal (`1200`, `1200.5`, `-3.25`) into micros without going through floats.
pub fn parse_decimal_micros(text: &str) -> Result<i64, MoneyParseError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(MoneyParseError::Empty);
    }
    let (negative, unsigned) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((w, f)) => (w, f),
        None => (unsigned, ""),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits_only(whole) || !digits_only(fraction) {
        return Err(MoneyParseError::NotANumber(trimmed.to_string()));
    }
    if fraction.len() > 6 {
        return Err(MoneyParseError::TooPrecise(trimmed.to_string()));
    }
    let too_large = || MoneyParseError::TooLarge(trimmed.to_string());
    let whole_value: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_large())? };
    let mut fraction_value: i64 = if fraction.is_empty() { 0 } else { fraction.parse().map_err(|_| too_large())? };
    for _ in fraction.len()..6 {
        fraction_value *= 10;
    }
    let micros =
        whole_value.checked_mul(MICROS_PER_UNIT).and_then(|w| w.checked_add(fraction_value)).ok_or_else(too_large)?;
    Ok(if negative { -micros } else { micros })
}

/// Formats micros as a plain decimal with at least `min_fraction` and at most 6 fraction digits:
/// `format_decimal_micros(1_200_500_000, 2) == "1200.50"`. Round-trips through [`parse_decimal_micros`].
pub fn format_decimal_micros(micros: i64, min_fraction: usize) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    let whole = abs / MICROS_PER_UNIT as u64;
    let mut fraction = format!("{:06}", abs % MICROS_PER_UNIT as u64);
    while fraction.len() > min_fraction && fraction.ends_with('0') {
        fraction.pop();
    }
    if fraction.is_empty() { format!("{sign}{whole}") } else { format!("{sign}{whole}.{fraction}") }
}

impl Money {
    /// Parses an amount and a currency code (case-insensitive) into checked money.
    pub fn parse(amount: &str, currency: &str) -> Result<Money, MoneyParseError> {
        let currency = normalize_currency(currency)?;
        Ok(Money { micros: parse_decimal_micros(amount)?, currency })
    }

    /// The amount as a plain decimal with the currency's usual number of decimals: `1200.50`.
    pub fn amount_text(&self) -> String {
        let minor = currency_minor_units(&self.currency).unwrap_or(2) as usize;
        format_decimal_micros(self.micros, minor)
    }

    /// Human display with thousands separators: `1,200.50 USD`.
    pub fn display(&self) -> String {
        let plain = self.amount_text();
        let (sign, unsigned) = match plain.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", plain.as_str()),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (unsigned, None),
        };
        let mut grouped = String::new();
        for (i, ch) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        match fraction {
            Some(f) => format!("{sign}{grouped}.{f} {}", self.currency),
            None => format!("{sign}{grouped} {}", self.currency),
        }
    }
}

/// Upper-cases and checks a currency code against ISO 4217.
pub fn normalize_currency(code: &str) -> Result<String, MoneyParseError> {
    let upper = code.trim().to_ascii_uppercase();
    if currency_minor_units(&upper).is_some() {
        Ok(upper)
    } else {
        Err(MoneyParseError::UnknownCurrency(code.trim().to_string()))
    }
}

/// Number of minor-unit digits of an active ISO 4217 currency, or `None` if the code is unknown.
pub fn currency_minor_units(code: &str) -> Option<u8> {
    CURRENCIES.binary_search_by(|(c, _)| (*c).cmp(code)).ok().map(|i| CURRENCIES[i].1)
}

/// Active ISO 4217 codes with their minor units, sorted by code (binary searched above).
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYU", 2),
    ("UZS", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_table_is_sorted_for_binary_search() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn parses_decimals_exactly() {
        assert_eq!(parse_decimal_micros("1200.50"), Ok(1_200_500_000));
        assert_eq!(parse_decimal_micros("0.000001"), Ok(1));
        assert_eq!(parse_decimal_micros("-3.25"), Ok(-3_250_000));
        assert_eq!(parse_decimal_micros(".5"), Ok(500_000));
        assert_eq!(parse_decimal_micros("7"), Ok(7_000_000));
    }

    #[test]
    fn rejects_what_is_not_a_plain_decimal() {
        assert!(matches!(parse_decimal_micros("1,200.50"), Err(MoneyParseError::NotANumber(_))));
        assert!(matches!(parse_decimal_micros("12e3"), Err(MoneyParseError::NotANumber(_))));
        assert!(matches!(parse_decimal_micros("."), Err(MoneyParseError::NotANumber(_))));
        assert!(matches!(parse_decimal_micros("1.0000001"), Err(MoneyParseError::TooPrecise(_))));
        assert!(matches!(parse_decimal_micros("99999999999999999"), Err(MoneyParseError::TooLarge(_))));
        assert_eq!(parse_decimal_micros("  "), Err(MoneyParseError::Empty));
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(format_decimal_micros(1_200_500_000, 2), "1200.50");
        assert_eq!(format_decimal_micros(1_200_000_000, 0), "1200");
        assert_eq!(format_decimal_micros(-1, 2), "-0.000001");
        for micros in [0, 1, 999_999, 1_000_000, -12_345_678_901] {
            assert_eq!(parse_decimal_micros(&format_decimal_micros(micros, 2)), Ok(micros));
        }
    }

    #[test]
    fn money_checks_currency_and_displays_grouped() {
        let m = Money::parse("1234567.5", "usd").unwrap();
        assert_eq!(m.currency, "USD");
        assert_eq!(m.display(), "1,234,567.50 USD");
        assert_eq!(Money::parse("5", "JPY").unwrap().display(), "5 JPY");
        assert!(matches!(Money::parse("5", "XYZ"), Err(MoneyParseError::UnknownCurrency(_))));
    }
}
