/* p9_close.c - topic 9: TIME_WAIT, FIN_WAIT_2, delayed ACK, close() with unread data, SO_LINGER,
 * close in SYN_SENT */
#include "kp.h"

/* state of the 4-tuple with local port lp in ns, from /proc/net/tcp ("" if none); TW shows as 06 */
static const char *proc_state(const char *ns, int lp, int rp) {
    static const char *n[] = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"};
    ns_enter(ns);
    FILE *f = fopen("/proc/net/tcp", "r");
    ns_leave();
    char ln[512]; const char *r = "";
    while (f && fgets(ln, sizeof ln, f)) {
        unsigned a, p, ra, rpp, st;
        if (sscanf(ln, " %*d: %x:%x %x:%x %x", &a, &p, &ra, &rpp, &st) == 5 && (int)p == lp && (int)rpp == rp && st < 12) r = n[st];
    }
    if (f) fclose(f);
    return r;
}
static int bound_conn(int lp, int rp, int reuse, const char **res) {
    int c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
    if (reuse) seti(c, SOL_SOCKET, SO_REUSEADDR, 1);
    kp_sa b = sa4("10.0.0.1", lp);
    if (bind(c, &b.sa, SA4) < 0) { *res = R(-1); errno = kp_last_errno; char *x = kp_buf(); snprintf(x, 512, "bind %s", en(kp_last_errno)); *res = x; close(c); return -1; }
    kp_sa a = sa4("10.0.0.2", rp);
    int r = connect(c, &a.sa, SA4);
    if (r < 0) { char *x = kp_buf(); snprintf(x, 512, "connect %s", en(errno)); *res = x; close(c); return -1; }
    *res = "connect 0";
    return c;
}

KP_MAIN
    if (want("tw")) {
        /* client closes first -> client TIME_WAIT on 10.0.0.1:47001 <-> 10.0.0.2:9401 */
        int l = listener4(SRV, "10.0.0.2", 9401, 16);
        const char *reuse = sysctl_get(CLI, "net/ipv4/tcp_tw_reuse");
        char cs[128]; snprintf(cs, sizeof cs, "TIME_WAIT reuse by connect, tcp_tw_reuse=%s", reuse);
        const char *r;
        int c = bound_conn(47001, 9401, 1, &r);
        int a = accept(l, NULL, NULL);
        /* also an orphaned FIN_WAIT2 on port 47002: client close()s, server never closes */
        int c2 = bound_conn(47002, 9401, 1, &r);
        int a2 = accept(l, NULL, NULL);
        kp_mark(cs);
        close(c);              /* active close */
        sleep_ms(20);
        close(a);              /* server answers with its FIN -> client TIME_WAIT */
        close(c2);             /* FIN_WAIT2 orphan, tcp_fin_timeout */
        out(cs, "fin_timeout %s; after close: port 47001 %s, port 47002 %s", sysctl_get(CLI, "net/ipv4/tcp_fin_timeout"), proc_state(CLI, 47001, 9401), proc_state(CLI, 47002, 9401));
        { int b = nsock(CLI, AF_INET, SOCK_STREAM, 0); kp_sa ba = sa4("10.0.0.1", 47001); const char *rb = R(bind(b, &ba.sa, SA4)); out(cs, "bind(10.0.0.1:47001) without SO_REUSEADDR during TIME_WAIT = %s", rb); close(b); }
        { int b = nsock(CLI, AF_INET, SOCK_STREAM, 0); seti(b, SOL_SOCKET, SO_REUSEADDR, 1); kp_sa ba = sa4("10.0.0.1", 47001); const char *rb = R(bind(b, &ba.sa, SA4));
          kp_sa o = sa4("10.0.0.2", 9402); int lo = listener4(SRV, "10.0.0.2", 9402, 4);
          const char *rc = R(connect(b, &o.sa, SA4)); out(cs, "SO_REUSEADDR bind = %s; connect from 47001 to ANOTHER peer port (9402) during TIME_WAIT = %s", rb, rc); close(b); close(lo); }
        const char *last = "", *lastfw = "start";
        double tw_gone = -1, fw_gone = -1; int ok = 0;
        while (ms() < 75000 && !(ok && tw_gone >= 0 && fw_gone >= 0)) {
            const char *st = proc_state(CLI, 47001, 9401), *fw = proc_state(CLI, 47002, 9401);
            if (strcmp(fw, lastfw)) { out(cs, "%8.0f ms port 47002 (orphan after close, server silent) state now '%s'", ms(), fw); lastfw = fw; if (!fw[0]) fw_gone = ms(); }
            if (!st[0] && tw_gone < 0) { tw_gone = ms(); out(cs, "%8.0f ms TIME_WAIT entry for 47001 gone", tw_gone); }
            if (!ok) {
                int t = bound_conn(47001, 9401, 1, &r);
                if (strcmp(r, last)) { out(cs, "%8.0f ms reconnect from 10.0.0.1:47001 (SO_REUSEADDR): %s (TW entry %s)", ms(), r, st[0] ? "present" : "gone"); last = r; }
                if (t >= 0) { ok = 1; int aa = accept(l, NULL, NULL); close(aa); close(t); }
            }
            sleep_ms(250);
        }
        close(a2); close(l);
    }
    if (want("twauto")) {
        /* TIME_WAIT vs an ephemeral-port connect: the range is one port, so the kernel must pick the TW port */
        int l = listener4(SRV, "10.0.0.2", 9401, 16);
        sysctl_set(CLI, "net/ipv4/ip_local_port_range", "40000 40000");
        char cs[160];
        snprintf(cs, sizeof cs, "TIME_WAIT vs autobind connect, tcp_tw_reuse=%s, tcp_tw_reuse_delay=%s ms", sysctl_get(CLI, "net/ipv4/tcp_tw_reuse"), sysctl_get(CLI, "net/ipv4/tcp_tw_reuse_delay"));
        int c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
        kp_sa d = sa4("10.0.0.2", 9401);
        connect(c, &d.sa, SA4);
        int a = accept(l, NULL, NULL);
        kp_mark(cs);
        close(c); sleep_ms(10); close(a); sleep_ms(10);
        out(cs, "client closed first; 10.0.0.1:40000 <-> 10.0.0.2:9401 is now %s", proc_state(CLI, 40000, 9401));
        const char *last = ""; double gone = -1; int ok = 0;
        while (ms() < 70000 && !ok) {
            const char *st = proc_state(CLI, 40000, 9401);
            if (!st[0] && gone < 0) { gone = ms(); out(cs, "%8.0f ms TIME_WAIT entry gone", gone); }
            int t = nsock(CLI, AF_INET, SOCK_STREAM, 0);
            const char *r = R(connect(t, &d.sa, SA4));
            if (strcmp(r, last)) { out(cs, "%8.0f ms connect (autobind, same peer) = %s, local port %d (TW entry %s)", ms(), r, lport(t), st[0] ? "present" : "gone"); last = r; }
            if (kp_last_errno == 0) { ok = 1; int aa = accept(l, NULL, NULL); struct linger lg = {1, 0}; setsockopt(t, SOL_SOCKET, SO_LINGER, &lg, sizeof lg); close(aa); }
            close(t);
            sleep_ms(100);
        }
        sysctl_set(CLI, "net/ipv4/ip_local_port_range", "32768 60999");
        close(l);
    }
    if (want("twserver")) {
        /* server closes first: the server holds TIME_WAIT; the client reconnects from the same port */
        const char *cs = "server-side TIME_WAIT, client reconnects from the same port";
        int l = listener4(SRV, "10.0.0.2", 9403, 16);
        const char *r;
        kp_mark(cs);
        int c = bound_conn(47003, 9403, 1, &r);
        int a = accept(l, NULL, NULL);
        close(a); sleep_ms(20); close(c); sleep_ms(20);
        sh("ip netns exec " SRV " ss -tan 'sport = :9403' | sed 's/^/# ss: /'");
        int t = bound_conn(47003, 9403, 1, &r);
        out(cs, "%.0f ms: reconnect from 47003 = %s, state %s", ms(), r, t >= 0 ? tcpstate(t) : "-");
        sh("ip netns exec " SRV " ss -tan 'sport = :9403' | sed 's/^/# ss: /'");
        if (t >= 0) close(t);
        int aa; setnb(l, 1); while ((aa = accept(l, NULL, NULL)) >= 0) close(aa);
        close(l);
    }
    if (want("finwait")) {
        const char *cs = "FIN_WAIT2";
        int l = listener4(SRV, "10.0.0.2", 9404, 16);
        const char *r;
        int c = bound_conn(47004, 9404, 1, &r);   /* orphan */
        int a = accept(l, NULL, NULL);
        int c2 = bound_conn(47005, 9404, 1, &r);  /* not orphaned: shutdown(SHUT_WR), fd kept */
        int a2 = accept(l, NULL, NULL);
        int c3 = bound_conn(47006, 9404, 1, &r);  /* orphan that the server then sends data to */
        int a3 = accept(l, NULL, NULL);
        kp_mark("FIN_WAIT2 (tcp_fin_timeout as set)");
        close(c); shutdown(c2, SHUT_WR); close(c3);
        sleep_ms(50);
        out(cs, "tcp_fin_timeout=%s: orphan 47004 %s, shut-down 47005 %s (fd open), orphan 47006 %s", sysctl_get(CLI, "net/ipv4/tcp_fin_timeout"), proc_state(CLI, 47004, 9404), proc_state(CLI, 47005, 9404), proc_state(CLI, 47006, 9404));
        sleep_ms(450);
        kp_mark("server sends 5 bytes to the FIN_WAIT2 orphan 47006");
        out(cs, "server send to orphan 47006 = %s", R(send(a3, "hello", 5, MSG_NOSIGNAL)));
        sleep_ms(50);
        { char x[8]; const char *rr = R(recv(a3, x, 8, MSG_DONTWAIT)); out(cs, "server side of 47006: state %s, recv %s, orphan now '%s'", tcpstate(a3), rr, proc_state(CLI, 47006, 9404)); }
        const char *l1 = "x", *l2 = "x";
        kp_mark("FIN_WAIT2 watch");
        while (ms() < 12000) {
            const char *s1 = proc_state(CLI, 47004, 9404), *s2 = tcpstate(c2);
            if (strcmp(s1, l1)) { out(cs, "%8.0f ms orphan 47004: '%s'", ms(), s1); l1 = s1; }
            if (strcmp(s2, l2)) { out(cs, "%8.0f ms shut-down 47005 (fd open): %s", ms(), s2); l2 = s2; }
            sleep_ms(100);
        }
        kp_mark("server sends data to the expired orphan 47004 and to 47005");
        out(cs, "server send to 47004 = %s, to 47005 = %s", R(send(a, "late", 4, MSG_NOSIGNAL)), R(send(a2, "late", 4, MSG_NOSIGNAL)));
        sleep_ms(100);
        { char x[8]; const char *rr = R(recv(a, x, 8, MSG_DONTWAIT)); out(cs, "server side of 47004 after that: state %s, recv %s", tcpstate(a), rr); }
        { char x[8]; const char *rr = R(recv(c2, x, 8, MSG_DONTWAIT)); out(cs, "47005 (FIN_WAIT2, fd open) recv = %s, state %s", rr, tcpstate(c2)); }
        close(a); close(a2); close(a3); close(c2); close(l);
    }
    if (want("delack")) {
        const char *cs = "delayed ACK";
        int l = listener4(SRV, "10.0.0.2", 9405, 16);
        const char *r;
        kp_mark("delayed ACK: client sends 1 byte every 300 ms, server never writes (port 47007)");
        int c = bound_conn(47007, 9405, 1, &r);
        int a = accept(l, NULL, NULL);
        for (int i = 0; i < 8; i++) { sleep_ms(300); send(c, "x", 1, 0); }
        sleep_ms(300);
        kp_mark("delayed ACK: two full-size segments back to back");
        { char big[2 * 1448]; memset(big, 'y', sizeof big); send(c, big, sizeof big, 0); }
        sleep_ms(300);
        kp_mark("delayed ACK: server reads then client sends 1 byte");
        { char x[4096]; while (recv(a, x, sizeof x, MSG_DONTWAIT) > 0) {} }
        sleep_ms(50); send(c, "z", 1, 0); sleep_ms(300);
        kp_mark("delayed ACK: TCP_QUICKACK on the server, then 1 byte");
        seti(a, IPPROTO_TCP, TCP_QUICKACK, 1); send(c, "q", 1, 0); sleep_ms(300);
        kp_mark("delayed ACK: server replies 1 byte 10 ms after each client byte (piggyback)");
        for (int i = 0; i < 3; i++) { send(c, "p", 1, 0); sleep_ms(10); { char x[16]; recv(a, x, sizeof x, MSG_DONTWAIT); } send(a, "r", 1, 0); sleep_ms(290); }
        out(cs, "see the capture of port 47007");
        close(c); close(a); close(l);
    }
    if (want("delack2")) {
        int l = listener4(SRV, "10.0.0.2", 9408, 16);
        const char *r;
        int c = bound_conn(47016, 9408, 1, &r);
        int a = accept(l, NULL, NULL);
        kp_mark("delayed ACK 2: 30 lone bytes 50 ms apart, server silent (port 47016)");
        for (int i = 0; i < 30; i++) { send(c, "x", 1, 0); sleep_ms(50); }
        kp_mark("delayed ACK 2: server replies once (interactive), then 5 lone bytes 300 ms apart, server silent");
        send(c, "q", 1, 0); sleep_ms(5); send(a, "r", 1, 0); sleep_ms(300);
        for (int i = 0; i < 5; i++) { send(c, "y", 1, 0); sleep_ms(300); }
        kp_mark("delayed ACK 2: server -> client 1 byte, client silent (client side ACK)");
        for (int i = 0; i < 3; i++) { send(a, "s", 1, 0); sleep_ms(300); }
        close(c); close(a); close(l);
    }
    if (want("rst")) {
        const char *cs = "close with unread data / SO_LINGER";
        int l = listener4(SRV, "10.0.0.2", 9406, 16);
        const char *r;
        kp_mark("close() with 5 unread bytes (port 47008)");
        int c = bound_conn(47008, 9406, 1, &r);
        int a = accept(l, NULL, NULL);
        send(a, "hello", 5, 0); sleep_ms(20);
        out(cs, "port 47008: client close() with 5 unread bytes = %s", R(close(c)));
        sleep_ms(20);
        { char x[8]; const char *p = pollnow(a); const char *rr = R(recv(a, x, 8, MSG_DONTWAIT)); out(cs, "server side: poll %s, recv %s", p, rr); }
        close(a);
        kp_mark("SO_LINGER {1,0} (port 47009)");
        c = bound_conn(47009, 9406, 1, &r);
        a = accept(l, NULL, NULL);
        send(c, "abc", 3, 0); sleep_ms(20);
        struct linger lg = {1, 0}; setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        out(cs, "port 47009: client sent 3 bytes (acked), SO_LINGER {1,0} close() = %s", R(close(c)));
        sleep_ms(20);
        { char x[8]; const char *p = pollnow(a); const char *r1 = R(recv(a, x, 8, MSG_DONTWAIT)); const char *r2 = R(recv(a, x, 8, MSG_DONTWAIT)); out(cs, "server side: poll %s, recv %s, recv %s", p, r1, r2); }
        close(a);
        kp_mark("shutdown(SHUT_RD) then data arrives, then close (port 47010)");
        c = bound_conn(47010, 9406, 1, &r);
        a = accept(l, NULL, NULL);
        shutdown(c, SHUT_RD); send(a, "late", 4, 0); sleep_ms(20);
        out(cs, "port 47010: SHUT_RD, 4 bytes arrive, close() = %s", R(close(c)));
        sleep_ms(20); close(a);
        kp_mark("SO_LINGER {1,0} in CLOSE_WAIT (port 47011)");
        c = bound_conn(47011, 9406, 1, &r);
        a = accept(l, NULL, NULL);
        close(a); sleep_ms(20);
        setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        out(cs, "port 47011: peer FIN received, SO_LINGER{1,0} close() = %s", R(close(c)));
        sleep_ms(20);
        kp_mark("close() with unread data after the peer's FIN (port 47012)");
        c = bound_conn(47012, 9406, 1, &r);
        a = accept(l, NULL, NULL);
        send(a, "bye", 3, 0); close(a); sleep_ms(20);
        out(cs, "port 47012: 3 bytes + FIN unread, close() = %s", R(close(c)));
        sleep_ms(20);
        kp_mark("SO_LINGER {1,1} close with the peer silent (port 47013): does close block?");
        c = bound_conn(47013, 9406, 1, &r);
        a = accept(l, NULL, NULL);
        sh("ip netns exec " SRV " nft add rule inet kp in tcp dport 9406 drop");
        struct linger lg1 = {1, 1}; setsockopt(c, SOL_SOCKET, SO_LINGER, &lg1, sizeof lg1);
        send(c, "unacked", 7, 0);
        kp_mark(NULL);
        { const char *rr = R(close(c)); out(cs, "port 47013: SO_LINGER {1,1}, 7 unacked bytes, peer dropping: close() = %s after %.0f ms", rr, ms()); }
        sleep_ms(1500);
        sh("ip netns exec " SRV " nft flush chain inet kp in");
        close(a); close(l);
    }
    if (want("synsent")) {
        /* delayline topology, 100 ms one-way: close() while SYN_SENT, the SYN-ACK arrives later */
        const char *cs = "close in SYN_SENT";
        int l = listener4(SRV, "10.0.0.2", 9407, 16);
        kp_mark("close in SYN_SENT (port 47014), 100 ms one-way");
        int c = nsock(CLI, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        kp_sa b = sa4("10.0.0.1", 47014); bind(c, &b.sa, SA4);
        kp_sa a = sa4("10.0.0.2", 9407);
        const char *r = R(connect(c, &a.sa, SA4));
        sleep_ms(10);
        out(cs, "%.0f ms connect = %s; close() = %s", ms(), r, R(close(c)));
        sleep_ms(500);
        sh("ip netns exec " SRV " ss -tan 'sport = :9407' | sed 's/^/# ss: /'");
        { int aa; setnb(l, 1); aa = accept(l, NULL, NULL); out(cs, "server accept() = %s", aa >= 0 ? "a connection" : en(errno)); if (aa >= 0) { char x[4]; const char *rr = R(recv(aa, x, 4, 0)); out(cs, "server recv on it = %s, state %s", rr, tcpstate(aa)); close(aa); } }
        kp_mark("shutdown(SHUT_RDWR) in SYN_SENT (port 47015)");
        c = nsock(CLI, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        b = sa4("10.0.0.1", 47015); bind(c, &b.sa, SA4);
        connect(c, &a.sa, SA4); sleep_ms(10);
        { const char *rr = R(shutdown(c, SHUT_RDWR)); out(cs, "%.0f ms shutdown(SHUT_RDWR) = %s, state %s", ms(), rr, tcpstate(c)); }
        sleep_ms(500);
        out(cs, "600 ms later: state %s, SO_ERROR %s", tcpstate(c), soerr(c));
        close(c);
        { int aa; setnb(l, 1); aa = accept(l, NULL, NULL); out(cs, "server accept() = %s", aa >= 0 ? "a connection" : en(errno)); if (aa >= 0) close(aa); }
        close(l);
    }
    return 0;
}
