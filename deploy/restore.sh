#!/usr/bin/env bash
# Restore a folder written by backup.sh: checksums first, then the database, then the files,
# then `sportello migrate` (a backup taken before an upgrade is brought to the code's
# schema). Stop the web nodes and workers first; start them once it says "restored".
#
#   SPORTELLO_DATA_DIR=/srv/sportello/var DATABASE_URL=postgresql://sportello@db/sportello \
#     deploy/restore.sh /var/backups/sportello/2026-12-01
#
# PostgreSQL: the target database must exist (createdb -O sportello sportello); what it
# holds is replaced, in one transaction. SQLite: the file at SQLITE_PATH (or
# $SPORTELLO_DATA_DIR/sportello.sqlite3) is replaced.
set -euo pipefail
src="${1:?usage: restore.sh BACKUP_FOLDER}"
data="${SPORTELLO_DATA_DIR:-/srv/sportello/var}"
sportello="${SPORTELLO:-sportello}"

(cd "$src" && sha256sum --check --quiet SHA256SUMS)
umask 077
mkdir -p "$data"
if [ -n "${DATABASE_URL:-}" ]; then
  [ -f "$src/database.dump" ] || { echo "no database.dump in $src (a SQLite backup?)" >&2; exit 1; }
  pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
    --exit-on-error --dbname="$DATABASE_URL" "$src/database.dump"
else
  [ -f "$src/database.sqlite3" ] || { echo "no database.sqlite3 in $src (a PostgreSQL backup?)" >&2; exit 1; }
  target="${SQLITE_PATH:-$data/sportello.sqlite3}"
  rm -f "$target" "$target-wal" "$target-shm"
  cp "$src/database.sqlite3" "$target"
fi
tar --extract --gzip --file "$src/files.tar.gz" --directory "$data"
# The clients' files and the keys are the owner's only, whatever the backup's copy says.
chmod -R go-rwx "$data"
$sportello migrate --no-input -v 0
echo "restored from $src"
