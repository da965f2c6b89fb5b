//! Renders contract templates with Typst, in process and offline (decision 0014).
//!
//! A template is Typst markup. `{{deal.title}}` is shorthand for `#field("deal.title");` (the
//! semicolon ends the call, so text after it never continues the expression). Values reach Typst
//! as strings in `sys.inputs`, never as source: a name like `#set page(width: 1pt)` prints as
//! those characters. The prelude (`dealdesk.typ`, imported first) defines `field`, and the
//! signature blocks with each provider's anchor text (DocuSign anchor strings, Dropbox Sign text
//! tags) in white, so both providers place their fields on the same spot.

mod error;

pub use error::TypesetError;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Dict, IntoValue, Value};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

/// What the anchors in the rendered document are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorStyle {
    /// No anchors; missing merge fields show as highlighted placeholders (the editor's preview).
    Preview,
    /// `/sig1/`, `/date1/`, `/name1/` anchor strings.
    DocuSign,
    /// `[sig|req|signer1]`-style text tags.
    DropboxSign,
}

impl AnchorStyle {
    fn as_str(self) -> &'static str {
        match self {
            AnchorStyle::Preview => "preview",
            AnchorStyle::DocuSign => "docusign",
            AnchorStyle::DropboxSign => "dropbox-sign",
        }
    }
}

/// Everything a render needs: the template, the merge values and the signers.
#[derive(Debug, Clone)]
pub struct RenderInput<'a> {
    pub body: &'a str,
    pub fields: &'a BTreeMap<String, String>,
    /// (name, email) of each signer, in signing order.
    pub signers: &'a [(String, String)],
    pub anchors: AnchorStyle,
}

/// The most characters one merge value contributes (a longer value is cut with "…").
pub const MAX_FIELD_CHARS: usize = 2_000;
/// The longest run without a break opportunity; longer runs get zero-width spaces so a hostile
/// value (a 5,000-letter "word") wraps instead of running off the page.
const MAX_UNBROKEN: usize = 40;
/// The largest template accepted.
pub const MAX_TEMPLATE_BYTES: usize = 256 * 1024;
/// A contract is a few pages; anything longer is a runaway template.
pub const MAX_PAGES: usize = 60;

const PRELUDE_PATH: &str = "dealdesk.typ";
const MAIN_PATH: &str = "contract.typ";
/// The line the import takes at the top of the main file (errors are reported on the template's
/// own line numbers).
const IMPORT_LINE: &str = "#import \"dealdesk.typ\": *\n";

const PRELUDE: &str = r##"
#let dealdesk-fields = sys.inputs.at("fields", default: (:))
#let dealdesk-anchors = sys.inputs.at("anchors", default: "preview")
#let dealdesk-signers = sys.inputs.at("signers", default: ())

/// A merge field's value. A missing one stops the render, except in the preview, where it shows
/// as a highlighted placeholder.
#let field(name) = {
  let value = dealdesk-fields.at(name, default: none)
  if value != none {
    value
  } else if dealdesk-anchors == "preview" {
    highlight(fill: rgb("#fde68a"), "⟨" + name + "⟩")
  } else {
    panic("missing merge field " + name)
  }
}

/// Whether the deal has a value for a merge field (for optional sections).
#let has-field(name) = dealdesk-fields.at(name, default: none) != none

/// Invisible anchor text for the provider's field `kind` (sig, date, name) of signer `n`.
#let anchor(kind, n) = {
  let tag = if dealdesk-anchors == "docusign" {
    "/" + kind + str(n) + "/"
  } else if dealdesk-anchors == "dropbox-sign" {
    if kind == "sig" { "[sig|req|signer" + str(n) + "]" }
    else if kind == "date" { "[date|req|signer" + str(n) + "]" }
    else { "[text|noreq|signer" + str(n) + "|Name|name" + str(n) + "]" }
  } else { none }
  if tag != none { place(top + left, dy: -0.9em, text(size: 8pt, fill: white, tag)) }
}

/// The signature lines of signer `n` (1-based): signature, printed name and date.
#let signature-block(n, role: none) = {
  let signer = dealdesk-signers.at(n - 1, default: (name: "", email: ""))
  block(breakable: false, width: 100%, above: 2em)[
    #if role != none [*#role* #linebreak()]
    #grid(
      columns: (5.5em, 1fr),
      row-gutter: 1.6em,
      column-gutter: 0.6em,
      [Signature], [#anchor("sig", n)#line(length: 100%, stroke: 0.5pt)],
      [Name], [#anchor("name", n)#signer.name],
      [Date], [#anchor("date", n)#line(length: 100%, stroke: 0.5pt)],
    )
  ]
}

/// A signature block for every signer (one empty block when there are none yet).
#let signatures() = {
  for n in range(1, calc.max(dealdesk-signers.len(), 1) + 1) { signature-block(n) }
}
"##;

/// The fonts contracts use, from those Typst ships (fonts/README.md): Libertinus Serif for text,
/// DejaVu Sans Mono for raw text, New Computer Modern Math for a `$…$` a template writer types.
/// Compiled into the binary, so rendering never depends on the machine's fonts; the PDF embeds the
/// subsets it uses. Typst's other bundled faces are left out to keep the package small.
const BUNDLED_FONTS: [&[u8]; 9] = [
    include_bytes!("fonts/LibertinusSerif-Regular.otf"),
    include_bytes!("fonts/LibertinusSerif-Bold.otf"),
    include_bytes!("fonts/LibertinusSerif-Italic.otf"),
    include_bytes!("fonts/LibertinusSerif-BoldItalic.otf"),
    include_bytes!("fonts/NewCMMath-Regular.otf"),
    include_bytes!("fonts/DejaVuSansMono.ttf"),
    include_bytes!("fonts/DejaVuSansMono-Bold.ttf"),
    include_bytes!("fonts/DejaVuSansMono-Oblique.ttf"),
    include_bytes!("fonts/DejaVuSansMono-BoldOblique.ttf"),
];

/// The bundled fonts, parsed once.
static FONTS: LazyLock<(LazyHash<FontBook>, Vec<Font>)> = LazyLock::new(|| {
    let fonts: Vec<Font> = BUNDLED_FONTS.iter().flat_map(|data| Font::iter(Bytes::new(*data))).collect();
    let book = FontBook::from_fonts(&fonts);
    (LazyHash::new(book), fonts)
});

/// A rendered document.
pub struct Rendered {
    pub document: PagedDocument,
}

impl Rendered {
    pub fn page_count(&self) -> usize {
        self.document.pages().len()
    }

    pub fn pdf(&self) -> Result<Vec<u8>, TypesetError> {
        let options = typst_pdf::PdfOptions::default();
        typst_pdf::pdf(&self.document, &options).map_err(|errors| {
            TypesetError::Render(errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; "))
        })
    }

    pub fn svg_pages(&self) -> Vec<String> {
        let options = typst_svg::SvgOptions::default();
        self.document.pages().iter().map(|page| typst_svg::svg(page, &options)).collect()
    }
}

/// The merge field names a template uses, in order of first use: `{{name}}` and `field("name")`.
pub fn used_fields(body: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut push = |name: &str| {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    };
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                push(after[..end].trim());
                rest = &after[end + 2..];
            }
            None => break,
        }
    }
    let mut rest = body;
    while let Some(start) = rest.find("field(\"") {
        let after = &rest[start + 7..];
        match after.find('"') {
            Some(end) => {
                push(&after[..end]);
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    names
}

/// A merge field name: lowercase words joined by dots (`deal.title`, `company.custom.tier`).
pub fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 80
        && name.split('.').all(|part| {
            !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        })
}

/// Replaces each `{{name}}` by a call of the prelude's `field`. A `{{…}}` that is not a field
/// name stays as it is (and is reported as unknown by [`used_fields`]'s caller).
fn expand_placeholders(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 64);
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) if is_field_name(after[..end].trim()) => {
                out.push_str("#field(\"");
                out.push_str(after[..end].trim());
                out.push_str("\");");
                rest = &after[end + 2..];
            }
            _ => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Makes a merge value safe to print: control and invisible characters dropped (newlines kept),
/// cut to [`MAX_FIELD_CHARS`], and long unbroken runs given break opportunities.
pub fn clean_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len().min(MAX_FIELD_CHARS * 4));
    let mut count = 0;
    let mut run = 0;
    for c in value.chars() {
        if count >= MAX_FIELD_CHARS {
            out.push('…');
            break;
        }
        if c == '\r' || (c.is_control() && c != '\n') || dealdesk_model::text::is_invisible(c) {
            continue;
        }
        if c.is_whitespace() || c == '-' || c == '/' {
            run = 0;
        } else {
            run += 1;
            if run > MAX_UNBROKEN {
                out.push('\u{200B}');
                run = 1;
            }
        }
        out.push(c);
        if c == '/' || c == '[' {
            // A value cannot carry anchor text of its own (`/sig2/`, `[sig|req|signer1]`), which a
            // provider would turn into an extra signature field: a zero-width space after each
            // opener splits it (invisible in the document).
            out.push('\u{200B}');
        }
        count += 1;
    }
    out
}

/// Compiles a template into a laid-out document. CPU-bound (tens of milliseconds): call it from
/// `spawn_blocking` in async code.
pub fn render(input: &RenderInput<'_>) -> Result<Rendered, TypesetError> {
    if input.body.len() > MAX_TEMPLATE_BYTES {
        return Err(TypesetError::Invalid(format!(
            "the template is {} KiB; the limit is {} KiB",
            input.body.len() / 1024,
            MAX_TEMPLATE_BYTES / 1024
        )));
    }
    let world = ContractWorld::new(input);
    let warned = typst::compile::<PagedDocument>(&world);
    match warned.output {
        Ok(document) => {
            if document.pages().len() > MAX_PAGES {
                return Err(TypesetError::Render(format!(
                    "the document has {} pages; a contract may have at most {MAX_PAGES}",
                    document.pages().len()
                )));
            }
            Ok(Rendered { document })
        }
        Err(errors) => {
            let messages: Vec<String> = errors.iter().take(5).map(|e| world.describe(e)).collect();
            Err(TypesetError::Render(messages.join("; ")))
        }
    }
}

/// The Typst world of one render: the prelude, the template, the bundled fonts, today's date.
struct ContractWorld {
    library: LazyHash<Library>,
    main: Source,
    prelude: Source,
}

impl ContractWorld {
    fn new(input: &RenderInput<'_>) -> ContractWorld {
        let mut fields = Dict::new();
        for (name, value) in input.fields {
            fields.insert(name.as_str().into(), Value::Str(clean_value(value).into()));
        }
        let signers: Vec<Value> = input
            .signers
            .iter()
            .map(|(name, email)| {
                let mut signer = Dict::new();
                signer.insert("name".into(), Value::Str(clean_value(name).into()));
                signer.insert("email".into(), Value::Str(clean_value(email).into()));
                Value::Dict(signer)
            })
            .collect();
        let mut inputs = Dict::new();
        inputs.insert("fields".into(), Value::Dict(fields));
        inputs.insert("anchors".into(), input.anchors.as_str().into_value());
        inputs.insert("signers".into(), Value::Array(signers.into_iter().collect()));
        let library = Library::builder().with_inputs(inputs).build();
        let main_text = format!("{IMPORT_LINE}{}", expand_placeholders(input.body));
        ContractWorld {
            library: LazyHash::new(library),
            main: Source::new(file_id(MAIN_PATH), main_text),
            prelude: Source::new(file_id(PRELUDE_PATH), PRELUDE.to_string()),
        }
    }

    /// "line N: message" on the template's own line numbers.
    fn describe(&self, error: &typst::diag::SourceDiagnostic) -> String {
        use typst::WorldExt;
        let line = self.range(error.span).and_then(|range| match error.span.get() {
            typst::syntax::DiagSpanKind::Number { id, .. } | typst::syntax::DiagSpanKind::Range { id, .. }
                if id == self.main.id() =>
            {
                self.main.lines().byte_to_line(range.start)
            }
            _ => None,
        });
        let message = error.message.replace("panicked with: ", "");
        let message = message.trim_matches('"').to_string();
        match line {
            // Line 0 is the import line.
            Some(line) if line > 0 => format!("line {line}: {message}"),
            _ => message,
        }
    }
}

fn file_id(path: &str) -> FileId {
    // The paths are constants; a failure here would be a bug caught by every test.
    let vpath = VirtualPath::new(path).unwrap_or_else(|_| unreachable_path(path));
    FileId::new(RootedPath::new(VirtualRoot::Project, vpath))
}

#[cold]
fn unreachable_path(path: &str) -> VirtualPath {
    tracing::error!(path, "a constant Typst path did not parse");
    VirtualPath::new("contract.typ").unwrap_or_else(|_| std::process::abort())
}

impl World for ContractWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.0
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.prelude.id() {
            Ok(self.prelude.clone())
        } else {
            // Templates cannot read files: a contract only shows what Dealdesk hands it.
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.source(id).map(|source| Bytes::from_string(source.text().to_string()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.1.get(index).cloned()
    }

    fn today(&self, offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        use chrono::Datelike;
        let date = match offset {
            Some(offset) => (chrono::Utc::now() + chrono::Duration::seconds(offset.seconds() as i64)).date_naive(),
            None => chrono::Local::now().date_naive(),
        };
        Datetime::from_ymd(date.year(), date.month() as u8, date.day() as u8)
    }
}

/// Converts a PDF (a signed contract from a provider) to one SVG per page, for viewing inside the
/// app without writing the PDF anywhere. At most [`MAX_PAGES`] pages are converted.
pub fn pdf_to_svg(pdf: &[u8]) -> Result<Vec<String>, TypesetError> {
    let document = hayro_syntax::Pdf::new(std::sync::Arc::new(pdf.to_vec()))
        .map_err(|e| TypesetError::Render(format!("the PDF cannot be read: {e:?}")))?;
    let cache = hayro_svg::RenderCache::new();
    let interpreter = hayro_interpret::InterpreterSettings::default();
    let settings = hayro_svg::SvgRenderSettings { bg_color: [255, 255, 255, 255] };
    Ok(document
        .pages()
        .iter()
        .take(MAX_PAGES)
        .map(|page| hayro_svg::convert(page, &cache, &interpreter, &settings))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_lose_controls_and_cannot_carry_anchors() {
        let cleaned = clean_value("Eve\u{202E}\u{0007} /sig2/ [sig|req|signer1]");
        assert!(!cleaned.contains('\u{202E}') && !cleaned.contains('\u{0007}'));
        assert!(!cleaned.contains("/sig2/") && !cleaned.contains("[sig|"), "{cleaned:?}");
        assert_eq!(cleaned.replace('\u{200B}', ""), "Eve /sig2/ [sig|req|signer1]");
        let long = clean_value(&"x".repeat(100));
        assert!(long.contains('\u{200B}'), "long runs get break opportunities");
        assert!(clean_value(&"y".repeat(MAX_FIELD_CHARS + 10)).ends_with('…'));
    }

    #[test]
    fn the_bundled_fonts_cover_text_bold_italic_raw_and_math() {
        let (book, fonts) = &*FONTS;
        assert_eq!(fonts.len(), BUNDLED_FONTS.len(), "every bundled file parses");
        for family in ["libertinus serif", "new computer modern math", "dejavu sans mono"] {
            assert!(book.contains_family(family), "{family} is bundled");
        }
        let body = "*Total:* _net_ `INV-7` costs $500 + $ $x^2$ per month.";
        let rendered =
            render(&RenderInput { body, fields: &BTreeMap::new(), signers: &[], anchors: AnchorStyle::DocuSign })
                .expect("renders with the bundled fonts only");
        assert_eq!(rendered.page_count(), 1);
    }

    #[test]
    fn placeholders_expand_to_field_calls_and_odd_braces_stay_text() {
        assert_eq!(expand_placeholders("Hi {{ contact.name }}."), "Hi #field(\"contact.name\");.");
        assert_eq!(expand_placeholders("{{not a field}}"), "{{not a field}}");
        assert_eq!(used_fields("{{a.b}} #field(\"c.d\") {{a.b}}"), vec!["a.b".to_string(), "c.d".to_string()]);
    }
}
