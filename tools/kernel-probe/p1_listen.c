/* p1_listen.c - topic 1: listener details (backlog, errors, accept, close with queue) */
#include "kp.h"

static int nb_connect(const char *ns, const char *ip, int port, int bindport) {
    int c = nsock(ns, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (bindport) { kp_sa b = sa4("0.0.0.0", bindport); seti(c, SOL_SOCKET, SO_REUSEADDR, 1); bind(c, &b.sa, SA4); }
    kp_sa a = sa4(ip, port);
    connect(c, &a.sa, SA4);
    return c;
}
static void lq(const char *cs, int l) {
    struct tcp_info ti; socklen_t len = sizeof ti;
    getsockopt(l, IPPROTO_TCP, TCP_INFO, &ti, &len);
    out(cs, "listener TCP_INFO: accept-queue length (tcpi_unacked)=%u, max backlog (tcpi_sacked)=%u", ti.tcpi_unacked, ti.tcpi_sacked);
}

static void backlog_admit(int backlog, int n, int gap, int port, const char *label) {
    char cs[64]; kp_ctr c0;
    snprintf(cs, sizeof cs, "%s", label);
    kp_mark(cs);
    ctr_snap(SRV, &c0);
    int l = listener4(SRV, "10.0.0.2", port, backlog);
    int cl[16];
    for (int i = 0; i < n; i++) { cl[i] = nb_connect(CLI, "10.0.0.2", port, 0); if (gap) sleep_ms(gap); }
    sleep_ms(1500);
    for (int i = 0; i < n; i++)
        out(cs, "client %d (port %d): state %s, poll %s", i + 1, lport(cl[i]), tcpstate(cl[i]), pollnow(cl[i]));
    lq(cs, l);
    ctr_diff(cs, SRV, &c0);
    int k = 0, a;
    setnb(l, 1);
    while ((a = accept(l, NULL, NULL)) >= 0) { k++; close(a); }
    out(cs, "accept() drained %d connection(s), then %s", k, en(errno));
    for (int i = 0; i < n; i++) close(cl[i]);
    close(l);
}

KP_MAIN
    /* ---------- listen backlog admission ---------- */
    if (want("backlog")) {
    backlog_admit(0, 4, 300, 5001, "listen(fd,0), 4 clients 300 ms apart");
    backlog_admit(0, 4, 0, 5002, "listen(fd,0), 4 clients back to back");
    sysctl_set(SRV, "net/ipv4/tcp_syncookies", "0");
    backlog_admit(0, 4, 0, 5003, "listen(fd,0), 4 clients back to back, syncookies=0");
    sysctl_set(SRV, "net/ipv4/tcp_syncookies", "1");
    }
    /* ---------- listen() again / somaxconn clamp ---------- */
    if (want("again")) {
        const char *cs = "listen again";
        int l = nsock(SRV, AF_INET, SOCK_STREAM, 0);
        kp_sa a = sa4("10.0.0.2", 5004);
        bind(l, &a.sa, SA4);
        out(cs, "listen(fd,1) = %s", R(listen(l, 1))); lq(cs, l);
        out(cs, "listen(fd,5) again = %s", R(listen(l, 5))); lq(cs, l);
        out(cs, "listen(fd,0) again = %s", R(listen(l, 0))); lq(cs, l);
        out(cs, "listen(fd,100000) = %s (somaxconn=%s)", R(listen(l, 100000)), sysctl_get(SRV, "net/core/somaxconn")); lq(cs, l);
        out(cs, "listen(fd,-1) = %s", R(listen(l, -1))); lq(cs, l);
        out(cs, "listen(fd,INT_MIN) = %s", R(listen(l, -2147483647 - 1))); lq(cs, l);
        sysctl_set(SRV, "net/core/somaxconn", "10");
        out(cs, "somaxconn=10: listen(fd,100) again = %s", R(listen(l, 100))); lq(cs, l);
        out(cs, "somaxconn=10: listen(fd,3) again = %s", R(listen(l, 3))); lq(cs, l);
        int l2 = nsock(SRV, AF_INET, SOCK_STREAM, 0);
        kp_sa a2 = sa4("10.0.0.2", 5005);
        bind(l2, &a2.sa, SA4);
        out(cs, "somaxconn=10: new socket listen(fd,100) = %s", R(listen(l2, 100))); lq(cs, l2);
        /* does the clamp apply at listen() time only? raise somaxconn afterwards */
        sysctl_set(SRV, "net/core/somaxconn", "4096");
        lq("listen again: after somaxconn back to 4096 (no new listen)", l2);
        /* admission with somaxconn clamp 10 -> listen(100) on l2 was clamped to 10 */
        close(l); close(l2);
    }

    /* ---------- listen() on various sockets ---------- */
    if (want("on")) {
        const char *cs = "listen on";
        int l = listener4(SRV, "10.0.0.2", 5006, 8);
        int c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
        kp_sa a = sa4("10.0.0.2", 5006);
        connect(c, &a.sa, SA4);
        out(cs, "connected TCP socket: listen = %s", R(listen(c, 5)));
        int acc = accept(l, NULL, NULL);
        out(cs, "accepted TCP socket: listen = %s", R(listen(acc, 5)));
        shutdown(c, SHUT_RDWR);
        { const char *r = R(listen(c, 5)); out(cs, "connected socket after shutdown(RDWR): listen = %s (state %s)", r, tcpstate(c)); }
        close(acc); close(c);
        /* AF_UNSPEC disconnect then listen */
        c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
        connect(c, &a.sa, SA4);
        acc = accept(l, NULL, NULL);
        kp_sa un; memset(&un, 0, sizeof un); un.sa.sa_family = AF_UNSPEC;
        const char *r1 = R(connect(c, &un.sa, sizeof un.sa));
        const char *r2 = R(listen(c, 5));
        out(cs, "connected socket disconnected with connect(AF_UNSPEC)=%s: listen = %s, state %s, getsockname %s", r1, r2, tcpstate(c), sockname(c));
        close(c); close(acc);
        /* SYN_SENT: blackhole port 5999 (nft drop on server) */
        c = nsock(CLI, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        kp_sa bh = sa4("10.0.0.2", 5999);
        connect(c, &bh.sa, SA4);
        out(cs, "SYN_SENT socket (state %s): listen = %s", tcpstate(c), R(listen(c, 5)));
        close(c);
        /* after a refused connect */
        c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
        kp_sa cl = sa4("10.0.0.2", 5998);
        r1 = R(connect(c, &cl.sa, SA4));
        out(cs, "refused connect = %s, then state %s, getsockname %s", r1, tcpstate(c), sockname(c));
        r2 = R(listen(c, 5));
        out(cs, "socket after refused connect: listen = %s, state %s, getsockname %s", r2, tcpstate(c), sockname(c));
        close(c);
        int u = nsock(CLI, AF_INET, SOCK_DGRAM, 0);
        out(cs, "UDP socket (unbound): listen = %s", R(listen(u, 5)));
        kp_sa ub = sa4("0.0.0.0", 0); bind(u, &ub.sa, SA4);
        out(cs, "UDP socket (bound): listen = %s", R(listen(u, 5)));
        close(u);
        u = nsock(CLI, AF_INET6, SOCK_DGRAM, 0);
        out(cs, "UDP6 socket: listen = %s", R(listen(u, 5)));
        close(u);
        int ra = nsock(CLI, AF_INET, SOCK_RAW, IPPROTO_TCP);
        out(cs, "raw socket: listen = %s", R(listen(ra, 5)));
        close(ra);
        close(l);
    }
    /* ---------- listen on an unbound socket ---------- */
    if (want("unbound")) {
        const char *cs = "listen unbound";
        for (int i = 0; i < 6; i++) {
            int s = nsock(SRV, i < 3 ? AF_INET : AF_INET6, SOCK_STREAM, 0);
            const char *b4 = sockname(s);
            const char *r = R(listen(s, 5));
            out(cs, "%s socket: getsockname before %s; listen = %s; getsockname after %s", i < 3 ? "AF_INET" : "AF_INET6", b4, r, sockname(s));
            if (i == 0) {
                int p = lport(s);
                int c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
                kp_sa a = sa4("10.0.0.2", p);
                out(cs, "connect from the client to 10.0.0.2:%d (the auto-bound port) = %s", p, R(connect(c, &a.sa, SA4)));
                close(c);
            }
            close(s);
        }
    }
    /* ---------- accept() errors ---------- */
    if (want("accept")) {
        const char *cs = "accept on";
        int s = nsock(SRV, AF_INET, SOCK_STREAM, 0);
        out(cs, "fresh TCP socket: accept = %s", R(accept(s, NULL, NULL)));
        setnb(s, 1);
        out(cs, "fresh TCP socket, O_NONBLOCK: accept = %s", R(accept(s, NULL, NULL)));
        kp_sa a = sa4("10.0.0.2", 5007); bind(s, &a.sa, SA4);
        out(cs, "bound TCP socket: accept = %s", R(accept(s, NULL, NULL)));
        close(s);
        int l = listener4(SRV, "10.0.0.2", 5008, 8);
        int c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
        kp_sa la = sa4("10.0.0.2", 5008);
        connect(c, &la.sa, SA4);
        int acc = accept(l, NULL, NULL);
        out(cs, "connected (client) TCP socket: accept = %s", R(accept(c, NULL, NULL)));
        out(cs, "accepted TCP socket: accept = %s", R(accept(acc, NULL, NULL)));
        int u = nsock(SRV, AF_INET, SOCK_DGRAM, 0);
        out(cs, "UDP socket: accept = %s", R(accept(u, NULL, NULL)));
        close(u);
        setnb(l, 1);
        out(cs, "non-blocking listener, nothing queued: accept = %s", R(accept(l, NULL, NULL)));
        out(cs, "non-blocking listener, nothing queued: accept4(SOCK_NONBLOCK) = %s", R(accept4(l, NULL, NULL, SOCK_NONBLOCK)));
        out(cs, "listener: accept4(flags=0x1) (invalid flag) = %s", R(accept4(l, NULL, NULL, 1)));
        setnb(l, 0);
        struct timeval tv = {0, 300000};
        setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        kp_mark("blocking accept with SO_RCVTIMEO 300 ms");
        const char *r = R(accept(l, NULL, NULL));
        out(cs, "blocking listener with SO_RCVTIMEO=300ms, nothing queued: accept = %s after %.0f ms", r, ms());
        /* short addrlen */
        int c2 = nsock(CLI, AF_INET, SOCK_STREAM, 0);
        connect(c2, &la.sa, SA4);
        kp_sa pa; socklen_t pl = 4; memset(&pa, 0, sizeof pa);
        int a2 = accept(l, &pa.sa, &pl);
        out(cs, "accept with addrlen=4: fd %s, addrlen returned %u, family %d", a2 >= 0 ? "ok" : en(errno), pl, pa.sa.sa_family);
        close(a2); close(c2);
        close(acc); close(c); close(l);
    }
    /* ---------- inheritance of flags/options by accepted sockets ---------- */
    if (want("inherit")) {
        const char *cs = "accept inheritance";
        int l = listener4(SRV, "10.0.0.2", 5009, 8);
        setnb(l, 1);
        seti(l, IPPROTO_TCP, TCP_NODELAY, 1);
        seti(l, SOL_SOCKET, SO_KEEPALIVE, 1);
        seti(l, SOL_SOCKET, SO_RCVBUF, 65536);
        seti(l, IPPROTO_TCP, TCP_KEEPIDLE, 77);
        struct linger lg = {1, 5}; setsockopt(l, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        struct timeval tv = {3, 0}; setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        kp_sa a = sa4("10.0.0.2", 5009);
        for (int i = 0; i < 3; i++) {
            int c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
            connect(c, &a.sa, SA4);
            sleep_ms(50);
            int acc = i == 0 ? accept(l, NULL, NULL) : accept4(l, NULL, NULL, i == 1 ? SOCK_NONBLOCK : SOCK_CLOEXEC);
            int v[5]; socklen_t sl = sizeof(int);
            getsockopt(acc, IPPROTO_TCP, TCP_NODELAY, &v[0], &sl);
            getsockopt(acc, SOL_SOCKET, SO_KEEPALIVE, &v[1], &sl);
            getsockopt(acc, SOL_SOCKET, SO_RCVBUF, &v[2], &sl);
            getsockopt(acc, IPPROTO_TCP, TCP_KEEPIDLE, &v[3], &sl);
            struct linger lo; sl = sizeof lo; getsockopt(acc, SOL_SOCKET, SO_LINGER, &lo, &sl);
            struct timeval to; sl = sizeof to; getsockopt(acc, SOL_SOCKET, SO_RCVTIMEO, &to, &sl);
            out(cs, "O_NONBLOCK listener, %s: child O_NONBLOCK=%d FD_CLOEXEC=%d TCP_NODELAY=%d SO_KEEPALIVE=%d SO_RCVBUF=%d TCP_KEEPIDLE=%d SO_LINGER={%d,%d} SO_RCVTIMEO=%ld.%06ld",
                i == 0 ? "accept()" : i == 1 ? "accept4(SOCK_NONBLOCK)" : "accept4(SOCK_CLOEXEC)",
                !!(fcntl(acc, F_GETFL) & O_NONBLOCK), !!(fcntl(acc, F_GETFD) & FD_CLOEXEC), v[0], v[1], v[2], v[3], lo.l_onoff, lo.l_linger, (long)to.tv_sec, (long)to.tv_usec);
            close(acc); close(c);
        }
        close(l);
    }

    /* ---------- accept() with a bad address argument: is the connection consumed? ---------- */
    if (want("badaddr")) {
        const char *cs = "accept bad addr";
        int l = listener4(SRV, "10.0.0.2", 5011, 8);
        setnb(l, 1);
        kp_sa la = sa4("10.0.0.2", 5011);
        int c[3];
        kp_mark("accept with bad addrlen / bad addr (port 5011)");
        for (int i = 0; i < 3; i++) { c[i] = nsock(CLI, AF_INET, SOCK_STREAM, 0); connect(c[i], &la.sa, SA4); }
        sleep_ms(50);
        lq(cs, l);
        kp_sa pa; socklen_t bad = (socklen_t)-1;
        out(cs, "%.0f ms: accept(l, &addr, &len=-1) = %s", ms(), R(accept(l, &pa.sa, &bad)));
        lq(cs, l);
        socklen_t ok = 16;
        out(cs, "%.0f ms: accept(l, addr=(void*)1, &len=16) = %s", ms(), R(accept(l, (struct sockaddr *)1, &ok)));
        lq(cs, l);
        out(cs, "%.0f ms: accept(l, &addr, len=(void*)1) = %s", ms(), R(accept(l, &pa.sa, (socklen_t *)1)));
        lq(cs, l);
        sleep_ms(100);
        for (int i = 0; i < 3; i++) {
            char buf[8]; setnb(c[i], 1);
            const char *r = R(read(c[i], buf, sizeof buf));
            out(cs, "client %d (port %d): state %s, poll %s, read %s", i + 1, lport(c[i]), tcpstate(c[i]), pollnow(c[i]), r);
            close(c[i]);
        }
        close(l);
    }
    /* ---------- listen(0) with a real burst: 50 ms one-way delay (delayline topology) ---------- */
    if (want("burst")) {
    set_delay(50);
    backlog_admit(0, 4, 0, 5012, "listen(fd,0), 4 clients back to back, 50 ms one-way delay");
    sysctl_set(SRV, "net/ipv4/tcp_syncookies", "0");
    backlog_admit(0, 4, 0, 5013, "listen(fd,0), 4 clients back to back, 50 ms one-way delay, syncookies=0");
    sysctl_set(SRV, "net/ipv4/tcp_syncookies", "1");
    set_delay(0);
    }

    /* ---------- closing a listener with queued, unaccepted connections ---------- */
    if (want("closeq")) {
        const char *cs = "close listener with queue";
        int l = listener4(SRV, "10.0.0.2", 5010, 8);
        kp_sa la = sa4("10.0.0.2", 5010);
        kp_mark("close listener with queue (port 5010)");
        int c[4];
        for (int i = 0; i < 4; i++) {
            c[i] = nsock(CLI, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            if (i == 3) { kp_sa b = sa4("0.0.0.0", 45003); bind(c[i], &b.sa, SA4); } /* its SYN-ACK is dropped by nft on the client */
            connect(c[i], &la.sa, SA4);
            sleep_ms(20);
        }
        out(cs, "client 1 (port %d): idle, %s", lport(c[0]), tcpstate(c[0]));
        out(cs, "client 2 (port %d): write 5 bytes = %s, %s", lport(c[1]), R(write(c[1], "hello", 5)), tcpstate(c[1]));
        sleep_ms(10);
        out(cs, "client 3 (port %d): shutdown(SHUT_WR) = %s", lport(c[2]), R(shutdown(c[2], SHUT_WR)));
        sleep_ms(50);
        out(cs, "client 4 (port %d): SYN-ACKs dropped by client nft, %s", lport(c[3]), tcpstate(c[3]));
        lq(cs, l);
        sh("ip netns exec " SRV " ss -tan 'sport = :5010' | sed 's/^/# ss: /'");
        sleep_ms(300);
        out(cs, "%.0f ms: close(listener) = %s", ms(), R(close(l)));
        sleep_ms(200);
        {   char buf[8];
            const char *p = pollnow(c[0]);
            const char *r1 = R(read(c[0], buf, sizeof buf));
            const char *r2 = R(read(c[0], buf, sizeof buf));
            const char *w1 = R(send(c[0], "x", 1, MSG_NOSIGNAL));
            out(cs, "client 1 after close: state %s, poll %s, read %s, read %s, send %s, SO_ERROR %s", tcpstate(c[0]), p, r1, r2, w1, soerr(c[0]));
            p = pollnow(c[1]);
            int e = so_error(c[1]);
            const char *p2 = pollnow(c[1]);
            r1 = R(read(c[1], buf, sizeof buf));
            w1 = R(send(c[1], "x", 1, MSG_NOSIGNAL));
            const char *w2 = R(send(c[1], "x", 1, MSG_NOSIGNAL));
            out(cs, "client 2 after close: state %s, poll %s, SO_ERROR %s, poll %s, read %s, send %s, send %s", tcpstate(c[1]), p, en(e), p2, r1, w1, w2);
            p = pollnow(c[2]);
            w1 = R(send(c[2], "x", 1, MSG_NOSIGNAL));
            w2 = R(send(c[2], "x", 1, MSG_NOSIGNAL));
            r1 = R(read(c[2], buf, sizeof buf));
            out(cs, "client 3 (had sent FIN) after close: state %s, poll %s, send %s, send %s, read %s, SO_ERROR %s", tcpstate(c[2]), p, w1, w2, r1, soerr(c[2]));
        }
        double w;
        int rv = pollwait(c[3], POLLOUT, 3000, &w);
        out(cs, "client 4 (SYN_RECV on server at close): poll %s at %.0f ms, state %s, SO_ERROR %s", rev(rv), w, tcpstate(c[3]), soerr(c[3]));
        for (int i = 0; i < 4; i++) close(c[i]);
    }
    /* ---------- a queued connection reset / closed by the peer before accept() ---------- */
    if (want("rstq")) {
        const char *cs = "RST before accept";
        int l = listener4(SRV, "10.0.0.2", 5014, 8);
        kp_sa la = sa4("10.0.0.2", 5014);
        kp_mark("peer RST/FIN before accept (port 5014)");
        int c[4];
        for (int i = 0; i < 4; i++) { c[i] = nsock(CLI, AF_INET, SOCK_STREAM, 0); connect(c[i], &la.sa, SA4); }
        struct linger lg = {1, 0};
        /* 1: RST; 2: data then RST; 3: data then FIN (close); 4: FIN only; accept order = connect order */
        out(cs, "client 1 (port %d): close with SO_LINGER{1,0} (RST)", lport(c[0]));
        setsockopt(c[0], SOL_SOCKET, SO_LINGER, &lg, sizeof lg); close(c[0]);
        out(cs, "client 2 (port %d): write 4 bytes then close with SO_LINGER{1,0} (RST)", lport(c[1]));
        write(c[1], "data", 4); sleep_ms(10);
        setsockopt(c[1], SOL_SOCKET, SO_LINGER, &lg, sizeof lg); close(c[1]);
        out(cs, "client 3 (port %d): write 4 bytes then close() (FIN)", lport(c[2]));
        write(c[2], "data", 4); close(c[2]);
        out(cs, "client 4 (port %d): close() (FIN)", lport(c[3]));
        close(c[3]);
        sleep_ms(100);
        lq(cs, l);
        setnb(l, 1);
        for (int i = 0; i < 5; i++) {
            kp_sa pa; socklen_t pl = sizeof pa;
            int a = accept(l, &pa.sa, &pl);
            if (a < 0) { out(cs, "accept #%d = -1 %s", i + 1, en(errno)); break; }
            char buf[16];
            const char *st = tcpstate(a);
            const char *pn = peername(a);
            const char *sn = sockname(a);
            const char *p = pollnow(a);
            const char *r1 = R(recv(a, buf, sizeof buf, MSG_DONTWAIT));
            const char *r2 = R(recv(a, buf, sizeof buf, MSG_DONTWAIT));
            const char *r3 = R(recv(a, buf, sizeof buf, MSG_DONTWAIT));
            const char *w1 = R(send(a, "x", 1, MSG_NOSIGNAL));
            const char *w2 = R(send(a, "x", 1, MSG_NOSIGNAL));
            int e2 = so_error(a);
            out(cs, "accept #%d = fd (accept's peer addr %s): state %s, getpeername %s, getsockname %s, poll %s, recv %s, recv %s, recv %s, send %s, send %s, SO_ERROR %s",
                i + 1, fmt_sa(&pa), st, pn, sn, p, r1, r2, r3, w1, w2, en(e2));
            close(a);
        }
        close(l);
    }
    return 0;
}
