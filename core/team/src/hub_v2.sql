-- Hub schema version 2 (docs/team.md, "Versions"): the hub checks the clock itself. A change stamped
-- more than 60 seconds ahead of the hub's clock is refused (SQLSTATE 22008), whatever the desktop
-- checked before pushing: such a desktop would win every conflict it takes part in. Applied by
-- `team init` on a new hub, and on a version 1 hub by its owner (`team upgrade-hub`), in one
-- transaction.

-- The wall-clock time of a stamp: its first 8 hex digits are the seconds since 1970 (the HLC's
-- NTP64 time, `store::clock`).
CREATE FUNCTION dealdesk.hlc_time(hlc text) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog
AS $$ SELECT to_timestamp(('x' || substring(hlc FROM 1 FOR 8))::bit(32)::bigint) $$;

CREATE OR REPLACE FUNCTION dealdesk.push(ws uuid, changes jsonb) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
DECLARE
    first bigint;
    added bigint;
    ahead interval;
BEGIN
    IF NOT ws IN (SELECT dealdesk.my_writable_workspaces()) THEN
        RAISE EXCEPTION 'role % may not write to workspace %', session_user, ws
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT max(dealdesk.hlc_time(c.hlc)) - now() INTO ahead FROM jsonb_to_recordset(changes) AS c(hlc text);
    IF ahead > interval '60 seconds' THEN
        RAISE EXCEPTION 'a change is stamped % s ahead of the hub''s clock (60 s allowed)',
            round(extract(epoch FROM ahead))
            USING ERRCODE = 'datetime_field_overflow';
    END IF;
    SELECT last_seq INTO first FROM dealdesk.workspace WHERE id = ws FOR UPDATE;
    INSERT INTO dealdesk.node (workspace_id, node, role_name)
    SELECT DISTINCT ws, c.node, session_user FROM jsonb_to_recordset(changes) AS c(node text)
    ON CONFLICT DO NOTHING;
    IF EXISTS (SELECT 1 FROM jsonb_to_recordset(changes) AS c(node text)
               JOIN dealdesk.node n ON n.workspace_id = ws AND n.node = c.node
               WHERE n.role_name != session_user) THEN
        RAISE EXCEPTION 'another member''s desktop pushes as this node'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO dealdesk.change (workspace_id, seq, node, node_seq, hlc, record_kind, record_id, op, field, value, author)
    SELECT ws, first + row_number() OVER (ORDER BY c.node, c.node_seq), c.node, c.node_seq, c.hlc, c.record_kind,
           c.record_id, c.op, c.field, c.value, session_user
    FROM jsonb_to_recordset(changes) AS c(node text, node_seq bigint, hlc text, record_kind text, record_id text,
                                          op text, field text, value jsonb)
    WHERE NOT EXISTS (SELECT 1 FROM dealdesk.change x
                      WHERE x.workspace_id = ws AND x.node = c.node AND x.node_seq = c.node_seq);
    GET DIAGNOSTICS added = ROW_COUNT;
    UPDATE dealdesk.workspace SET last_seq = first + added WHERE id = ws;
    RETURN added;
END
$$;

REVOKE ALL ON FUNCTION dealdesk.hlc_time(text) FROM PUBLIC;
UPDATE dealdesk.hub SET schema_version = 2 WHERE id = 1;
