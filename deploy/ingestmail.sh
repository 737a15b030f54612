#!/bin/sh
# Called by Postfix's pipe (deploy/postfix/pipe-master.cf): the environment comes from the
# same file as the services', since Postfix passes none.
set -a
. /etc/sportello/sportello.env
set +a
exec /srv/sportello/.venv/bin/sportello ingestmail --recipient "$1" --sender "$2"
