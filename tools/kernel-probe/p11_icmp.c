/* p11_icmp.c - topic 11: ICMP errors that reach an ESTABLISHED TCP connection.
 * The server namespace forges the ICMP (as if 10.0.0.2 or a router 10.0.0.2 sent it), quoting the
 * client's IP header and the first 8 bytes of its TCP header with seq = the client's snd_nxt. */
#include "kp_raw.h"

static int tx_s, rx_s;

/* send ICMP type/code to the client about its flow 10.0.0.1:cport -> 10.0.0.2:sport, seq */
static void icmp_to_client(int type, int code, int mtu, int cport, int sport, uint32_t seq) {
    unsigned char m[8 + 20 + 8] = {0};
    m[0] = type; m[1] = code;
    if (type == 3 && code == 4) { m[6] = mtu >> 8; m[7] = mtu; }
    struct iphdr *ip = (struct iphdr *)(m + 8);
    ip->version = 4; ip->ihl = 5; ip->ttl = 64; ip->protocol = IPPROTO_TCP; ip->tot_len = htons(52);
    ip->frag_off = htons(0x4000);
    inet_pton(AF_INET, "10.0.0.1", &ip->saddr); inet_pton(AF_INET, "10.0.0.2", &ip->daddr);
    ip->check = htons(csum16(ip, 20, 0));
    unsigned char *t = m + 28;
    t[0] = cport >> 8; t[1] = cport; t[2] = sport >> 8; t[3] = sport;
    t[4] = seq >> 24; t[5] = seq >> 16; t[6] = seq >> 8; t[7] = seq;
    uint16_t c = csum16(m, sizeof m, 0); m[2] = c >> 8; m[3] = c;
    ipsend(tx_s, "10.0.0.2", "10.0.0.1", IPPROTO_ICMP, m, sizeof m);
}

struct conn { int c, a, cport; uint32_t snd_nxt; };
static struct conn mkconn(int l, int port, int recverr) {
    struct conn k;
    k.c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
    if (recverr) seti(k.c, IPPROTO_IP, IP_RECVERR, 1);
    kp_sa a = sa4("10.0.0.2", port);
    connect(k.c, &a.sa, SA4);
    k.a = accept(l, NULL, NULL);
    k.cport = lport(k.c);
    /* learn the client's snd_nxt: it sends one byte, we read its seq off the wire */
    struct seg g; while (tcp_recv(rx_s, port, 20, &g)) {}
    send(k.c, "x", 1, 0);
    k.snd_nxt = 0;
    while (tcp_recv(rx_s, port, 300, &g)) if (g.sport == k.cport && g.len == 1) { k.snd_nxt = g.seq + 1; break; }
    { char x[4]; recv(k.a, x, 4, 0); }
    sleep_ms(20);
    return k;
}

static void one(int l, const char *name, int type, int code, int mtu, int recverr) {
    char cs[160]; snprintf(cs, sizeof cs, "%s%s", name, recverr ? " + IP_RECVERR" : "");
    struct conn k = mkconn(l, 9601, recverr);
    /* a child blocks in recv() (SO_RCVTIMEO 1500 ms) while we send the ICMP */
    struct timeval tv = {1, 500000}; setsockopt(k.c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    fflush(stdout);
    kp_mark(cs);
    pid_t p = fork();
    if (p == 0) {
        char x[8];
        const char *r = R(recv(k.c, x, 8, 0));
        out(cs, "blocked recv() returned %s at %.0f ms", r, ms());
        _exit(0);
    }
    sleep_ms(300);
    icmp_to_client(type, code, mtu, k.cport, 9601, k.snd_nxt);
    sleep_ms(20);
    int e = so_error(k.c);
    out(cs, "300 ms: ICMP %d/%d sent; 20 ms later: state %s, SO_ERROR %s, then poll %s", type, code, tcpstate(k.c), en(e), pollnow(k.c));
    waitpid(p, NULL, 0);
    const char *s = R(send(k.c, "after", 5, MSG_NOSIGNAL));
    sleep_ms(20);
    char x[16]; const char *rr = R(recv(k.a, x, sizeof x, MSG_DONTWAIT));
    out(cs, "then client send = %s, server recv = %s, client state %s", s, rr, tcpstate(k.c));
    if (recverr) { struct msghdr mh = {0}; char cb[256]; mh.msg_control = cb; mh.msg_controllen = sizeof cb; out(cs, "recvmsg(MSG_ERRQUEUE) = %s", R(recvmsg(k.c, &mh, MSG_ERRQUEUE | MSG_DONTWAIT))); }
    close(k.c); close(k.a);
}

KP_MAIN
    tx_s = raw_tx(SRV); rx_s = raw_rx(SRV, ifs());
    int l = listener4(SRV, "10.0.0.2", 9601, 16);
    if (want("types")) {
        for (int re = 0; re < 2; re++) {
            one(l, "ICMP net unreachable (3/0)", 3, 0, 0, re);
            one(l, "ICMP host unreachable (3/1)", 3, 1, 0, re);
            one(l, "ICMP protocol unreachable (3/2)", 3, 2, 0, re);
            one(l, "ICMP port unreachable (3/3)", 3, 3, 0, re);
            one(l, "ICMP admin prohibited (3/13)", 3, 13, 0, re);
            one(l, "ICMP time exceeded (11/0)", 11, 0, 0, re);
            one(l, "ICMP parameter problem (12/0)", 12, 0, 0, re);
            one(l, "ICMP source quench (4/0)", 4, 0, 0, re);
        }
    }
    if (want("seq")) {
        /* the quoted seq must lie in [snd_una, snd_nxt] */
        const char *cs = "ICMP port unreachable + IP_RECVERR, quoted seq outside [snd_una, snd_nxt]";
        struct conn k = mkconn(l, 9601, 1);
        icmp_to_client(3, 3, 0, k.cport, 9601, k.snd_nxt + 1000);
        sleep_ms(20);
        out(cs, "seq = snd_nxt+1000: state %s, SO_ERROR %s", tcpstate(k.c), soerr(k.c));
        icmp_to_client(3, 3, 0, k.cport, 9601, k.snd_nxt);
        sleep_ms(20);
        out(cs, "seq = snd_nxt: state %s, SO_ERROR %s", tcpstate(k.c), soerr(k.c));
        close(k.c); close(k.a);
    }
    if (want("soft")) {
        /* a soft error is remembered: does a later timeout report it instead of ETIMEDOUT? */
        const char *names[] = {"host unreachable (3/1) then the path goes silent", "port unreachable (3/3) then the path goes silent", "no ICMP, the path goes silent"};
        int codes[] = {1, 3, -1};
        for (int i = 0; i < 3; i++) {
            const char *cs = names[i];
            struct conn k = mkconn(l, 9601, 0);
            seti(k.c, IPPROTO_TCP, TCP_USER_TIMEOUT, 2000);
            if (codes[i] >= 0) icmp_to_client(3, codes[i], 0, k.cport, 9601, k.snd_nxt);
            sleep_ms(20);
            sh("ip netns exec " SRV " nft add rule inet kp in tcp dport 9601 drop");
            kp_mark(cs);
            send(k.c, "data", 4, 0);
            double w; int rv = pollwait(k.c, POLLIN, 8000, &w);
            char x[4]; const char *r = R(recv(k.c, x, 4, MSG_DONTWAIT));
            out(cs, "TCP_USER_TIMEOUT 2000, data unacked: poll %s at %.0f ms, recv = %s", rev(rv), w, r);
            sh("ip netns exec " SRV " nft flush chain inet kp in");
            close(k.c); close(k.a);
        }
    }
    if (want("mtu")) {
        const char *cs = "ICMP fragmentation needed (3/4), MTU 1000";
        struct conn k = mkconn(l, 9601, 0);
        kp_mark(cs);
        icmp_to_client(3, 4, 1000, k.cport, 9601, k.snd_nxt);
        sleep_ms(20);
        int mss; socklen_t ml = sizeof mss; getsockopt(k.c, IPPROTO_TCP, TCP_MAXSEG, &mss, &ml);
        int pm; socklen_t pl = sizeof pm; getsockopt(k.c, IPPROTO_IP, IP_MTU, &pm, &pl);
        out(cs, "after the ICMP: state %s, SO_ERROR %s, TCP_MAXSEG %d, IP_MTU %d", tcpstate(k.c), soerr(k.c), mss, pm);
        char big[4000]; memset(big, 'b', sizeof big);
        send(k.c, big, sizeof big, 0);
        sleep_ms(50);
        struct tcp_info ti; socklen_t tl = sizeof ti; getsockopt(k.c, IPPROTO_TCP, TCP_INFO, &ti, &tl);
        out(cs, "after sending 4000 bytes: tcpi_snd_mss %u, tcpi_pmtu %u (the veth does TSO, so the capture shows one 4000-byte GSO packet)", ti.tcpi_snd_mss, ti.tcpi_pmtu);
        k.snd_nxt += 4000;
        icmp_to_client(3, 4, 300, k.cport, 9601, k.snd_nxt);
        sleep_ms(20);
        getsockopt(k.c, IPPROTO_IP, IP_MTU, &pm, &pl);
        tl = sizeof ti; getsockopt(k.c, IPPROTO_TCP, TCP_INFO, &ti, &tl);
        out(cs, "a second ICMP with MTU 300 (below min_pmtu %s): IP_MTU now %d, tcpi_snd_mss %u, SO_ERROR %s", sysctl_get(CLI, "net/ipv4/route/min_pmtu"), pm, ti.tcpi_snd_mss, soerr(k.c));
        k.snd_nxt += 0;
        icmp_to_client(3, 4, 1400, k.cport, 9601, k.snd_nxt);
        sleep_ms(20);
        getsockopt(k.c, IPPROTO_IP, IP_MTU, &pm, &pl);
        out(cs, "a third ICMP with MTU 1400 (larger than the current): IP_MTU now %d", pm);
        close(k.c); close(k.a);
    }
    close(l);
    return 0;
}
