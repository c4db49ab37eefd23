-- egca schema 6: registration and review (ra/, include/egca/ra.h).
-- Registration points and the regions they serve, subscribers,
-- applications with proof materials and approvals bound to the
-- application's digest, idempotency keys, revocation codes (SHA-256
-- only) and loss reports. Ids are 128-bit random hex made by ra/.
-- The subscriber a certificate was issued for, and its department, are
-- written into cert_index at issuance (department viewers' scope).

CREATE TABLE ra_point (
	id TEXT NOT NULL PRIMARY KEY,
	name TEXT NOT NULL,
	home_region TEXT NOT NULL CHECK (length(home_region) = 6),
	created_at BIGINT NOT NULL
);

-- A region served by a point. Outside the point's home province the
-- row counts only once approval is recorded.
CREATE TABLE point_region (
	point TEXT NOT NULL REFERENCES ra_point (id),
	region TEXT NOT NULL CHECK (length(region) = 6),
	approval TEXT,
	approved_at BIGINT NOT NULL DEFAULT 0,
	added_at BIGINT NOT NULL,
	PRIMARY KEY (point, region)
);

CREATE TABLE subscriber (
	id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 32),
	type TEXT NOT NULL CHECK (type IN ('government', 'enterprise',
	    'institution', 'social-org', 'individual', 'device')),
	name TEXT NOT NULL,
	uscc TEXT,
	org_code TEXT,
	id_card TEXT,
	region TEXT NOT NULL CHECK (length(region) = 6),
	department TEXT,
	owner TEXT REFERENCES subscriber (id),
	email TEXT,
	phone TEXT,
	point TEXT NOT NULL REFERENCES ra_point (id),
	created_by TEXT NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE INDEX subscriber_region ON subscriber (region);
CREATE INDEX subscriber_department ON subscriber (department);
CREATE INDEX subscriber_created ON subscriber (created_at, id);

-- 'executing' is held while one caller executes (claimed with a
-- conditional UPDATE); see src/ra/exec.c for the recovery rule.
CREATE TABLE application (
	id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 32),
	kind TEXT NOT NULL CHECK (kind IN ('new', 'update', 'extend',
	    'recover', 'hold', 'unhold', 'revoke')),
	state TEXT NOT NULL CHECK (state IN ('submitted', 'approved',
	    'rejected', 'executing', 'executed', 'failed')),
	subscriber TEXT NOT NULL REFERENCES subscriber (id),
	region TEXT NOT NULL,
	point TEXT NOT NULL,
	ca TEXT NOT NULL,
	profile TEXT,
	enc_profile TEXT,
	csr_der BYTEA,
	subject TEXT,
	serial TEXT,
	reason TEXT,
	validity_days INTEGER NOT NULL DEFAULT 0,
	note TEXT,
	submitted_by TEXT NOT NULL,
	submitted_at BIGINT NOT NULL,
	digest TEXT NOT NULL,
	required_approvals INTEGER NOT NULL CHECK (required_approvals >= 1),
	decided_by TEXT,
	reject_reason TEXT,
	result_serial TEXT,
	result_error TEXT,
	updated_at BIGINT NOT NULL
);

CREATE INDEX application_subscriber ON application (subscriber);
CREATE INDEX application_state ON application (state);
CREATE INDEX application_submitted ON application (submitted_at, id);

CREATE TABLE app_material (
	id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 32),
	app TEXT NOT NULL REFERENCES application (id),
	type TEXT NOT NULL CHECK (type IN ('id-card', 'business-licence',
	    'authorisation', 'application-form', 'other')),
	media TEXT NOT NULL CHECK (media IN ('application/pdf', 'image/jpeg',
	    'image/png')),
	filename TEXT NOT NULL,
	sm3 TEXT NOT NULL,
	size BIGINT NOT NULL,
	content BYTEA NOT NULL,
	added_by TEXT NOT NULL,
	added_at BIGINT NOT NULL
);

CREATE INDEX app_material_app ON app_material (app);

-- One approval per reviewer; it counts only while digest equals the
-- application's digest (a re-approval after a change rewrites it).
CREATE TABLE app_approval (
	app TEXT NOT NULL REFERENCES application (id),
	reviewer TEXT NOT NULL,
	digest TEXT NOT NULL,
	approved_at BIGINT NOT NULL,
	UNIQUE (app, reviewer)
);

CREATE TABLE idempotency (
	idem_key TEXT NOT NULL,
	actor TEXT NOT NULL,
	kind TEXT NOT NULL,
	request_digest TEXT NOT NULL,
	object_id TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	UNIQUE (idem_key, actor)
);

-- The holder's revocation code for a loss report: SHA-256 hex only.
CREATE TABLE revocation_code (
	ca TEXT NOT NULL,
	serial TEXT NOT NULL,
	code_hash TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (ca, serial),
	FOREIGN KEY (ca, serial) REFERENCES certificate (ca, serial)
);

CREATE TABLE loss_report (
	id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 32),
	ca TEXT NOT NULL,
	serial TEXT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('held', 'confirmed')),
	method TEXT NOT NULL CHECK (method IN ('code', 'signature')),
	statement TEXT,
	source TEXT,
	reported_at BIGINT NOT NULL,
	confirmed_by TEXT,
	confirmed_at BIGINT NOT NULL DEFAULT 0,
	FOREIGN KEY (ca, serial) REFERENCES certificate (ca, serial)
);

CREATE INDEX loss_report_cert ON loss_report (ca, serial);
CREATE INDEX loss_report_reported ON loss_report (reported_at, id);

ALTER TABLE cert_index ADD COLUMN subscriber TEXT;
ALTER TABLE cert_index ADD COLUMN department TEXT;
CREATE INDEX cert_index_subscriber ON cert_index (subscriber);
CREATE INDEX cert_index_department ON cert_index (department);
