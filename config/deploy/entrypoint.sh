#!/bin/sh
# The image's entrypoint (config/deploy/Dockerfile): the first argument says which process this container runs.
#   code-server  the code location over gRPC; runs the daemon launches execute here, as its subprocesses, so only
#                this container mounts the snapshot and the warehouse volume (docs/deployment.md)
#   webserver    the Dagster UI on port 3000, for the code server named by SDOH_CODE_SERVER_HOST/PORT
#   daemon       run queue (one run at a time), schedules and sensors
#   anything else is run as a command, e.g. `sdoh refresh` or `sdoh status`
# SDOH_CODE_SERVER_BIND (default 0.0.0.0, every interface of the container) is where the code server listens.
set -eu
role="${1:-code-server}"
[ "$#" -gt 0 ] && shift
case "$role" in
  code-server)
    exec dagster code-server start -h "${SDOH_CODE_SERVER_BIND:-0.0.0.0}" -p "${SDOH_CODE_SERVER_PORT:-4000}" \
      -m pipelines.definitions --location-name sdoh_equity "$@" ;;
  webserver)
    exec dagster-webserver -h 0.0.0.0 -p 3000 -w /opt/dagster/workspace.yaml "$@" ;;
  daemon)
    exec dagster-daemon run -w /opt/dagster/workspace.yaml "$@" ;;
  *)
    exec "$role" "$@" ;;
esac
