#!/bin/bash
# run.sh - set up namespaces, run kernel probes, capture, tear down.
# usage: sudo ./run.sh [TOPIC...]     TOPIC = 1..13 (default: all)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
trap teardown EXIT INT TERM
build

t1() {
    setup; nft_init $S; nftx $S 'in tcp dport 5999 drop'
    nft_init $C; nftx $C 'in tcp sport 5010 tcp dport 45003 tcp flags & (syn|ack) == syn|ack drop'
    cap_start t1_listen
    "$BIN/p1_listen" backlog again on unbound accept inherit badaddr closeq rstq > "$OUT/t1_listen.log"
    cap_stop_all
    cat "$OUT/t1_listen.log"
    for p in 5001 5002 5003 5011 5010 5014; do echo "--- packets port $p"; cap_show t1_listen "$OUT/t1_listen.log" tcp port $p; done
    teardown
    setup_delay 0
    cap_start t1_burst
    "$BIN/p1_listen" burst > "$OUT/t1_burst.log"
    cap_stop_all
    cat "$OUT/t1_burst.log"
    for p in 5012 5013; do echo "--- packets port $p"; cap_show t1_burst "$OUT/t1_burst.log" tcp port $p; done
    teardown
}

t2() {
    setup; nft_init $C; nftx $C 'in tcp dport 40000-40999 drop'
    cap_start t2_synack
    "$BIN/p2_synack" raw2 rawsyncnt rawlinear raw5 > "$OUT/t2_synack.log"
    cap_stop_all; cat "$OUT/t2_synack.log"; teardown
    setup_delay 50
    cap_start t2_overflow
    "$BIN/p2_synack" overflow > "$OUT/t2_overflow.log"
    cap_stop_all; cat "$OUT/t2_overflow.log"
    cap_show t2_overflow "$OUT/t2_overflow.log" tcp
    teardown
}

t3() {
    setup
    nft_init $C; nftx $C 'in tcp dport 41000-41999 drop'
    nft_init $S; nftx $S 'in tcp dport 7100 drop'
    cap_start t3_rst
    "$BIN/p3_rst" > "$OUT/t3_rst.log"
    cap_stop_all; cat "$OUT/t3_rst.log"; teardown
}

t4() {
    setup; nft_init $S; nftx $S 'in tcp dport 8999 drop'
    cap_start t4_poll
    "$BIN/p4_poll" > "$OUT/t4_poll.log"
    cap_stop_all; cat "$OUT/t4_poll.log"; teardown
}

t5() {
    setup; nft_init $S; nftx $S 'in tcp dport 9999 drop'
    cap_start t5_err
    "$BIN/p5_err" soerror io shutdown names bind unpriv family bcast > "$OUT/t5_err.log"; "$BIN/p5_err" bcastroute >> "$OUT/t5_err.log"
    cap_stop_all; cat "$OUT/t5_err.log"; teardown
}

t6() {
    setup; nft_init $S; nftx $S 'in tcp dport 9999 drop'
    cap_start t6_timeo
    "$BIN/p6_timeo" > "$OUT/t6_timeo.log"
    cap_stop_all; cat "$OUT/t6_timeo.log"
    cap_show t6_timeo "$OUT/t6_timeo.log" tcp port 9999
    teardown
}
# SYN schedule per local port (46000+i), from a capture
syn_table() { # LOG PCAP
    for i in 0 1 2 3 4 5 6 7; do
        local t; t=$(cap_show "$2" "$1" "tcp src port $((46000 + i)) and tcp[tcpflags] & tcp-syn != 0" | awk '{printf "%s ", $1}')
        [ -n "$t" ] && echo "port $((46000 + i)) SYNs at (ms): $t"
    done
}
t7() {
    for lin in 4 0; do
        setup; nft_init $S; nftx $S 'in tcp dport 9999 drop'
        cap_start t7_syn_lin$lin
        "$BIN/p7_syn" $lin ${T7_SHORT:+short} > "$OUT/t7_syn_lin$lin.log"
        cap_stop_all; cat "$OUT/t7_syn_lin$lin.log"
        syn_table "$OUT/t7_syn_lin$lin.log" t7_syn_lin$lin
        teardown
    done
}

t8() {
    # the same sequence twice, each time in freshly created namespaces, to see what is global
    for run in 1 2; do
        setup
        echo "# run $run (fresh namespaces)"
        "$BIN/p8_ports" seq | tee "$OUT/t8_ports_seq$run.log"
        teardown
    done
    setup
    "$BIN/p8_ports" range 2>&1 | tee "$OUT/t8_ports_range.log"
    teardown
}

t9() {
    setup; nft_init $S
    cap_start t9_close
    # default tcp_tw_reuse=2, tcp_fin_timeout=60: bound-port reconnect over TIME_WAIT, orphan FIN_WAIT2
    "$BIN/p9_close" tw twserver > "$OUT/t9_close.log"
    ip netns exec $C sysctl -qw net.ipv4.tcp_fin_timeout=5
    "$BIN/p9_close" finwait delack delack2 rst >> "$OUT/t9_close.log"
    ip netns exec $C sysctl -qw net.ipv4.tcp_fin_timeout=60
    for r in 2 0 1; do
        ip netns exec $C sysctl -qw net.ipv4.tcp_tw_reuse=$r
        "$BIN/p9_close" twauto >> "$OUT/t9_close.log"
    done
    cap_stop_all; cat "$OUT/t9_close.log"
    for p in 47004 47005 47006 47007 47016 47008 47009 47010 47011 47012 47013; do echo "--- packets port $p"; cap_show t9_close "$OUT/t9_close.log" tcp port $p; done
    teardown
    setup_delay 100; nft_init $S
    cap_start t9_synsent
    "$BIN/p9_close" synsent > "$OUT/t9_synsent.log"
    cap_stop_all; cat "$OUT/t9_synsent.log"
    cap_show t9_synsent "$OUT/t9_synsent.log" tcp
    teardown
}
t10() {
    setup; nft_init $C
    cap_start t10_nobufs
    "$BIN/p10_nobufs" > "$OUT/t10_nobufs.log"
    cap_stop_all; cat "$OUT/t10_nobufs.log"; teardown
}

t11() {
    setup; nft_init $S
    cap_start t11_icmp
    "$BIN/p11_icmp" > "$OUT/t11_icmp.log"
    cap_stop_all; cat "$OUT/t11_icmp.log"; teardown
}

t12() {
    setup
    cap_start t12_ipv6
    "$BIN/p12_ipv6" > "$OUT/t12_ipv6.log"
    cap_stop_all; cat "$OUT/t12_ipv6.log"; teardown
}
t13() {
    setup_delay 50
    cap_start t13_simul
    "$BIN/p13_simul" > "$OUT/t13_simul.log"
    cap_stop_all; cat "$OUT/t13_simul.log"
    cap_show t13_simul "$OUT/t13_simul.log" tcp
    teardown
}

# sysctl defaults as a freshly created namespace sees them
tsysctls() {
    setup
    {
        echo "# uname -r: $(uname -r)"
        echo "# HZ (CONFIG_HZ): $(zcat /proc/config.gz 2>/dev/null | sed -n 's/^CONFIG_HZ=//p')"
        ip netns exec $C sysctl -a 2>/dev/null | grep -E '^net\.ipv4\.(tcp_|ip_local_port_range|ip_unprivileged_port_start|ip_local_reserved_ports|icmp_|ip_no_pmtu_disc|ip_forward |ip_default_ttl|route\.min_pmtu|route\.mtu_expires|ping_group_range|udp_)'
        ip netns exec $C sysctl -a 2>/dev/null | grep -E '^net\.core\.(somaxconn|rmem_|wmem_|optmem_max|netdev_max_backlog)'
        ip netns exec $C sysctl -a 2>/dev/null | grep -E '^net\.ipv6\.(bindv6only|conf\.veth-c\.(accept_dad|dad_transmits|hop_limit|mtu)|route\.mtu_expires)'
        ip netns exec $C sysctl -a 2>/dev/null | grep -E '^net\.ipv[46]\.neigh\.veth-c\.'
        echo "# /proc/sys/net/ipv4/neigh/default exists in the namespace: $(ip netns exec $C test -d /proc/sys/net/ipv4/neigh/default && echo yes || echo no)"
        echo "# host (init_net) neighbour table limits, shared by every namespace:"
        sysctl net.ipv4.neigh.default.gc_thresh1 net.ipv4.neigh.default.gc_thresh2 net.ipv4.neigh.default.gc_thresh3 net.ipv6.neigh.default.gc_thresh3
    } > "$OUT/sysctl-defaults.txt"
    cat "$OUT/sysctl-defaults.txt"
    teardown
}

TOPICS=${*:-sysctls 1 2 3 4 5 6 7 8 9 10 11 12 13}
for t in $TOPICS; do
    echo "===== topic $t ====="
    "t$t"
done
exit 0
