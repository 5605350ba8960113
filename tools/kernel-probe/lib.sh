# lib.sh - namespace, capture and build helpers for run.sh (sourced)
C=kp-cli
S=kp-srv
HERE=${HERE:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
OUT=${OUT:-$HERE/out}
BIN=${BIN:-$OUT/bin}
mkdir -p "$OUT" "$BIN"
CAP_PIDS=()

# Two topologies. Interface names are exported in IFC (client) and IFS_ (server).
# setup        : a veth pair veth-c <-> veth-s (no delay possible: this kernel has no sch_netem)
# setup_delay N: TAP devices tap-c <-> tap-s joined by the userspace delayline (N ms one-way,
#                changeable at run time with: echo MS > $DELAYCTL)
DELAYCTL=/run/kp-delay
DL_PID=
addrs() { # addrs IFC IFS
    for ns in $C $S; do ip -n $ns link set lo up; done
    ip -n $C link set "$1" address 02:00:00:00:00:01 addrgenmode none
    ip -n $S link set "$2" address 02:00:00:00:00:02 addrgenmode none
    ip -n $C addr add 10.0.0.1/24 dev "$1"
    ip -n $S addr add 10.0.0.2/24 dev "$2"
    ip -n $C -6 addr add fd00::1/64 dev "$1" nodad
    ip -n $S -6 addr add fd00::2/64 dev "$2" nodad
    ip -n $C -6 addr add fe80::1/64 dev "$1" nodad
    ip -n $S -6 addr add fe80::2/64 dev "$2" nodad
    ip -n $C link set "$1" up
    ip -n $S link set "$2" up
    export IFC=$1 IFS_=$2
    sleep 0.3
}
setup_delay() {
    teardown
    ip netns add $C
    ip netns add $S
    echo "${1:-0}" > $DELAYCTL
    "$BIN/delayline" $C tap-c $S tap-s $DELAYCTL > /dev/null &
    DL_PID=$!
    for i in $(seq 50); do ip -n $S link show tap-s >/dev/null 2>&1 && break; sleep 0.1; done
    addrs tap-c tap-s
    warm
}
# resolve neighbours both ways before measuring (so timings do not include ARP/ND)
warm() {
    ip netns exec $C ping -c1 -W2 10.0.0.2 >/dev/null
    ip netns exec $C ping -c1 -W2 fd00::2 >/dev/null
    ip netns exec $S ping -c1 -W2 10.0.0.1 >/dev/null
    ip netns exec $S ping -c1 -W2 fd00::1 >/dev/null
}
# client kp-cli (veth-c: 10.0.0.1/24 fd00::1/64 fe80::1/64) <-> server kp-srv (veth-s: .2, ::2)
setup() {
    teardown
    ip netns add $C
    ip netns add $S
    ip link add veth-c netns $C type veth peer name veth-s netns $S
    addrs veth-c veth-s
}
teardown() {
    cap_stop_all
    if [ -n "$DL_PID" ]; then kill "$DL_PID" 2>/dev/null; wait "$DL_PID" 2>/dev/null; DL_PID=; fi
    rm -f $DELAYCTL
    ip netns del $C 2>/dev/null
    ip netns del $S 2>/dev/null
    ip netns del kp-alt 2>/dev/null
    true
}
# change the one-way delay of the delayline topology
delay() { echo "$1" > $DELAYCTL; }
# nft in a namespace: nftx NS 'rule text' (table inet kp, chains in/out at filter priority)
nft_init() { # nft_init NS
    ip netns exec "$1" nft -f - <<NFT
table inet kp {
  chain in  { type filter hook input priority 0; policy accept; }
  chain out { type filter hook output priority 0; policy accept; }
}
NFT
}
nftx() { ip netns exec "$1" nft add rule inet kp "$2" ; }
# capture on veth-s (server side) unless told otherwise: cap_start NAME [NS IFACE]
cap_start() {
    local name=$1 ns=${2:-$S} ifc=${3:-$IFS_}
    ip netns exec "$ns" tcpdump -i "$ifc" -n -U --immediate-mode -s 200 -w "$OUT/$name.pcap" 2>/dev/null &
    CAP_PIDS+=($!)
    sleep 1
}
cap_stop_all() {
    [ ${#CAP_PIDS[@]} -gt 0 ] && sleep 1
    for p in "${CAP_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    CAP_PIDS=()
}
# print a capture with times in ms relative to the first "# T0" of a probe log
# cap_show NAME LOG [tcpdump filter...]
cap_show() {
    local name=$1 log=$2; shift 2
    local t0; t0=$(awk '/^# T0/{print $3; exit}' "$log")
    tcpdump -r "$OUT/$name.pcap" -n -S -tt "$@" 2>/dev/null |
        awk -v t0="$t0" '{ t=$1; $1=""; printf "%+10.1f ms %s\n", (t-t0)*1000, $0 }'
}
build() { # build probe sources into $BIN
    for f in "$HERE"/*.c; do
        local b; b=$BIN/$(basename "$f" .c)
        if [ ! -e "$b" ] || [ "$f" -nt "$b" ] || [ "$HERE/kp.h" -nt "$b" ]; then
            gcc -O1 -Wall -Wno-unused-function -o "$b" "$f" || exit 1
        fi
    done
}
