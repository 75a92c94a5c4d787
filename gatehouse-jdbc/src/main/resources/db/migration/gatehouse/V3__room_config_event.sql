-- A room's event (Unix seconds; both 0: none): users who enqueue from prequeue_opens_at until
-- opens_at are registered, and their order is drawn at opens_at. Rooms saved before have none.
ALTER TABLE room_configs
    ADD COLUMN prequeue_opens_at bigint NOT NULL DEFAULT 0,
    ADD COLUMN opens_at          bigint NOT NULL DEFAULT 0;
