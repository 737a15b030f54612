-- psql -U postgres -f deploy/postgresql/setup.sql ; then in pg_hba.conf allow the web and
-- worker boxes: host sportello sportello 10.0.0.0/24 scram-sha-256
CREATE ROLE sportello LOGIN PASSWORD 'change-me';
CREATE DATABASE sportello OWNER sportello ENCODING 'UTF8' TEMPLATE template0;
