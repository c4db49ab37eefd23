-- egca schema 7: the audit key and signed checkpoints of the audit
-- chain's head (audit/), and indexes for the auditor's filters.
--
-- audit_key: the public half of each SM2 audit key (the private key is
-- DIR/keys/audit.key); id is the hex SM3 of spki_der.
-- audit_checkpoint: at seq, the chain's event hash was head_hash; signed
-- at ts with key key_id over the encoding in include/egca/audit.h.
-- A log that ends before the newest checkpoint was truncated.

CREATE TABLE audit_key (
	id TEXT NOT NULL PRIMARY KEY,
	spki_der BYTEA NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE TABLE audit_checkpoint (
	seq BIGINT NOT NULL PRIMARY KEY CHECK (seq > 0),
	head_hash TEXT NOT NULL,
	ts BIGINT NOT NULL,
	key_id TEXT NOT NULL REFERENCES audit_key (id),
	signature BYTEA NOT NULL
);

CREATE INDEX audit_event_ts ON audit_event (ts);
CREATE INDEX audit_event_actor ON audit_event (actor);
