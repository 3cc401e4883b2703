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
# The tests get a cluster of their own, never the machine's `main` one: it does not sync to
# disk (fsync, full-page writes and synchronous commit off), which makes each test's
# CREATE/DROP DATABASE and commits several times cheaper. What the tests prove does not
# depend on it: a commit is visible to every connection, and survives any client process
# being killed, the moment it returns; only a crash of the machine could lose it, and this
# cluster holds nothing but throw-away test databases.
cluster=tagloop_test
if ! pg_lsclusters -h | awk -v v="$pg_version" -v c="$cluster" '$1==v && $2==c' | grep -q .; then
  pg_createcluster "$pg_version" "$cluster" -o fsync=off -o full_page_writes=off \
    -o synchronous_commit=off >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$pg_version" -v c="$cluster" '$1==v && $2==c {print $4}' | grep -q online; then
  pg_ctlcluster "$pg_version" "$cluster" start
fi
port=$(pg_lsclusters -h | awk -v v="$pg_version" -v c="$cluster" '$1==v && $2==c {print $3}')
as_postgres() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "$1"; else sh -c "$1"; fi; }
as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='tagloop'\"" | grep -q 1 ||
  as_postgres "psql -p $port -qc \"CREATE ROLE tagloop LOGIN CREATEDB PASSWORD 'tagloop'\""
as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname='tagloop_test'\"" | grep -q 1 ||
  as_postgres "createdb -p $port -O tagloop tagloop_test"
export TAGLOOP_TEST_POSTGRES_URL="postgresql://tagloop:tagloop@127.0.0.1:$port/tagloop_test"
echo "PostgreSQL $pg_version on port $port; Chromium at /usr/bin/chromium; $(redis-server --version | cut -d" " -f1-3)"
set +e
