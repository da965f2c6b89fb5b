-- Saved table views and app settings: UI state the user expects to find again, kept in the
-- database like everything else.

CREATE TABLE saved_view (
    id         TEXT PRIMARY KEY,
    object     TEXT NOT NULL CHECK (object IN ('person', 'company', 'deal', 'task')),
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    state      TEXT NOT NULL CHECK (json_valid(state)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (object, name)
);

CREATE TABLE setting (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL CHECK (json_valid(value)),
    updated_at TEXT NOT NULL
);

-- When a deal was won or lost (cleared when reopened): the dashboard's "won per month".
ALTER TABLE deal ADD COLUMN closed_at TEXT;
UPDATE deal SET closed_at = updated_at WHERE status IN ('won', 'lost');
CREATE INDEX deal_by_closed ON deal (status, closed_at) WHERE deleted_at IS NULL;
