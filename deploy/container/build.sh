#!/usr/bin/env bash
# Builds the Streams image with podman, without any registry, and checks it: `streams --version` and a short run of
# the default (CLAS12) pipeline inside the container.
#   bash deploy/container/build.sh [TAG]          (default localhost/streams:latest)
# Steps: (1) installs podman and runc if missing (Debian, root); (2) makes the base image localhost/streams-base:bookworm
# from the .deb files the .NET runtime needs (libc6, libgcc-s1, libstdc++6, zlib1g, dash), unpacked with dpkg -x and
# imported with `podman import`; (3) publishes `streams` self-contained for linux-x64; (4) podman build; (5) runs it.
# The podman flags are the ones that work in this sandbox (vfs storage, runc, cgroupfs, no default ulimits); set
# PODMAN to override them, e.g. PODMAN=podman on a normal host.
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=${1:-localhost/streams:latest}
base=localhost/streams-base:bookworm
work=out/container
mkdir -p "$work"

if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  echo "installing podman and runc"
  [ "$(id -u)" -eq 0 ] || { echo "error: podman/runc missing and not root: install them (apt-get install podman runc)" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends podman runc >/dev/null
fi
if [[ -z "${PODMAN:-}" ]]; then
  printf '[containers]\ndefault_ulimits = []\n' > "$work/containers.conf"
  export CONTAINERS_CONF=$PWD/$work/containers.conf
  PODMAN="podman --storage-driver=vfs --runtime runc --cgroup-manager=cgroupfs"
fi

if ! $PODMAN image exists "$base"; then
  echo "making the base image $base from Debian packages"
  rm -rf "$work/debs" "$work/rootfs" && mkdir -p "$work/debs" "$work/rootfs"
  debs=(libc6 libgcc-s1 libstdc++6 zlib1g dash)
  (cd "$work/debs" && { apt-get download "${debs[@]}" 2>/dev/null || { apt-get update -qq && apt-get download "${debs[@]}"; }; })
  for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/rootfs"; done
  # bookworm's packages put files in /bin, /lib and /lib64 themselves; /bin/sh for scripts, /tmp for the runtime.
  (cd "$work/rootfs" && mkdir -p bin tmp work etc && ln -sf dash bin/sh && chmod 1777 tmp)
  echo 'root:x:0:0:root:/root:/bin/sh' > "$work/rootfs/etc/passwd"
  echo 'root:x:0:' > "$work/rootfs/etc/group"
  tar -C "$work/rootfs" -c . | $PODMAN import --change 'ENV PATH=/usr/bin:/bin' - "$base" >/dev/null
fi

echo "publishing streams (self-contained, linux-x64)"
rm -rf "$work/context" && mkdir -p "$work/context"
# Its own build folders (--artifacts-path), so that the publish never rewrites the bin/ and obj/ of a build in use.
dotnet publish engine/Streams.Cli -c Release -r linux-x64 --self-contained -nologo -v q --artifacts-path "$work/artifacts" -o "$work/context/streams" >/dev/null
cp -r deploy/pipelines "$work/context/pipelines"

echo "building $tag"
$PODMAN build --quiet -f deploy/container/Containerfile --build-arg BASE="$base" -t "$tag" "$work/context" >/dev/null
$PODMAN image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -F "${tag#*/}" || true

echo "checking: streams --version and the default pipeline inside the container"
$PODMAN run --rm --network=host "$tag" --version
$PODMAN run --rm --network=host "$tag" run --events 2000 --progress none --metrics-listen off 2>&1 | tee "$work/run.log" | grep -E "finished|validation|physics"
grep -q "failed 0, discarded 0, in flight 0" "$work/run.log" || { echo "error: the pipeline in the container did not account for every event" >&2; exit 1; }
grep -q "physics: 2,000 events reconstructed" "$work/run.log" || { echo "error: the pipeline in the container did not reconstruct its 2,000 events" >&2; exit 1; }
echo "image $tag: ok"
