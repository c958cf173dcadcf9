// The shell scripts run inside database containers (docker exec ... sh -c SCRIPT sh ARGS...).
// Credentials come from the container's own environment (the official images' variables),
// never from our argv: $1 is the user (empty: the image's default), $2 a database.

const POSTGRES_CONNECT = `U="\${1:-\${POSTGRES_USER:-postgres}}"
[ -n "\${POSTGRES_PASSWORD:-}" ] && export PGPASSWORD="$POSTGRES_PASSWORD"`;
const POSTGRES_DUMP = `set -e
${POSTGRES_CONNECT}
if [ -n "$2" ]; then exec pg_dump -U "$U" --clean --if-exists --create -d "$2"; fi
exec pg_dumpall -U "$U" --clean --if-exists`;

const MARIADB_CLIENT = `D=$(command -v mariadb-dump || command -v mysqldump) || { echo "neither mariadb-dump nor mysqldump is in this image" >&2; exit 127; }`;
const MARIADB_PASSWORD = `U="\${1:-root}"
if [ "$U" = root ]; then P="\${MARIADB_ROOT_PASSWORD:-\${MYSQL_ROOT_PASSWORD:-}}"; else P="\${MARIADB_PASSWORD:-\${MYSQL_PASSWORD:-}}"; fi
[ -n "$P" ] && export MYSQL_PWD="$P"`;
const MARIADB_DUMP = `set -e
${MARIADB_PASSWORD}
${MARIADB_CLIENT}
if [ -n "$2" ]; then exec "$D" -u"$U" --single-transaction --routines --events --triggers --databases "$2"; fi
exec "$D" -u"$U" --single-transaction --routines --events --triggers --all-databases`;

const MARIADB_CONNECT = `${MARIADB_PASSWORD}
C=$(command -v mariadb || command -v mysql) || { echo "neither mariadb nor mysql is in this image" >&2; exit 127; }`;

/** Loads a dump from stdin; errors are printed and gone past (a dump's own clean-up statements fail on a live server). */
const POSTGRES_LOAD = `set -e
${POSTGRES_CONNECT}
exec psql -U "$U" -d postgres -q -v ON_ERROR_STOP=0 -X`;
const MARIADB_LOAD = `set -e
${MARIADB_CONNECT}
exec "$C" -u"$U"`;

/** Messages of a dump's own clean-up statements on a live server: expected, not errors. */
export const HARMLESS =
  /current user cannot be dropped|role "[^"]+" already exists|cannot drop the currently open database/;

/**
 * Answers when the server takes queries and is the container's main process (pid 1): an
 * image's entrypoint often runs a temporary server first while it initialises. Prints "main"
 * or "other" (pid 1 is an init or a wrapper).
 */
const POSTGRES_PROBE = `${POSTGRES_CONNECT}
psql -U "$U" -d postgres -XAtqc "select 1" >/dev/null || exit 3
case "$(cat /proc/1/comm)" in postgres|postmaster) echo main ;; *) echo other ;; esac`;
const MARIADB_PROBE = `${MARIADB_CONNECT}
"$C" -u"$U" -N -B -e "select 1" >/dev/null || exit 3
case "$(cat /proc/1/comm)" in mariadbd|mysqld) echo main ;; *) echo other ;; esac`;

/** Exact row counts of every table: "schema.table<TAB>rows" (postgres, database $2) or "db.table<TAB>rows" (mariadb, SQL from $2). */
const POSTGRES_COUNT = `${POSTGRES_CONNECT}
exec psql -U "$U" -d "$2" -XAtq -F "$(printf '\t')" -c "select n.nspname || '.' || c.relname, (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', n.nspname, c.relname), false, true, '')))[1]::text from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'"`;
const MARIADB_QUERY = `${MARIADB_CONNECT}
exec "$C" -u"$U" -N -B -e "$2"`;

/** sqlite dumps are files read on the host: no script. */
type Server = "postgres" | "mariadb" | "sqlite";
export const dumpScript = (e: Server) => (e === "postgres" ? POSTGRES_DUMP : MARIADB_DUMP);
export const loadScript = (e: Server) => (e === "postgres" ? POSTGRES_LOAD : MARIADB_LOAD);
export const probeScript = (e: Server) => (e === "postgres" ? POSTGRES_PROBE : MARIADB_PROBE);
export const countScript = (e: Server) => (e === "postgres" ? POSTGRES_COUNT : MARIADB_QUERY);
