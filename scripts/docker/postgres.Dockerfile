# PostgreSQL 15 from Debian's own package, standing in for the postgres:15 image
# (which cannot be pulled where scripts/docker-check.sh runs). Same contract as
# docker-compose.yml uses: database and user hcwatch (password hcwatch), and
# conf/compose/postgres-init.sql, run when the image is built.
FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/*
COPY postgres-init.sql /docker-entrypoint-initdb.d/10-grafana-role.sql
USER postgres
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
RUN echo postgres > /tmp/pw \
    && initdb -D "$PGDATA" -U postgres -A scram-sha-256 --pwfile=/tmp/pw -E UTF8 --locale=C.UTF-8 \
        >/dev/null \
    && rm /tmp/pw
RUN printf "listen_addresses = '*'\n" >> "$PGDATA/postgresql.conf" \
    && printf "host all all 0.0.0.0/0 scram-sha-256\n" >> "$PGDATA/pg_hba.conf" \
    && pg_ctl -D "$PGDATA" -w start >/dev/null \
    && PGPASSWORD=postgres psql -qh 127.0.0.1 -U postgres \
        -c "CREATE ROLE hcwatch LOGIN PASSWORD 'hcwatch'" -c "CREATE DATABASE hcwatch OWNER hcwatch" \
    && PGPASSWORD=postgres psql -qh 127.0.0.1 -U postgres -d hcwatch \
        -f /docker-entrypoint-initdb.d/10-grafana-role.sql \
    && pg_ctl -D "$PGDATA" -w stop >/dev/null
EXPOSE 5432
HEALTHCHECK --interval=2s --timeout=3s --retries=30 \
    CMD pg_isready -h 127.0.0.1 -U hcwatch -d hcwatch
CMD ["postgres"]
