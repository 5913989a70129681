#!/usr/bin/env bash
# Makes a Docker engine answer and provides the `busybox` image the tests and the demo run.
# Reuses a running engine; otherwise installs docker.io + busybox-static (as root) and starts
# `dockerd --storage-driver=vfs --iptables=false`. Exit 0 when the engine answers, 1 otherwise.
set -euo pipefail

log() { echo "ensure-docker: $*" >&2; }
engine_up() { docker info >/dev/null 2>&1; }

# docker + dockerd (the engine), busybox (the image), nsenter + ip (the probe runs them here)
missing=""
for tool in docker dockerd busybox nsenter ip; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "missing:$missing; installing docker.io busybox-static util-linux iproute2"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -q >/dev/null && apt-get install -y -q docker.io busybox-static util-linux iproute2 >/dev/null; } \
      || { log "apt-get failed"; exit 1; }
  else
    log "missing:$missing (not root or no apt-get: not installing)"
  fi
fi

if ! engine_up; then
  if [ "$(id -u)" != 0 ] || ! command -v dockerd >/dev/null 2>&1; then
    log "no Docker engine answers and none can be started here"; exit 1
  fi
  log "starting dockerd (vfs, no iptables)"
  nohup dockerd --storage-driver=vfs --iptables=false >/tmp/netaudit-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do engine_up && break; sleep 0.5; done
  engine_up || { log "dockerd did not answer; see /tmp/netaudit-dockerd.log"; exit 1; }
fi

if ! docker image inspect busybox >/dev/null 2>&1; then
  if ! timeout 20 docker pull -q busybox >/dev/null 2>&1; then
    bb=$(command -v busybox || true)
    [ -n "$bb" ] || { log "no registry and no busybox-static binary to import"; exit 1; }
    log "no registry answers: importing $bb as busybox"
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    mkdir -p "$root/bin"
    cp "$bb" "$root/bin/busybox"
    for applet in sh sleep ip cat true; do ln -s busybox "$root/bin/$applet"; done
    tar -C "$root" -c . | docker import -c 'CMD ["sh"]' - busybox:latest >/dev/null
    rm -rf "$root"
  fi
fi
log "engine up, busybox image ready"
