//! Bytes of a CSV file to text: UTF-8 (with or without BOM), UTF-16 with a BOM, or a named
//! encoding. Anything else is refused with the line of the first bad byte, never guessed.

use super::ImportError;
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE};

pub(crate) fn decode(bytes: &[u8], encoding: Option<&str>) -> Result<String, ImportError> {
    if let Some(label) = encoding {
        let encoding = Encoding::for_label(label.trim().as_bytes())
            .ok_or_else(|| ImportError::UnknownEncoding(label.to_string()))?;
        let (text, _, had_errors) = encoding.decode(bytes);
        if had_errors {
            return Err(ImportError::BadEncoding { encoding: encoding.name().to_string() });
        }
        return Ok(text.into_owned());
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return utf8(rest);
    }
    for (bom, encoding) in [([0xFF, 0xFE], UTF_16LE), ([0xFE, 0xFF], UTF_16BE)] {
        if bytes.starts_with(&bom) {
            let (text, had_errors) = encoding.decode_with_bom_removal(bytes);
            if had_errors {
                return Err(ImportError::BadEncoding { encoding: encoding.name().to_string() });
            }
            return Ok(text.into_owned());
        }
    }
    utf8(bytes)
}

fn utf8(bytes: &[u8]) -> Result<String, ImportError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(error) => {
            let line = bytes[..error.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u64 + 1;
            Err(ImportError::NotUtf8 { line })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_utf8_with_bom_and_utf16() {
        assert_eq!(decode(b"\xEF\xBB\xBFa,b", None).unwrap(), "a,b");
        let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain("é,x".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(decode(&utf16, None).unwrap(), "é,x");
    }

    #[test]
    fn refuses_latin1_unless_named() {
        let latin1 = b"name\nJos\xE9\n";
        assert!(matches!(decode(latin1, None), Err(ImportError::NotUtf8 { line: 2 })));
        assert_eq!(decode(latin1, Some("windows-1252")).unwrap(), "name\nJosé\n");
        assert!(matches!(decode(latin1, Some("klingon")), Err(ImportError::UnknownEncoding(_))));
    }
}
