-- egca schema 8: the key management centre (km/, docs/km.md).
--
-- The KM has a data directory and a store of its own; it opens them
-- with the same migration list as a CA, so the CA tables exist there
-- and stay empty, and the CA's store has these tables, empty. Nothing
-- here is secret in itself: the master key is never stored (only a
-- check value), custodian shares never (only per-share check values),
-- escrowed private keys only wrapped (AES-256-GCM under a data key
-- derived from the master key).
--
-- km_master: the one row of this KM: its id, the SM3 key check value
-- of the master key and the custodian threshold (M of N).
-- km_share_check: per custodian share index, SM3 over the KM id, the
-- index and the share (a wrong share is refused when entered).
-- km_trust: CA certificates allowed to send requests (trust list);
-- looked up by the SM3 of the certificate's public key (EntName).
-- escrowed_key: generated encryption key pairs (GM/T 0014 escrow and
-- archive); (ca, cert_no) is the userCertNO of the requesting CA.
-- Revoked keys stay until retain_until.
-- km_task: every authenticated request's task number, never reused
-- (replay protection).
-- km_judicial, km_judicial_approval: judicial recovery requests and the
-- KM officers' approvals, bound to the request digest.

CREATE TABLE km_master (
	km_id TEXT NOT NULL PRIMARY KEY CHECK (length(km_id) = 32),
	kcv TEXT NOT NULL CHECK (length(kcv) = 64),
	threshold INTEGER NOT NULL CHECK (threshold >= 2),
	custodians INTEGER NOT NULL CHECK (custodians <= 16),
	created_at BIGINT NOT NULL,
	CHECK (custodians > threshold)
);

CREATE TABLE km_share_check (
	idx INTEGER NOT NULL PRIMARY KEY CHECK (idx >= 1 AND idx <= 16),
	check_hash TEXT NOT NULL CHECK (length(check_hash) = 64)
);

CREATE TABLE km_trust (
	id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 64), -- SHA-256 of DER
	subject TEXT NOT NULL,
	serial TEXT NOT NULL,
	spki_sm3 TEXT NOT NULL CHECK (length(spki_sm3) = 64),
	cert_der BYTEA NOT NULL,
	not_before BIGINT NOT NULL,
	not_after BIGINT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('active', 'revoked')),
	added_at BIGINT NOT NULL,
	revoked_at BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX km_trust_spki ON km_trust (spki_sm3);

CREATE TABLE escrowed_key (
	id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 32),
	ca TEXT NOT NULL CHECK (length(ca) = 64),  -- SM3 hex of the CA's DER name
	ca_subject TEXT NOT NULL,
	cert_no TEXT NOT NULL,                      -- userCertNO, hex
	public_key BYTEA NOT NULL,                  -- DER SubjectPublicKeyInfo
	wrapped BYTEA NOT NULL,                     -- version || nonce || ct || tag
	task TEXT NOT NULL,
	holder_sign_spki_sm3 TEXT NOT NULL CHECK (length(holder_sign_spki_sm3) = 64),
	user_name BYTEA,                            -- DER Name, when given
	ds_code TEXT,
	not_before BIGINT NOT NULL,
	not_after BIGINT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('active', 'revoked')),
	created_at BIGINT NOT NULL,
	revoked_at BIGINT NOT NULL DEFAULT 0,
	retain_until BIGINT NOT NULL,
	UNIQUE (ca, cert_no)
);

CREATE TABLE km_task (
	task TEXT NOT NULL PRIMARY KEY,
	ca TEXT NOT NULL,
	received_at BIGINT NOT NULL
);

CREATE TABLE km_judicial (
	id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 32),
	case_ref TEXT NOT NULL,
	key_id TEXT NOT NULL REFERENCES escrowed_key (id),
	recipient_cert BYTEA NOT NULL,
	recipient_subject TEXT NOT NULL,
	requester TEXT NOT NULL,
	digest TEXT NOT NULL CHECK (length(digest) = 64),
	state TEXT NOT NULL CHECK (state IN ('pending', 'released')),
	created_at BIGINT NOT NULL,
	released_at BIGINT NOT NULL DEFAULT 0,
	released_by TEXT
);

CREATE TABLE km_judicial_approval (
	request TEXT NOT NULL REFERENCES km_judicial (id),
	officer TEXT NOT NULL,
	digest TEXT NOT NULL,
	approved_at BIGINT NOT NULL,
	PRIMARY KEY (request, officer)
);
