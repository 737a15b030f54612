#!/usr/bin/env bash
# Back up Sportello: the database and the data directory's files (attachments, keys), taken
# together into one folder, with their checksums.
#
#   SPORTELLO_DATA_DIR=/srv/sportello/var DATABASE_URL=postgresql://sportello@db/sportello \
#     deploy/backup.sh /var/backups/sportello/$(date +%F)
#
# Without DATABASE_URL the SQLite database is copied with SQLite's online backup (consistent
# while the web server and worker write to it). The database is taken first, the files after:
# an attachment stored in between is an extra file nobody names, never a row without its file.
# Run it from the account Sportello runs as (it reads the data directory, mode 0700).
set -euo pipefail
dest="${1:?usage: backup.sh DESTINATION_FOLDER}"
data="${SPORTELLO_DATA_DIR:-/srv/sportello/var}"
python="${SPORTELLO_PYTHON:-python3}"

umask 077
mkdir -p "$dest"
if [ -n "${DATABASE_URL:-}" ]; then
  pg_dump --format=custom --no-owner --no-privileges --dbname="$DATABASE_URL" \
    --file="$dest/database.dump"
else
  "$python" - "${SQLITE_PATH:-$data/sportello.sqlite3}" "$dest/database.sqlite3" <<'PY'
import sqlite3, sys
source, target = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
source.backup(target)
target.close()
PY
fi
# Everything but what is made again: the SQLite files (copied above), the queue, the cache
# and the collected static files.
tar --create --gzip --file "$dest/files.tar.gz" --directory "$data" \
  --exclude='./*.sqlite3' --exclude='./*.sqlite3-*' --exclude=./cache --exclude=./static \
  --exclude=./static-sources .
(cd "$dest" && sha256sum database.* files.tar.gz >SHA256SUMS)
echo "backup in $dest: $(cd "$dest" && ls database.* files.tar.gz | tr '\n' ' ')"
