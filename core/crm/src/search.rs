//! Global full-text search over people, companies, deals and notes (FTS5, prefix matching, case
//! and accent folding by the `unicode61 remove_diacritics 2` tokenizer).

use super::{Crm, CrmError, rows};
use dealdesk_model::{RecordKind, RecordRef, SearchHit};

/// Most words of a query that are used.
const MAX_TERMS: usize = 8;
/// Longest word kept; longer ones are cut (a prefix of a prefix still matches).
const MAX_TERM_CHARS: usize = 64;
pub const DEFAULT_SEARCH_LIMIT: u32 = 20;
pub const MAX_SEARCH_LIMIT: u32 = 200;

/// Turns what a user typed into an FTS5 query where every word is a quoted prefix, so FTS5
/// operators and punctuation in the input are inert: `ann "lee` becomes `"ann"* "lee"*`.
/// `None` when the input has no word characters.
pub fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .take(MAX_TERMS)
        .map(|t| format!("\"{}\"*", t.chars().take(MAX_TERM_CHARS).collect::<String>()))
        .collect();
    if terms.is_empty() { None } else { Some(terms.join(" ")) }
}

/// Matches ranked per kind: the newest this many. Ranking (bm25) every match of a two-letter
/// prefix in 100k records costs tens of milliseconds; ranking the newest few hundred keeps search
/// under 10 ms and still finds anything a longer query narrows down (docs/decisions/0004).
pub const SEARCH_CANDIDATES: i64 = 200;

/// `?1` the FTS query, `?2` the result limit, `?3` candidates per kind.
const SEARCH_SQL: &str = "\
SELECT kind, id, title, subtitle, rank FROM (
  SELECT 'person' AS kind, p.id, trim(p.first_name || ' ' || p.last_name) AS title,
         coalesce(p.email, p.job_title) AS subtitle, f.rank AS rank
  FROM (SELECT rowid AS rid, rank FROM person_fts WHERE person_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?3) f
  JOIN person p ON p.rid = f.rid ORDER BY f.rank LIMIT ?2)
UNION ALL SELECT kind, id, title, subtitle, rank FROM (
  SELECT 'company' AS kind, c.id, c.name AS title, c.domain AS subtitle, f.rank AS rank
  FROM (SELECT rowid AS rid, rank FROM company_fts WHERE company_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?3) f
  JOIN company c ON c.rid = f.rid ORDER BY f.rank LIMIT ?2)
UNION ALL SELECT kind, id, title, subtitle, rank FROM (
  SELECT 'deal' AS kind, d.id, d.name AS title, s.name AS subtitle, f.rank AS rank
  FROM (SELECT rowid AS rid, rank FROM deal_fts WHERE deal_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?3) f
  JOIN deal d ON d.rid = f.rid JOIN stage s ON s.id = d.stage_id ORDER BY f.rank LIMIT ?2)
UNION ALL SELECT kind, id, title, subtitle, rank FROM (
  SELECT 'note' AS kind, n.id, substr(n.body, 1, 80) AS title, NULL AS subtitle, f.rank AS rank
  FROM (SELECT rowid AS rid, rank FROM note_fts WHERE note_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?3) f
  JOIN note n ON n.rid = f.rid ORDER BY f.rank LIMIT ?2)
ORDER BY rank LIMIT ?2";

impl Crm {
    /// The best matches across people, companies, deals and notes, best first.
    pub async fn search(&self, text: &str, limit: Option<u32>) -> Result<Vec<SearchHit>, CrmError> {
        let Some(query) = fts_query(text) else {
            return Ok(Vec::new());
        };
        let limit = limit.unwrap_or(DEFAULT_SEARCH_LIMIT).clamp(1, MAX_SEARCH_LIMIT);
        let found: Vec<(String, String, String, Option<String>, f64)> = sqlx::query_as(SEARCH_SQL)
            .bind(query)
            .bind(i64::from(limit))
            .bind(SEARCH_CANDIDATES)
            .fetch_all(self.store.pool())
            .await?;
        found
            .into_iter()
            .map(|(kind, id, title, subtitle, rank)| {
                let kind = RecordKind::parse(&kind).ok_or_else(|| CrmError::Corrupt(format!("kind {kind}")))?;
                let title = if kind == RecordKind::Note { super::notes::excerpt(&title, 80) } else { title };
                Ok(SearchHit { record: RecordRef { kind, id: rows::parse_uuid("id", &id)? }, title, subtitle, rank })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn user_text_becomes_quoted_prefixes() {
        assert_eq!(fts_query("Ann  lee").as_deref(), Some("\"Ann\"* \"lee\"*"));
        assert_eq!(fts_query("ann\" OR x:*").as_deref(), Some("\"ann\"* \"OR\"* \"x\"*"));
        assert_eq!(fts_query("ann@acme.io").as_deref(), Some("\"ann\"* \"acme\"* \"io\"*"));
        assert_eq!(fts_query("  -- ** "), None);
        assert_eq!(fts_query("Zoë").as_deref(), Some("\"Zoë\"*"));
    }
}
