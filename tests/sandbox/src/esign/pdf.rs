//! Minimal one-page PDFs (PDF 1.4, Helvetica, a correct cross-reference table) for the signed copies
//! and certificates the e-sign routes hand out.

use std::fmt::Write as _;

/// The most lines that fit on one page at the sizes below; the rest are cut.
const MAX_LINES: usize = 44;
/// Characters per line before it is cut (Helvetica 11 pt on a Letter page with 72 pt margins).
const MAX_CHARS: usize = 95;

/// A PDF with `title` in 18 pt and `lines` in 11 pt below it. It starts with `%PDF-` and ends with
/// `%%EOF` (no newline after it). Characters outside printable ASCII become `?`.
pub fn render(title: &str, lines: &[String]) -> Vec<u8> {
    let mut content = format!("BT /F1 18 Tf 72 720 Td ({}) Tj /F1 11 Tf 14 TL 0 -12 Td\n", text(title));
    for line in lines.iter().take(MAX_LINES) {
        let _ = writeln!(content, "T* ({}) Tj", text(line));
    }
    content.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> \
         /Contents 4 0 R >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref_at = out.len();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(xref, "{offset:010} 00000 n ");
    }
    let _ = write!(xref, "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF", objects.len() + 1);
    out.extend_from_slice(xref.as_bytes());
    out
}

/// A PDF string literal's content: printable ASCII with `\`, `(` and `)` escaped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().take(MAX_CHARS) {
        match c {
            '\\' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed() {
        let pdf = render("Signed (copy)", &["Signed by Ann <ann@x.test>".into(), "Zoë \\ done".into()]);
        assert!(pdf.starts_with(b"%PDF-1.4"));
        assert!(pdf.ends_with(b"%%EOF"));
        // Byte offsets survive: the binary comment's bytes become one `?` each.
        let s: String = pdf.iter().map(|&b| if b.is_ascii() { b as char } else { '?' }).collect();
        assert!(s.contains("(Signed \\(copy\\)) Tj") && s.contains("(Zo? \\\\ done) Tj"));
        // Every xref entry points at its object.
        let xref_at: usize = s.split("startxref\n").nth(1).unwrap().trim_end_matches("\n%%EOF").parse().unwrap();
        assert!(s[xref_at..].starts_with("xref"));
        for (i, entry) in s[xref_at..].lines().skip(3).take(5).enumerate() {
            let offset: usize = entry[..10].parse().unwrap();
            assert!(s[offset..].starts_with(&format!("{} 0 obj", i + 1)), "object {}", i + 1);
        }
    }
}
