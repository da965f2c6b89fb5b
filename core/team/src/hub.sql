-- The team hub's schema (docs/team.md), installed by `team init` as the database's owner, in one
-- transaction. Several workspaces may share one database: row-level security limits every member
-- role to the workspaces it belongs to. Members connect as their own roles, which belong to
-- `dealdesk_writer` (owner, member) or `dealdesk_reader` (read-only); the owner's `team init`
-- creates those two group roles when the server has none yet.

CREATE SCHEMA dealdesk;
REVOKE ALL ON SCHEMA dealdesk FROM PUBLIC;

-- The hub's schema version: a desktop older than the hub stops syncing ("update Dealdesk").
CREATE TABLE dealdesk.hub (
    id             integer PRIMARY KEY CHECK (id = 1),
    schema_version integer NOT NULL
);

-- `last_seq`: the last change's number; its row lock orders pushes (see `dealdesk.push`).
CREATE TABLE dealdesk.workspace (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seq   bigint NOT NULL DEFAULT 0
);

-- Who may connect to a workspace, as which role, with which rights. `removed_at`: the owner
-- removed them; their role is disabled too, and every policy below stops answering at once.
CREATE TABLE dealdesk.member (
    workspace_id uuid NOT NULL REFERENCES dealdesk.workspace (id),
    role_name    text NOT NULL,
    email        text NOT NULL,
    access       text NOT NULL CHECK (access IN ('owner', 'member', 'read_only')),
    invited_at   timestamptz NOT NULL DEFAULT now(),
    joined_at    timestamptz,
    removed_at   timestamptz,
    PRIMARY KEY (workspace_id, role_name),
    UNIQUE (workspace_id, email)
);

-- Every change pushed, numbered in the hub's commit order per workspace: `seq` has no gaps, and a
-- later one never commits before an earlier one, so a pull that reads past `seq` misses nothing.
-- `(node, node_seq)` makes a push repeated after a crash change nothing.
CREATE TABLE dealdesk.change (
    workspace_id uuid NOT NULL REFERENCES dealdesk.workspace (id),
    seq          bigint NOT NULL,
    node         text NOT NULL,
    node_seq     bigint NOT NULL,
    hlc          text NOT NULL,
    record_kind  text NOT NULL,
    record_id    text NOT NULL,
    op           text NOT NULL,
    field        text,
    value        jsonb,
    author       text NOT NULL,
    pushed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, seq),
    UNIQUE (workspace_id, node, node_seq)
);

-- Which role pushes for a node (a desktop): claimed by the node's first push, so nobody can push
-- under another desktop's name (and make the hub skip that desktop's own changes as repeats).
CREATE TABLE dealdesk.node (
    workspace_id uuid NOT NULL REFERENCES dealdesk.workspace (id),
    node         text NOT NULL,
    role_name    text NOT NULL,
    PRIMARY KEY (workspace_id, node)
);
ALTER TABLE dealdesk.node ENABLE ROW LEVEL SECURITY;

-- The workspaces of the connected role (`session_user`: the functions run as their definer), and
-- those it may write to. Policies read them once per query, not once per row.
CREATE FUNCTION dealdesk.my_workspaces() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
AS $$ SELECT workspace_id FROM dealdesk.member WHERE role_name = session_user AND removed_at IS NULL $$;

CREATE FUNCTION dealdesk.my_writable_workspaces() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
AS $$
    SELECT workspace_id FROM dealdesk.member
    WHERE role_name = session_user AND removed_at IS NULL AND access IN ('owner', 'member')
$$;

ALTER TABLE dealdesk.workspace ENABLE ROW LEVEL SECURITY;
CREATE POLICY member_reads ON dealdesk.workspace FOR SELECT USING (id IN (SELECT dealdesk.my_workspaces()));
ALTER TABLE dealdesk.member ENABLE ROW LEVEL SECURITY;
CREATE POLICY member_reads ON dealdesk.member FOR SELECT USING (workspace_id IN (SELECT dealdesk.my_workspaces()));
ALTER TABLE dealdesk.change ENABLE ROW LEVEL SECURITY;
CREATE POLICY member_reads ON dealdesk.change FOR SELECT USING (workspace_id IN (SELECT dealdesk.my_workspaces()));

-- A push: the changes new to the hub (by node and node_seq) numbered after the workspace's last,
-- in one statement, under the workspace row's lock; returns how many were new. Refused for a
-- read-only member, a removed one, and anyone else, by the database.
CREATE FUNCTION dealdesk.push(ws uuid, changes jsonb) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
DECLARE
    first bigint;
    added bigint;
BEGIN
    IF NOT ws IN (SELECT dealdesk.my_writable_workspaces()) THEN
        RAISE EXCEPTION 'role % may not write to workspace %', session_user, ws
            USING ERRCODE = 'insufficient_privilege';
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

-- A member's first connection with the join code's one-time password marks them joined.
CREATE FUNCTION dealdesk.joined(ws uuid) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
AS $$
    UPDATE dealdesk.member SET joined_at = coalesce(joined_at, now())
    WHERE workspace_id = ws AND role_name = session_user AND removed_at IS NULL
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dealdesk FROM PUBLIC;
GRANT USAGE ON SCHEMA dealdesk TO dealdesk_reader, dealdesk_writer;
GRANT SELECT ON dealdesk.hub, dealdesk.workspace, dealdesk.member, dealdesk.change TO dealdesk_reader, dealdesk_writer;
GRANT EXECUTE ON FUNCTION dealdesk.my_workspaces(), dealdesk.joined(uuid) TO dealdesk_reader, dealdesk_writer;
GRANT EXECUTE ON FUNCTION dealdesk.my_writable_workspaces(), dealdesk.push(uuid, jsonb) TO dealdesk_writer;
