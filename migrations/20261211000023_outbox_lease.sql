-- A claim lease on outbox operations (issue 21). Two processes can drain one outbox at once (the
-- app's worker and `dealdesk-cli outbox drain`, or two CLIs). A process that started draining used
-- to put every `in_flight` operation back to `pending`, including one another live process was
-- sending, which then went out twice. Now a claim names its holder and lasts until a time the
-- holder keeps pushing back while its send runs: only a claim whose lease ran out (its process
-- died) is taken back (`LEASE` in core/outbox/src/lib.rs says how long, and why).

-- Who holds the claim: a random id each `Outbox` makes when it is created (one per process).
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
-- Until when (`time::format`, so text order is time order). NULL on an `in_flight` row: claimed
-- by a version without leases, so taken back like an expired lease (as that version did itself).
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
