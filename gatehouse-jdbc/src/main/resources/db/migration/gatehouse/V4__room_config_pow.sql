-- The proof of work a room asks of a visitor before queueing them: leading zero bits of SHA-256
-- (0: none). Rooms saved before ask none.
ALTER TABLE room_configs
    ADD COLUMN pow_difficulty bigint NOT NULL DEFAULT 0;
