/* p3_rst.c - topic 3: what the kernel answers to odd segments (closed port, listener, SYN_SENT, ESTABLISHED) */
#include "kp_raw.h"

static int tx_c, rx_c, tx_s, rx_s;   /* raw send/receive in the client and in the server namespace */

/* send g from the client side, print what comes back to g.sport within tmo ms */
static void probe(const char *cs, struct seg g, int tmo) {
    kp_mark(cs);
    tcp_send(tx_c, &g);
    tcp_watch(rx_c, g.sport, tmo, cs);
}

/* handshake of a raw client (client ns, port rport, ISN 1000000, MSS option only: no TS/SACK/wscale)
   with the kernel listener l; returns the accepted socket and the server ISN */
static int raw_connect(int l, int rport, int port, uint32_t *sisn) {
    struct seg g = mkseg("10.0.0.1", rport, "10.0.0.2", port, F_SYN, 1000000, 0), r;
    opt_mss(&g);
    tcp_send(tx_c, &g);
    if (!tcp_recv(rx_c, rport, 1000, &r)) { printf("# no SYN-ACK\n"); exit(1); }
    printf("#   %8.1f ms got  %s\n", r.t, segstr(&r));
    *sisn = r.seq;
    g = mkseg("10.0.0.1", rport, "10.0.0.2", port, F_ACK, 1000001, r.seq + 1);
    g.win = 64240;
    tcp_send(tx_c, &g);
    sleep_ms(20);
    return accept(l, NULL, NULL);
}

static void est_case(int l, const char *cs, int rport, int flags, int64_t seqoff, int64_t ackoff, int len) {
    uint32_t sisn;
    kp_mark(cs);
    int a = raw_connect(l, rport, 7001, &sisn);
    setnb(a, 1);
    sleep_ms(50);
    /* rcv_nxt of the server = 1000001; its snd_nxt = sisn+1 */
    struct seg g = mkseg("10.0.0.1", rport, "10.0.0.2", 7001, flags, (uint32_t)(1000001 + seqoff), (uint32_t)(sisn + 1 + ackoff));
    g.len = len; memset(g.data, 'd', len);
    out(cs, "server rcv_nxt=1000001, snd_nxt=%u; sending seq rcv_nxt%+lld ack snd_nxt%+lld", sisn + 1, (long long)seqoff, (long long)ackoff);
    tcp_send(tx_c, &g);
    tcp_watch(rx_c, rport, 300, cs);
    char b[64];
    const char *p = pollnow(a);
    const char *r = R(recv(a, b, sizeof b, 0));
    out(cs, "server socket after it: state %s, poll %s, recv %s", tcpstate(a), p, r);
    close(a);
    sleep_ms(600);    /* stay clear of the 500 ms per-socket challenge-ACK rate limit */
}

KP_MAIN
    tx_c = raw_tx(CLI); rx_c = raw_rx(CLI, ifc());
    tx_s = raw_tx(SRV); rx_s = raw_rx(SRV, ifs());
    if (want("closed")) {
        struct seg g;
        g = mkseg("10.0.0.1", 41001, "10.0.0.2", 7999, F_SYN, 1000000, 0); opt_linux_syn(&g, 555);
        probe("closed port: SYN", g, 300);
        g = mkseg("10.0.0.1", 41002, "10.0.0.2", 7999, F_SYN, 1000000, 0); g.len = 10; memset(g.data, 'x', 10);
        probe("closed port: SYN with 10 bytes of data", g, 300);
        g = mkseg("10.0.0.1", 41003, "10.0.0.2", 7999, F_ACK, 1000000, 2000000);
        probe("closed port: bare ACK", g, 300);
        g = mkseg("10.0.0.1", 41004, "10.0.0.2", 7999, F_ACK | F_PSH, 1000000, 2000000); g.len = 10; memset(g.data, 'x', 10);
        probe("closed port: data (PSH|ACK, 10 bytes)", g, 300);
        g = mkseg("10.0.0.1", 41005, "10.0.0.2", 7999, F_PSH, 1000000, 0); g.len = 10; memset(g.data, 'x', 10);
        probe("closed port: data without ACK flag (PSH, 10 bytes)", g, 300);
        g = mkseg("10.0.0.1", 41006, "10.0.0.2", 7999, F_FIN | F_ACK, 1000000, 2000000);
        probe("closed port: FIN|ACK", g, 300);
        g = mkseg("10.0.0.1", 41007, "10.0.0.2", 7999, F_FIN, 1000000, 0);
        probe("closed port: FIN without ACK", g, 300);
        g = mkseg("10.0.0.1", 41008, "10.0.0.2", 7999, F_RST, 1000000, 0);
        probe("closed port: RST", g, 300);
        g = mkseg("10.0.0.1", 41009, "10.0.0.2", 7999, F_RST | F_ACK, 1000000, 2000000);
        probe("closed port: RST|ACK", g, 300);
        g = mkseg("10.0.0.1", 41010, "10.0.0.2", 7999, F_SYN | F_FIN, 1000000, 0);
        probe("closed port: SYN|FIN", g, 300);
        g = mkseg("10.0.0.1", 41011, "10.0.0.2", 7999, 0, 1000000, 0);
        probe("closed port: no flags", g, 300);
        g = mkseg("10.0.0.1", 41012, "10.0.0.2", 7999, F_SYN | F_ACK, 1000000, 2000000);
        probe("closed port: SYN|ACK", g, 300);
        g = mkseg("10.0.0.1", 41013, "10.0.0.2", 7999, F_SYN | F_RST, 1000000, 0);
        probe("closed port: SYN|RST", g, 300);
        g = mkseg("10.0.0.1", 41014, "10.0.0.2", 7999, F_ACK, 1000000, 2000000); opt_ts(&g, 777, 888);
        probe("closed port: bare ACK with TS option", g, 300);
        struct seg h = mkseg("10.0.0.1", 41015, "10.0.0.2", 7999, F_SYN, 1000000, 0); opt_linux_syn(&h, 555);
        kp_mark("closed port: 5 SYNs 10 ms apart (RST rate limit?)");
        for (int i = 0; i < 5; i++) { h.sport = 41015 + i; tcp_send(tx_c, &h); sleep_ms(10); }
        tcp_watch(rx_c, 0, 300, "closed port: 5 SYNs 10 ms apart");
    }
    if (want("listen")) {
        int l = listener4(SRV, "10.0.0.2", 7001, 16);
        struct seg g;
        g = mkseg("10.0.0.1", 41101, "10.0.0.2", 7001, F_ACK, 1000000, 2000000);
        probe("listener: bare ACK", g, 300);
        g = mkseg("10.0.0.1", 41102, "10.0.0.2", 7001, F_SYN | F_ACK, 1000000, 2000000);
        probe("listener: SYN|ACK", g, 300);
        g = mkseg("10.0.0.1", 41103, "10.0.0.2", 7001, F_ACK | F_PSH, 1000000, 2000000); g.len = 10; memset(g.data, 'x', 10);
        probe("listener: data (PSH|ACK)", g, 300);
        g = mkseg("10.0.0.1", 41104, "10.0.0.2", 7001, F_FIN | F_ACK, 1000000, 2000000);
        probe("listener: FIN|ACK", g, 300);
        g = mkseg("10.0.0.1", 41105, "10.0.0.2", 7001, F_FIN, 1000000, 0);
        probe("listener: FIN without ACK", g, 300);
        g = mkseg("10.0.0.1", 41106, "10.0.0.2", 7001, F_RST, 1000000, 0);
        probe("listener: RST", g, 300);
        g = mkseg("10.0.0.1", 41107, "10.0.0.2", 7001, F_RST | F_ACK, 1000000, 2000000);
        probe("listener: RST|ACK", g, 300);
        g = mkseg("10.0.0.1", 41108, "10.0.0.2", 7001, F_SYN | F_FIN, 1000000, 0);
        probe("listener: SYN|FIN", g, 300);
        g = mkseg("10.0.0.1", 41109, "10.0.0.2", 7001, F_SYN | F_RST, 1000000, 0);
        probe("listener: SYN|RST", g, 300);
        g = mkseg("10.0.0.1", 41110, "10.0.0.2", 7001, 0, 1000000, 0);
        probe("listener: no flags", g, 300);
        g = mkseg("10.0.0.1", 41111, "10.0.0.2", 7001, F_SYN, 1000000, 0); opt_mss(&g); g.len = 10; memset(g.data, 'x', 10);
        probe("listener: SYN with 10 bytes of data", g, 300);
        g = mkseg("10.0.0.1", 41112, "10.0.0.2", 7001, F_SYN, 1000000, 0);
        probe("listener: SYN without options", g, 300);
        g = mkseg("10.0.0.1", 41113, "10.0.0.2", 7001, F_SYN | F_PSH | F_URG, 1000000, 0); opt_mss(&g);
        probe("listener: SYN|PSH|URG", g, 300);
        g = mkseg("10.0.0.1", 41114, "10.0.0.2", 7001, F_SYN, 1000000, 0); opt_linux_syn(&g, 555);
        probe("listener: SYN with Linux options (mss,sackOK,TS,nop,wscale 7)", g, 300);
        setnb(l, 1);
        int n = 0; while (accept(l, NULL, NULL) >= 0) n++;
        out("listener", "accept() drained %d connection(s) (%s)", n, en(errno));
        close(l);
    }
    if (want("synsent")) {
        /* the client kernel connects to 10.0.0.2:7100; the server kernel drops it (nft), and we answer
           from the server side by hand */
        const char *names[] = {
            "SYN_SENT: RST|ACK with a wrong ack (isn+5)",
            "SYN_SENT: RST without ACK",
            "SYN_SENT: RST|ACK with the right ack (isn+1)",
            "SYN_SENT: SYN|ACK with a wrong ack (isn+5)",
            "SYN_SENT: bare ACK with the right ack (isn+1)",
            "SYN_SENT: bare ACK with a wrong ack (isn+5)",
            "SYN_SENT: SYN|ACK|RST with the right ack",
            "SYN_SENT: RST|ACK right ack, then SYN|ACK right ack",
            "SYN_SENT: SYN|ACK with ack = isn (one too old)",
            "SYN_SENT: bare ACK with a wrong ack, then watch the SYN schedule for 8 s",
            "SYN_SENT: two bare ACKs with a wrong ack 100 ms apart, watch 4 s",
        };
        for (int k = 0; k < 11; k++) {
            const char *cs = names[k];
            int c = nsock(CLI, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            kp_sa a = sa4("10.0.0.2", 7100);
            kp_mark(cs);
            connect(c, &a.sa, SA4);
            struct seg syn;
            while (tcp_recv(rx_s, 7100, 1000, &syn) && !(syn.flags & F_SYN)) {}
            out(cs, "%8.1f ms client SYN: %s", syn.t, segstr(&syn));
            uint32_t isn = syn.seq;
            struct seg g = mkseg("10.0.0.2", 7100, "10.0.0.1", syn.sport, 0, 5000000, 0);
            switch (k) {
            case 0: g.flags = F_RST | F_ACK; g.ack = isn + 5; break;
            case 1: g.flags = F_RST; g.seq = 0; break;
            case 2: g.flags = F_RST | F_ACK; g.ack = isn + 1; g.seq = 0; break;
            case 3: g.flags = F_SYN | F_ACK; g.ack = isn + 5; opt_mss(&g); break;
            case 4: g.flags = F_ACK; g.ack = isn + 1; break;
            case 5: g.flags = F_ACK; g.ack = isn + 5; break;
            case 6: g.flags = F_SYN | F_ACK | F_RST; g.ack = isn + 1; opt_mss(&g); break;
            case 7: g.flags = F_RST | F_ACK; g.ack = isn + 1; break;
            case 8: g.flags = F_SYN | F_ACK; g.ack = isn; opt_mss(&g); break;
            case 9: case 10: g.flags = F_ACK; g.ack = isn + 5; break;
            }
            tcp_send(tx_s, &g);
            if (k == 7) { sleep_ms(5); struct seg h = g; h.flags = F_SYN | F_ACK; opt_mss(&h); tcp_send(tx_s, &h); }
            if (k == 10) { sleep_ms(100); tcp_send(tx_s, &g); }
            struct seg r; int got = 0;
            int w = k == 9 ? 8000 : k == 10 ? 4000 : 200;
            double end = ms() + w;
            while (ms() < end && tcp_recv(rx_s, 7100, (int)(end - ms()), &r)) { out(cs, "%8.1f ms client sent %s", r.t, segstr(&r)); got++; }
            if (!got) out(cs, "client sent nothing within %d ms", w);
            out(cs, "client socket: state %s, poll %s, SO_ERROR %s", tcpstate(c), pollnow(c), soerr(c));
            close(c);
            while (tcp_recv(rx_s, 7100, 50, &r)) {}
        }
    }
    if (want("est")) {
        int l = listener4(SRV, "10.0.0.2", 7001, 16);
        /* RFC 5961 checks on a connection whose client side is us */
        est_case(l, "ESTABLISHED: RST seq = rcv_nxt (exact)", 41201, F_RST, 0, 0, 0);
        est_case(l, "ESTABLISHED: RST|ACK seq = rcv_nxt (exact), ack = snd_nxt", 41202, F_RST | F_ACK, 0, 0, 0);
        est_case(l, "ESTABLISHED: RST seq = rcv_nxt+1 (in window, not exact)", 41203, F_RST, 1, 0, 0);
        est_case(l, "ESTABLISHED: RST seq = rcv_nxt+30000 (in window, not exact)", 41204, F_RST, 30000, 0, 0);
        est_case(l, "ESTABLISHED: RST seq = rcv_nxt+10000000 (out of window)", 41205, F_RST, 10000000, 0, 0);
        est_case(l, "ESTABLISHED: RST seq = rcv_nxt-1 (left of window)", 41206, F_RST, -1, 0, 0);
        est_case(l, "ESTABLISHED: RST|ACK seq exact, ack = snd_nxt+1000 (unsent)", 41207, F_RST | F_ACK, 0, 1000, 0);
        est_case(l, "ESTABLISHED: SYN seq = rcv_nxt (in window)", 41208, F_SYN, 0, 0, 0);
        est_case(l, "ESTABLISHED: SYN seq = ISN (the original SYN again)", 41209, F_SYN, -1, 0, 0);
        est_case(l, "ESTABLISHED: SYN seq = rcv_nxt+10000000 (out of window)", 41210, F_SYN, 10000000, 0, 0);
        est_case(l, "ESTABLISHED: SYN|ACK seq = ISN ack = snd_nxt", 41211, F_SYN | F_ACK, -1, 0, 0);
        est_case(l, "ESTABLISHED: data seq = rcv_nxt+10000000 (out of window)", 41212, F_ACK | F_PSH, 10000000, 0, 10);
        est_case(l, "ESTABLISHED: data seq = rcv_nxt-100 (old, entirely duplicate)", 41213, F_ACK | F_PSH, -100, 0, 10);
        est_case(l, "ESTABLISHED: ACK with ack = snd_nxt+1000 (acks unsent data)", 41214, F_ACK, 0, 1000, 0);
        est_case(l, "ESTABLISHED: ACK with ack = snd_nxt-100000 (too old)", 41215, F_ACK, 0, -100000, 0);
        est_case(l, "ESTABLISHED: data seq = rcv_nxt+1000 (in window, out of order)", 41216, F_ACK | F_PSH, 1000, 0, 10);
        est_case(l, "ESTABLISHED: data without ACK flag at rcv_nxt", 41217, F_PSH, 0, 0, 10);
        est_case(l, "ESTABLISHED: FIN|ACK at rcv_nxt", 41218, F_FIN | F_ACK, 0, 0, 0);
        /* rate limit: two in-window RSTs 100 ms apart on one connection */
        {
            const char *cs = "ESTABLISHED: 3 in-window RSTs (rcv_nxt+1) 100 ms apart";
            uint32_t sisn;
            kp_mark(cs);
            int a = raw_connect(l, 41220, 7001, &sisn);
            sleep_ms(600);
            for (int i = 0; i < 3; i++) {
                struct seg g = mkseg("10.0.0.1", 41220, "10.0.0.2", 7001, F_RST, 1000002, 0);
                tcp_send(tx_c, &g);
                tcp_watch(rx_c, 41220, 100, cs);
            }
            out(cs, "server socket state %s", tcpstate(a));
            close(a);
        }
        close(l);
    }
    return 0;
}
