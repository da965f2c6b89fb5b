//! Notes are markdown. Rendering never lets a note inject markup or script: raw HTML is shown as
//! text, and links other than http(s) and mailto become inert.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
}

/// Markdown to HTML that is safe to put in the page.
pub fn to_safe_html(markdown: &str) -> String {
    let parser =
        Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS).map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            Event::Start(Tag::Link { link_type, dest_url, title, id }) if !safe_url(&dest_url) => {
                Event::Start(Tag::Link { link_type, dest_url: CowStr::from("#"), title, id })
            }
            Event::Start(Tag::Image { link_type, title, id, .. }) => {
                // No remote images in notes: show the alt text instead.
                Event::Start(Tag::Link { link_type, dest_url: CowStr::from("#"), title, id })
            }
            other => other,
        });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown() {
        let html = to_safe_html("**bold** and [site](https://x.io)\n\n- item");
        assert!(html.contains("<strong>bold</strong>"));
        assert!(html.contains("href=\"https://x.io\""));
        assert!(html.contains("<li>item</li>"));
    }

    #[test]
    fn hostile_notes_stay_text() {
        let html = to_safe_html(
            "<script>alert(1)</script>\n\ntext <img src=x onerror=alert(1)>\n\n[x](javascript:alert(1)) ![y](https://evil.example/t.png)",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("<a href=\"#\">x</a>"), "{html}");
    }
}
