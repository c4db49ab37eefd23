-- egca schema 4: search and statistics fields of issued certificates
-- (REST API /api/v1/certificates, /api/v1/statistics). One row per
-- certificate, written by ca/ in the issuance transaction. Certificates
-- issued before this migration get a row with only what the certificate
-- table already knows (the other fields NULL: "unknown").
CREATE TABLE cert_index (
	ca TEXT NOT NULL,
	serial TEXT NOT NULL,
	organization TEXT,      -- the subject's O
	identity_code TEXT,     -- uscc, else org_code, else id_card, ...
	region TEXT CHECK (region IS NULL OR length(region) = 6),
	subscriber_type TEXT,   -- the profile's subscriber_type
	issued_month TEXT,      -- "YYYY-MM" (UTC) of issued_at
	PRIMARY KEY (ca, serial),
	FOREIGN KEY (ca, serial) REFERENCES certificate (ca, serial)
);

CREATE INDEX cert_index_org ON cert_index (organization);
CREATE INDEX cert_index_identity ON cert_index (identity_code);
CREATE INDEX cert_index_region ON cert_index (region);
CREATE INDEX cert_index_month ON cert_index (issued_month);
CREATE INDEX certificate_profile ON certificate (profile);

INSERT INTO cert_index (ca, serial) SELECT ca, serial FROM certificate;
