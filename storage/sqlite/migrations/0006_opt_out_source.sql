-- Who recorded an opt-out: the person (STOP; only START undoes it) or the provider (a
-- Telegram 403: they blocked the bot; a message from them later shows they unblocked it).
ALTER TABLE opt_outs ADD COLUMN by_provider INTEGER NOT NULL DEFAULT 0;
