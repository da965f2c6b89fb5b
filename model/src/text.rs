//! Pure text helpers shared by layers that do not know each other (the prompt builder quotes with
//! them, the contract renderer cleans with them).

/// Unicode format (Cf) characters and variation selectors: invisible, and able to hide or reorder
/// text a reader of the record never sees.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}' | '\u{08E2}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0001}' | '\u{E0020}'..='\u{E007F}' | '\u{E0100}'..='\u{E01EF}')
}

#[cfg(test)]
mod tests {
    use super::is_invisible;

    #[test]
    fn format_characters_are_invisible_and_letters_are_not() {
        for c in ['\u{200B}', '\u{202E}', '\u{2066}', '\u{FEFF}', '\u{E0041}', '\u{FE0F}'] {
            assert!(is_invisible(c), "{:?}", c);
        }
        for c in ['a', 'é', '€', ' ', '\n', '中'] {
            assert!(!is_invisible(c), "{:?}", c);
        }
    }
}
