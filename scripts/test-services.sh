# Sourced by `make test`: installs and starts what the tests need beyond Python and npm
# packages — a real PostgreSQL server, Debian's Chromium, and redis-server (the tests start
# their own Redis on a free port, for the multi-machine job queue) — and exports where they are.
set -e
need=()
command -v pg_ctlcluster >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} (apt-get)"
  if [ "$(id -u)" -ne 0 ]; then
    echo "need root to install ${need[*]}: run as root, or install them first" >&2
    return 1
  fi
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

pg_version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | grep -q "^$pg_version main"; then
  pg_createcluster "$pg_version" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  pg_ctlcluster "$pg_version" main start
fi
port=$(pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $3}')
as_postgres() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "$1"; else sh -c "$1"; fi; }
as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='tagloop'\"" | grep -q 1 ||
  as_postgres "psql -p $port -qc \"CREATE ROLE tagloop LOGIN CREATEDB PASSWORD 'tagloop'\""
as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname='tagloop_test'\"" | grep -q 1 ||
  as_postgres "createdb -p $port -O tagloop tagloop_test"
export TAGLOOP_TEST_POSTGRES_URL="postgresql://tagloop:tagloop@127.0.0.1:$port/tagloop_test"
echo "PostgreSQL $pg_version on port $port; Chromium at /usr/bin/chromium; $(redis-server --version | cut -d" " -f1-3)"
set +e
