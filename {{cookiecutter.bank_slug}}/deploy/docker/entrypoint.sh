#!/bin/sh
# The container's entrypoint (deploy/docker/Dockerfile). NOT built or run in CI: tests/test_docker.py runs
# this script with fake flask/gunicorn/python on PATH and checks the order of the calls and the exit codes.
#
#   entrypoint.sh web [gunicorn args]      wait for the database, migrate (flask init-db), exec gunicorn
#   entrypoint.sh dispatcher [args]        wait for the database, migrate, exec flask alerts run
#   entrypoint.sh migrate                  wait for the database, migrate, exit
#   entrypoint.sh <command> [args]         exec the command as it is (flask ..., sh, ...)
#
# DB_WAIT_SECONDS (60): how long to wait for the database before giving up with exit code 69.
# DB_WAIT_INTERVAL (1): seconds between two attempts.
# RUN_MIGRATIONS (1): 0 skips `flask init-db` (extra replicas; one container migrates).
set -eu

APP="${FLASK_APP:-{{ cookiecutter.bank_slug }}}"
DB_WAIT_SECONDS="${DB_WAIT_SECONDS:-60}"
DB_WAIT_INTERVAL="${DB_WAIT_INTERVAL:-1}"
RUN_MIGRATIONS="${RUN_MIGRATIONS:-1}"

log() {
    echo "entrypoint: $*" >&2
}

wait_for_database() {
    deadline=$(( $(date +%s) + DB_WAIT_SECONDS ))
    until python -m "$APP.ops.db_ping"; do
        status=$?
        if [ "$status" -eq 2 ]; then
            log "DATABASE_URL is missing or malformed; not waiting"
            exit 78  # EX_CONFIG
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            log "the database did not answer within ${DB_WAIT_SECONDS} s; giving up"
            exit 69  # EX_UNAVAILABLE
        fi
        sleep "$DB_WAIT_INTERVAL"
    done
    log "the database answers"
}

migrate() {
    if [ "$RUN_MIGRATIONS" = "1" ]; then
        log "flask init-db"
        flask --app "$APP" init-db  # a failed migration stops here with flask's exit code (set -e)
    fi
}

prepare_metrics_dir() {
    # Prometheus multiprocess mode: the directory must start empty (ops/metrics.py).
    if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
        mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
        find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -delete
    fi
}

role="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$role" in
    web)
        wait_for_database
        migrate
        prepare_metrics_dir
        exec gunicorn -c deploy/gunicorn.conf.py "$APP.wsgi:app" "$@"
        ;;
    dispatcher)
        wait_for_database
        migrate
        prepare_metrics_dir
        exec flask --app "$APP" alerts run "$@"
        ;;
    migrate)
        wait_for_database
        RUN_MIGRATIONS=1
        migrate
        ;;
    *)
        exec "$role" "$@"
        ;;
esac
