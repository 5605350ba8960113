#!/usr/bin/env bash
# bench/ns3/build.sh: builds the ns-3 side of `./dev bench --vs-ns3` (issue 7).
# Usage: bench/ns3/build.sh OUTDIR      -> OUTDIR/ns3-handshakes
#
# Installs Debian's libns3-dev when it is missing (as root, or through sudo), then compiles
# bench/ns3/handshakes.cc with g++ -O2 against it. Does nothing when the binary is newer than
# the source and this script. Debian 12 ships ns-3 3.37 as libns3-<module>.so.37 with
# pkg-config names ns3-<module>; their Cflags are malformed ("-I/usr\;") and the headers sit in
# /usr/include/ns3 anyway, so only the -l/-L link flags come from pkg-config (its absolute
# paths to libgsl.so and libsqlite3.so need the -dev packages and are only for static linking:
# the shared ns-3 libraries already depend on those).
set -euo pipefail
outdir=${1:?usage: bench/ns3/build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
src=$here/handshakes.cc
bin=$outdir/ns3-handshakes
modules=(ns3-core ns3-network ns3-internet ns3-point-to-point)

log() { printf 'ns3/build.sh: %s\n' "$*" >&2; }

if ! dpkg-query -W -f='${Status}' libns3-dev 2>/dev/null | grep -q 'install ok installed'; then
  log "installing libns3-dev"
  sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    libns3-dev >/dev/null
fi

if [ -x "$bin" ] && [ "$bin" -nt "$src" ] && [ "$bin" -nt "$0" ]; then
  exit 0
fi

mkdir -p "$outdir"
if raw=$(pkg-config --libs "${modules[@]}" 2>/dev/null); then
  libs=
  for flag in $raw; do
    case $flag in -l* | -L*) libs="$libs $flag" ;; esac
  done
  version=$(pkg-config --modversion ns3-core)
else
  libs="-lns3-point-to-point -lns3-internet -lns3-bridge -lns3-traffic-control -lns3-network -lns3-core"
  version=3.37
fi
log "compiling $bin against ns-3 $version"
# shellcheck disable=SC2086  # $libs is a list of flags
nice g++ -std=c++17 -O2 -DNS3_VERSION_STRING="\"$version\"" -o "$bin.tmp" "$src" $libs
mv "$bin.tmp" "$bin"
