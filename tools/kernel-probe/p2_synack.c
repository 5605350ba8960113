/* p2_synack.c - topic 2: SYN-ACK retransmission, request expiry, accept-queue overflow of the final ACK */
#include "kp_raw.h"

/* is there a SYN_RECV request for local port lp in ns? (/proc/net/tcp lists request socks as state 03) */
static int synrecv_present(const char *ns, int lp) {
    ns_enter(ns);
    FILE *f = fopen("/proc/net/tcp", "r");
    ns_leave();
    char line[512]; int found = 0;
    if (!f) return -1;
    while (fgets(line, sizeof line, f)) {
        unsigned a, p, st;
        if (sscanf(line, " %*d: %x:%x %*x:%*x %x", &a, &p, &st) == 3 && (int)p == lp && st == 3) found = 1;
    }
    fclose(f);
    return found;
}

/* a raw SYN that is never answered: when does the server resend the SYN-ACK, when does it give up */
static void raw_syn(const char *label, int port, int rport, int syncnt, int maxs) {
    const char *cs = label;
    int l = listener4(SRV, "10.0.0.2", port, 8);
    if (syncnt) { const char *r = R(seti(l, IPPROTO_TCP, TCP_SYNCNT, syncnt)); out(cs, "listener setsockopt TCP_SYNCNT=%d: %s", syncnt, r); }
    int tx = raw_tx(CLI), rx = raw_rx(CLI, ifc());
    kp_mark(label);
    struct seg g = mkseg("10.0.0.1", rport, "10.0.0.2", port, F_SYN, 1000000, 0);
    opt_linux_syn(&g, 12345);
    tcp_send(tx, &g);
    double gone = -1; int n = 0; uint32_t isn = 0;
    while (ms() < maxs * 1000.0) {
        struct seg r;
        if (tcp_recv(rx, rport, 50, &r)) {
            out(cs, "%8.1f ms got  %s", r.t, segstr(&r));
            isn = r.seq; n++;
        }
        int pr = synrecv_present(SRV, port);
        if (pr == 0 && gone < 0) { gone = ms(); out(cs, "%8.1f ms the SYN_RECV request is gone from /proc/net/tcp", gone); }
        if (gone >= 0 && ms() > gone + 3000) break;
    }
    out(cs, "SYN-ACKs received: %d (1 original + %d retransmissions)", n, n - 1);
    /* the late final ACK */
    struct seg a = mkseg("10.0.0.1", rport, "10.0.0.2", port, F_ACK, 1000001, isn + 1);
    tcp_send(tx, &a);
    tcp_watch(rx, rport, 500, cs);
    setnb(l, 1);
    out(cs, "accept after the late ACK = %s", R(accept(l, NULL, NULL)));
    close(l); close(tx); close(rx);
}

static const char *cst(int fd) { char *b = kp_buf(); snprintf(b, 512, "%s", tcpstate(fd)); return b; }

KP_MAIN
    if (want("raw5")) raw_syn("raw SYN, tcp_synack_retries=5 (default)", 6001, 40001, 0, 100);
    if (want("raw2")) {
        sysctl_set(SRV, "net/ipv4/tcp_synack_retries", "2");
        raw_syn("raw SYN, tcp_synack_retries=2", 6002, 40002, 0, 30);
        sysctl_set(SRV, "net/ipv4/tcp_synack_retries", "5");
    }
    if (want("rawsyncnt")) raw_syn("raw SYN, listener TCP_SYNCNT=1 (sysctl synack_retries=5)", 6003, 40003, 1, 30);
    if (want("rawlinear")) {
        sysctl_set(SRV, "net/ipv4/tcp_syn_linear_timeouts", "0");
        raw_syn("raw SYN, listener TCP_SYNCNT=2, tcp_syn_linear_timeouts=0 (server)", 6004, 40004, 2, 30);
        sysctl_set(SRV, "net/ipv4/tcp_syn_linear_timeouts", "4");
    }
    if (want("overflow")) {
        /* delayline topology, 50 ms one-way. listen(1) admits 2. Port 6010: never accept.
           Port 6011: same, but accept() one connection at 5 s. */
        const char *cs = "ACK overflow";
        int L[2] = {listener4(SRV, "10.0.0.2", 6010, 1), listener4(SRV, "10.0.0.2", 6011, 1)};
        int c[2][5];
        kp_ctr c0; ctr_snap(SRV, &c0);
        kp_mark("ACK overflow: listen(fd,1), client 1 completes, clients 2-5 back to back");
        for (int k = 0; k < 2; k++) {
            kp_sa a = sa4("10.0.0.2", 6010 + k);
            c[k][0] = nsock(CLI, AF_INET, SOCK_STREAM, 0);
            out(cs, "%8.1f ms port %d client 1 blocking connect = %s", ms(), 6010 + k, R(connect(c[k][0], &a.sa, SA4)));
        }
        for (int k = 0; k < 2; k++) {
            kp_sa a = sa4("10.0.0.2", 6010 + k);
            for (int i = 1; i < 5; i++) {
                c[k][i] = nsock(CLI, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
                connect(c[k][i], &a.sa, SA4);
            }
        }
        int accepted = 0;
        int marks[] = {300, 2000, 4900, 5500, 8000, 20000, 40000, 66000, 70000};
        for (unsigned m = 0; m < sizeof marks / sizeof marks[0]; m++) {
            while (ms() < marks[m]) {
                if (!accepted && ms() >= 5000) {
                    int a = accept(L[1], NULL, NULL);
                    out(cs, "%8.1f ms port 6011: accept() = fd (peer %s); queue now has room", ms(), peername(a));
                    accepted = 1;
                }
                sleep_ms(5);
            }
            for (int k = 0; k < 2; k++) {
                char line[512] = "";
                for (int i = 0; i < 5; i++) { char t[64]; snprintf(t, sizeof t, " c%d(%d)=%s", i + 1, lport(c[k][i]), cst(c[k][i])); strcat(line, t); }
                out(cs, "%8.1f ms port %d client states:%s", ms(), 6010 + k, line);
            }
            sh("ip netns exec " SRV " ss -tan '( sport = :6010 or sport = :6011 )' | sed 's/^/# ss %d ms: /'", marks[m]);
        }
        ctr_diff(cs, SRV, &c0);
        /* at ~70 s: every client that believes it is connected writes one byte */
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < 5; i++)
                if (!strcmp(tcpstate(c[k][i]), "ESTABLISHED")) {
                    const char *w = R(send(c[k][i], "x", 1, MSG_NOSIGNAL));
                    out(cs, "%8.1f ms port %d client %d send 1 byte = %s", ms(), 6010 + k, i + 1, w);
                }
        sleep_ms(400);
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < 5; i++) {
                char b[8];
                const char *p = pollnow(c[k][i]);
                const char *r = R(recv(c[k][i], b, sizeof b, MSG_DONTWAIT));
                out(cs, "%8.1f ms port %d client %d: poll %s, recv %s, state %s", ms(), 6010 + k, i + 1, p, r, tcpstate(c[k][i]));
            }
        ctr_diff(cs, SRV, &c0);
    }
    return 0;
}
