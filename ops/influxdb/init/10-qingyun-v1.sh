#!/bin/bash
# Run once by the influxdb:2.7 image, after DOCKER_INFLUXDB_INIT_MODE=setup created the org and
# bucket (scripts in /docker-entrypoint-initdb.d run then, with the influx CLI logged in as the
# admin and DOCKER_INFLUXDB_INIT_BUCKET_ID set). Qingyun speaks InfluxDB's v1 HTTP API
# (docs/architecture.md, decision 2): InfluxQL names a database and retention policy, which 2.x
# maps to a bucket (DBRP); and a v1 login (username/password, HTTP basic auth) that may read and
# write that bucket only, so the nodes do not hold the admin token.
set -euo pipefail

: "${DOCKER_INFLUXDB_INIT_BUCKET_ID:?set by the influxdb image}"
: "${V1_DB_NAME:?the database name Qingyun uses (QINGYUN_INFLUX_DB)}"
: "${V1_AUTH_USERNAME:?}"
: "${V1_AUTH_PASSWORD:?}"

influx v1 dbrp create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --db "${V1_DB_NAME}" \
  --rp autogen \
  --default

influx v1 auth create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --username "${V1_AUTH_USERNAME}" \
  --password "${V1_AUTH_PASSWORD}" \
  --read-bucket "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --write-bucket "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --description "Qingyun nodes (v1 API)"
