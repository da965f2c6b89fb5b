//! A small `multipart/form-data` reader (RFC 7578) for Dropbox Sign uploads, so the sandbox needs no
//! multipart dependency. It reads whole buffered bodies.

use serde_json::{Map, Value, json};

/// One part of a form: a field or a file.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

impl Part {
    /// The content as text (invalid UTF-8 replaced), for plain fields.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// The boundary of a `multipart/form-data` content type, `None` for any other type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .split(';')
        .find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_string())
        })
        .filter(|b| !b.is_empty())
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() {
        return None;
    }
    haystack[from..].windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

/// The parts of `body`, in order. `Err` says what is malformed.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let next_delimiter = [b"\r\n".as_slice(), delimiter].concat();
    let mut at = find(body, delimiter, 0).ok_or("the body has no boundary")?;
    let mut parts = Vec::new();
    loop {
        at += delimiter.len();
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        // The rest of the boundary line is transport padding.
        at = find(body, b"\r\n", at).ok_or("the body ends after a boundary")? + 2;
        let (headers, content_at) = if body[at..].starts_with(b"\r\n") {
            (&body[at..at], at + 2)
        } else {
            let end = find(body, b"\r\n\r\n", at).ok_or("a part's headers never end")?;
            (&body[at..end], end + 4)
        };
        let end = find(body, &next_delimiter, content_at).ok_or("the body has no closing boundary")?;
        let mut part = Part { name: String::new(), filename: None, content_type: None, data: Vec::new() };
        for line in String::from_utf8_lossy(headers).split("\r\n") {
            let Some((name, value)) = line.split_once(':') else { continue };
            if name.trim().eq_ignore_ascii_case("content-disposition") {
                let params = disposition_params(value);
                let param = |key: &str| {
                    // An RFC 8187 `key*=utf-8''…` (reqwest sends names that way when it percent-encodes them)
                    // wins over a plain `key=…`.
                    let extended = params.iter().find(|(k, _)| k.strip_suffix('*') == Some(key));
                    extended
                        .map(|(_, v)| decode_extended(v))
                        .or_else(|| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
                };
                if let Some(name) = param("name") {
                    part.name = name;
                }
                part.filename = param("filename");
            } else if name.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_string());
            }
        }
        if part.name.is_empty() {
            return Err("a part has no name in its Content-Disposition".into());
        }
        part.data = body[content_at..end].to_vec();
        parts.push(part);
        at = end + 2;
    }
}

/// `form-data; name="a;b"; filename="x.pdf"` → [("name","a;b"),("filename","x.pdf")]; keys lowercased.
fn disposition_params(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    // Skip the disposition type.
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() {
            return out;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut v = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => v.extend(chars.next()),
                    '"' => break,
                    _ => v.push(c),
                }
            }
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
            }
        } else {
            v = chars.by_ref().take_while(|c| *c != ';').collect::<String>().trim().to_string();
        }
        out.push((key, v));
    }
}

/// `utf-8'lang'percent-encoded` → the text (other charsets are read as UTF-8 too).
fn decode_extended(value: &str) -> String {
    let encoded = value.splitn(3, '\'').nth(2).unwrap_or(value);
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The form as JSON for the request log: field name → text, files as `{"filename","content_type","size"}`;
/// a name sent more than once maps to an array of its values.
pub fn form_json(parts: &[Part]) -> Value {
    let mut map = Map::new();
    for part in parts {
        let value = match &part.filename {
            Some(filename) => json!({
                "filename": filename,
                "content_type": part.content_type,
                "size": part.data.len(),
            }),
            None => Value::String(part.text()),
        };
        match map.get_mut(&part.name) {
            None => {
                map.insert(part.name.clone(), value);
            }
            Some(existing) => {
                let first = existing.take();
                *existing = match first {
                    Value::Array(mut values) => {
                        values.push(value);
                        Value::Array(values)
                    }
                    first => Value::Array(vec![first, value]),
                };
            }
        }
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_files() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nNDA; v2\r\n\
--XyZ  \r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"a \\\"b\\\".pdf\"\r\n\
Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--not\r\n--XyZ--\r\n";
        assert_eq!(boundary("multipart/form-data; boundary=\"XyZ\"").as_deref(), Some("XyZ"));
        assert_eq!(boundary("application/json"), None);
        let parts = parse(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].text().as_str()), ("title", "NDA; v2"));
        assert_eq!(parts[1].filename.as_deref(), Some("a \"b\".pdf"));
        assert_eq!(parts[1].data, b"%PDF-1.4\r\n--not");
        let form = form_json(&parts);
        assert_eq!(form["files[0]"]["size"], 15);
        assert_eq!(form["title"], "NDA; v2");
        assert!(parse(b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx", "XyZ").is_err());
        let encoded =
            b"--B\r\nContent-Disposition: form-data; name*=utf-8''signers%5B0%5D%5Bname%5D\r\n\r\nAnn\r\n--B--";
        let parts = parse(encoded, "B").unwrap();
        assert_eq!((parts[0].name.as_str(), parts[0].text().as_str()), ("signers[0][name]", "Ann"));
        assert_eq!(decode_extended("UTF-8'en'Zo%C3%AB%2"), "Zo\u{eb}%2");
    }
}
