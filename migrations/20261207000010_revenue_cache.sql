-- The revenue desk's results, kept until the data under them changes (docs/revenue.md, "Speed").
-- Every write to a table a figure reads bumps one version number (row triggers: a few
-- microseconds a row), and a cached result is used only while its version is the current one.

CREATE TABLE revenue_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO revenue_version (id, version) VALUES (1, 0);

CREATE TABLE revenue_cache (
    key        TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    -- the hour the figures were taken at ("now" moves: a result is reused within its hour)
    hour       TEXT NOT NULL,
    value      TEXT NOT NULL CHECK (json_valid(value))
);

CREATE TRIGGER revenue_payment_insert AFTER INSERT ON whop_payment BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_payment_update AFTER UPDATE ON whop_payment BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_payment_delete AFTER DELETE ON whop_payment BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_membership_insert AFTER INSERT ON whop_membership BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_membership_update AFTER UPDATE ON whop_membership BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_membership_delete AFTER DELETE ON whop_membership BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_plan_insert AFTER INSERT ON whop_plan BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_plan_update AFTER UPDATE ON whop_plan BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_plan_delete AFTER DELETE ON whop_plan BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_refund_insert AFTER INSERT ON whop_refund BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_refund_update AFTER UPDATE ON whop_refund BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_refund_delete AFTER DELETE ON whop_refund BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_product_insert AFTER INSERT ON whop_product BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_product_update AFTER UPDATE OF title ON whop_product BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_member_insert AFTER INSERT ON whop_member BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_member_update AFTER UPDATE OF name, email ON whop_member BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_whop_person_insert AFTER INSERT ON whop_person BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_whop_person_delete AFTER DELETE ON whop_person BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_person_name AFTER UPDATE OF first_name, last_name ON person BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_account_insert AFTER INSERT ON whop_account BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_account_delete AFTER DELETE ON whop_account BEGIN UPDATE revenue_version SET version = version + 1; END;
