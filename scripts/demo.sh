#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds,
# creates a demo SM2 CA in ./demo (SQLite, software keys) and issues a
# sample government-department signing certificate from an SM2 CSR,
# then starts the service (OCSP, CRLs, repository, REST API) on
# http://127.0.0.1:8080 until Ctrl-C. EGCA_DEMO_NO_SERVE=1 skips that.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
egca=$PWD/build/egca
demo=${EGCA_DEMO_DIR:-$PWD/demo}

if [ ! -f "$demo/egca.conf" ]; then
	mkdir -p "$demo"
	chmod 700 "$demo"
	# The CA key passphrase lives in a 0600 file, never on argv.
	( umask 077; openssl rand -hex 24 > "$demo/passphrase" )
	"$egca" init --dir "$demo" --alg sm2 \
		--subject "C=CN,O=egca demo,CN=egca demo SM2 root CA" \
		--passphrase-file "$demo/passphrase"
fi

# An applicant's SM2 key and CSR, signed with the GM/T 0009 user ID.
openssl genpkey -algorithm SM2 -out "$demo/applicant.key" 2>/dev/null
openssl req -new -key "$demo/applicant.key" -sm3 \
	-sigopt distid:1234567812345678 \
	-subj "/C=CN/ST=Zhejiang/O=Demo Bureau/CN=Demo Bureau signing" \
	-out "$demo/applicant.csr"
"$egca" cert issue --dir "$demo" --csr "$demo/applicant.csr" \
	--profile gov-sign --org-code 12345678-9 \
	--passphrase-file "$demo/passphrase" --out "$demo/applicant.pem"
"$egca" ca export --dir "$demo" --out "$demo/ca.pem"

echo
echo "== the certificate (openssl x509 -text) =="
openssl x509 -in "$demo/applicant.pem" -noout -text | head -40
echo
echo "== egca verify (SM2 with the user ID at every level) =="
"$egca" verify --chain "$demo/ca.pem" "$demo/applicant.pem"
echo
"$egca" cert list --dir "$demo"
"$egca" audit verify --dir "$demo"
echo
echo "Demo data directory: $demo   (try: $egca --help)"
[ -n "${EGCA_DEMO_NO_SERVE:-}" ] && exit 0
listen=${EGCA_DEMO_LISTEN:-127.0.0.1:8080}
cat <<EOT

Starting egca serve on http://$listen (Ctrl-C stops it). Try:
  openssl ocsp -issuer $demo/ca.pem -cert $demo/applicant.pem -url http://$listen/ocsp -resp_text -noverify
  curl -s http://$listen/certs/<serial>.pem            # the public repository
  REST API (/api/v1, roles required): the security administrator's one-time
  password was printed by egca init above; README "A tour" shows the first
  login, TOTP, operators, registration points and applications.
  curl -s -o root.crl http://$listen/crl/root.crl && openssl crl -inform DER -in root.crl -noout -text
  curl -s http://$listen/healthz; curl -s http://$listen/metrics | head
EOT
exec "$egca" serve --dir "$demo" --listen "$listen" --passphrase-file "$demo/passphrase"
