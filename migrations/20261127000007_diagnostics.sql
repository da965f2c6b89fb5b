-- Contract render times for Help → Diagnostics: previews and PDFs, the newest 200 kept.
CREATE TABLE IF NOT EXISTS contract_render (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    template    TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('preview', 'pdf')),
    pages       INTEGER NOT NULL CHECK (pages >= 0),
    render_ms   INTEGER NOT NULL CHECK (render_ms >= 0)
);
