/* p5_err.c - topic 5: error paths (SO_ERROR, connect after failure, I/O on unconnected sockets,
 * shutdown, getpeername, bind errors, privileged ports, wrong families, broadcast/multicast) */
#include "kp.h"

static volatile int sigpipes;
static void on_pipe(int s) { (void)s; sigpipes++; }
static int tsock(void) { return nsock(CLI, AF_INET, SOCK_STREAM, 0); }
static int tsocknb(void) { return nsock(CLI, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0); }
/* send() with and without MSG_NOSIGNAL, counting SIGPIPE */
static const char *sendboth(int fd) {
    char *b = kp_buf();
    sigpipes = 0;
    const char *r1 = R(send(fd, "x", 1, MSG_NOSIGNAL));
    int s1 = sigpipes;
    const char *r2 = R(send(fd, "x", 1, 0));
    snprintf(b, 512, "send(MSG_NOSIGNAL) %s (SIGPIPE %d); send(0) %s (SIGPIPE %d)", r1, s1, r2, sigpipes - s1);
    return b;
}
static const char *names(int fd) {
    char *b = kp_buf();
    const char *p = peername(fd), *s = sockname(fd);
    snprintf(b, 512, "getpeername %s, getsockname %s", p, s);
    return b;
}
static int pair(int l, int port, int *a) {
    int c = tsock();
    kp_sa sa = sa4("10.0.0.2", port);
    connect(c, &sa.sa, SA4);
    *a = accept(l, NULL, NULL);
    return c;
}

KP_MAIN
    signal(SIGPIPE, on_pipe);
    int l = listener4(SRV, "10.0.0.2", 9001, 16);
    kp_sa closed = sa4("10.0.0.2", 9998), bh = sa4("10.0.0.2", 9999), lsn = sa4("10.0.0.2", 9001);

    if (want("soerror")) {
        const char *cs = "SO_ERROR";
        int c = tsocknb();
        connect(c, &closed.sa, SA4); sleep_ms(30);
        const char *e1 = soerr(c);
        out(cs, "refused non-blocking connect: SO_ERROR %s, then SO_ERROR %s", e1, soerr(c));
        close(c);

        cs = "connect after a refused non-blocking connect, SO_ERROR not read";
        c = tsocknb();
        out(cs, "connect #1 = %s", R(connect(c, &closed.sa, SA4))); sleep_ms(30);
        for (int i = 2; i <= 5; i++) {
            const char *r = R(connect(c, &closed.sa, SA4));
            out(cs, "connect #%d = %s (then state %s, SO_ERROR not read)", i, r, tcpstate(c));
            sleep_ms(30);
        }
        out(cs, "SO_ERROR now %s", soerr(c));
        close(c);

        cs = "connect after a refused non-blocking connect, SO_ERROR read first";
        c = tsocknb();
        out(cs, "connect #1 = %s", R(connect(c, &closed.sa, SA4))); sleep_ms(30);
        out(cs, "SO_ERROR %s", soerr(c));
        for (int i = 2; i <= 5; i++) {
            const char *r = R(connect(c, &closed.sa, SA4));
            out(cs, "connect #%d = %s (then state %s)", i, r, tcpstate(c));
            sleep_ms(30);
        }
        close(c);

        cs = "connect after a refused non-blocking connect, then to a listener";
        c = tsocknb();
        out(cs, "connect #1 to closed port = %s", R(connect(c, &closed.sa, SA4))); sleep_ms(30);
        out(cs, "connect #2 to the listener = %s", R(connect(c, &lsn.sa, SA4))); sleep_ms(30);
        out(cs, "connect #3 to the listener = %s", R(connect(c, &lsn.sa, SA4))); sleep_ms(30);
        out(cs, "connect #4 to the listener = %s, state %s, %s", R(connect(c, &lsn.sa, SA4)), tcpstate(c), names(c));
        { int a = accept(l, NULL, NULL); close(a); }
        close(c);

        cs = "connect after a refused non-blocking connect, recv() first";
        c = tsocknb();
        connect(c, &closed.sa, SA4); sleep_ms(30);
        { char x[4]; const char *r = R(recv(c, x, 4, 0)); out(cs, "recv = %s, then SO_ERROR %s", r, soerr(c)); }
        out(cs, "connect again = %s", R(connect(c, &closed.sa, SA4)));
        close(c);

        cs = "connect after a blocking refused connect";
        c = tsock();
        out(cs, "connect #1 = %s", R(connect(c, &closed.sa, SA4)));
        out(cs, "SO_ERROR after it = %s", soerr(c));
        out(cs, "connect #2 = %s", R(connect(c, &closed.sa, SA4)));
        close(c);
    }
    if (want("io")) {
        const char *cs = "I/O on an unconnected TCP socket";
        char x[8];
        int c = tsock();
        out(cs, "read = %s; recv = %s; recv(MSG_DONTWAIT) = %s", R(read(c, x, 8)), R(recv(c, x, 8, 0)), R(recv(c, x, 8, MSG_DONTWAIT)));
        out(cs, "%s", sendboth(c));
        out(cs, "write = %s", R(write(c, "x", 1)));
        out(cs, "sendto(addr = listener) = %s (no implicit connect)", R(sendto(c, "x", 1, MSG_NOSIGNAL, &lsn.sa, SA4)));
        out(cs, "after the above: state %s, %s", tcpstate(c), names(c));
        close(c);

        cs = "I/O on a listening socket";
        int ls = nsock(CLI, AF_INET, SOCK_STREAM, 0); listen(ls, 1);
        out(cs, "recv = %s; %s", R(recv(ls, x, 8, MSG_DONTWAIT)), sendboth(ls));
        close(ls);

        cs = "I/O on a SYN_SENT socket (blackhole)";
        c = tsocknb(); connect(c, &bh.sa, SA4);
        out(cs, "non-blocking: recv = %s; %s", R(recv(c, x, 8, 0)), sendboth(c));
        setnb(c, 0);
        struct timeval tv = {0, 300000};
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        kp_mark("blocking I/O on SYN_SENT with SO_SNDTIMEO/SO_RCVTIMEO 300 ms");
        const char *r = R(send(c, "x", 1, MSG_NOSIGNAL));
        out(cs, "blocking send, SO_SNDTIMEO 300 ms = %s after %.0f ms", r, ms());
        kp_mark(NULL);
        r = R(recv(c, x, 8, 0));
        out(cs, "blocking recv, SO_RCVTIMEO 300 ms = %s after %.0f ms", r, ms());
        close(c);

        cs = "blocking send on SYN_SENT waits for the handshake";
        {
            /* listener reachable but 200 ms late: use the blackhole port and open it later? simpler: a
               delayed accept is irrelevant for the handshake, so use a normal listener */
            c = tsocknb(); connect(c, &lsn.sa, SA4); setnb(c, 0);
            r = R(send(c, "x", 1, MSG_NOSIGNAL));
            out(cs, "send right after a non-blocking connect to a listener (handshake in flight) = %s", r);
            int a = accept(l, NULL, NULL); close(a); close(c);
        }

        cs = "I/O after the peer's RST";
        int a; c = pair(l, 9001, &a);
        struct linger lg = {1, 0}; setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof lg); close(a); sleep_ms(20);
        { const char *sb = sendboth(c); out(cs, "first op send: %s; then recv = %s", sb, R(recv(c, x, 8, MSG_DONTWAIT))); }
        close(c);
        c = pair(l, 9001, &a);
        setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof lg); close(a); sleep_ms(20);
        r = R(recv(c, x, 8, MSG_DONTWAIT));
        { const char *r2 = R(recv(c, x, 8, MSG_DONTWAIT)); out(cs, "(fresh pair) first op recv = %s; then recv = %s; then %s", r, r2, sendboth(c)); }
        close(c);
        c = pair(l, 9001, &a);
        setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof lg); close(a); sleep_ms(20);
        sigpipes = 0;
        r = R(write(c, "x", 1));
        { int sp = sigpipes; const char *r2 = R(write(c, "x", 1)); out(cs, "(fresh pair) first op write = %s (SIGPIPE %d); write again = %s (SIGPIPE %d)", r, sp, r2, sigpipes - sp); }
        close(c);

        cs = "I/O after own shutdown(SHUT_WR)";
        c = pair(l, 9001, &a);
        shutdown(c, SHUT_WR);
        out(cs, "%s; recv(MSG_DONTWAIT) = %s", sendboth(c), R(recv(c, x, 8, MSG_DONTWAIT)));
        close(c); close(a);
        cs = "I/O after own shutdown(SHUT_RD)";
        c = pair(l, 9001, &a);
        shutdown(c, SHUT_RD);
        out(cs, "recv = %s (returns at once); send(MSG_NOSIGNAL) = %s", R(recv(c, x, 8, 0)), R(send(c, "x", 1, MSG_NOSIGNAL)));
        send(a, "abc", 3, 0); sleep_ms(20);
        out(cs, "peer sent 3 bytes after our SHUT_RD: recv = %s", R(recv(c, x, 8, MSG_DONTWAIT)));
        close(c); close(a);
        cs = "I/O after the peer's FIN";
        c = pair(l, 9001, &a);
        close(a); sleep_ms(20);
        { const char *r1 = R(recv(c, x, 8, 0)); out(cs, "recv = %s; then %s", r1, sendboth(c)); }
        sleep_ms(20);
        { const char *sb = sendboth(c); const char *rr = R(recv(c, x, 8, 0)); out(cs, "20 ms later (the peer answered the data with RST): %s; recv = %s; SO_ERROR %s", sb, rr, soerr(c)); }
        close(c);
        c = pair(l, 9001, &a);
        close(a); sleep_ms(20);
        { const char *w1 = R(send(c, "x", 1, MSG_NOSIGNAL)); sleep_ms(20); const char *p1 = pollnow(c); int e = so_error(c);
          out(cs, "(fresh pair) send = %s, 20 ms later: state %s, poll %s, SO_ERROR %s (RST in CLOSE_WAIT)", w1, tcpstate(c), p1, en(e)); }
        close(c);

        cs = "sendto with an address on a connected TCP socket";
        c = pair(l, 9001, &a);
        kp_sa other = sa4("10.0.0.9", 1234);
        out(cs, "sendto(other address) = %s; sendto(addrlen 3) = %s; sendto(AF_INET6 addr) = %s", R(sendto(c, "x", 1, MSG_NOSIGNAL, &other.sa, SA4)),
            R(sendto(c, "x", 1, MSG_NOSIGNAL, &other.sa, 3)), ({ kp_sa o6 = sa6("fd00::9", 1, 0); R(sendto(c, "x", 1, MSG_NOSIGNAL, &o6.sa, SA6)); }));
        out(cs, "recv(MSG_OOB) with no urgent data = %s", R(recv(c, x, 8, MSG_OOB | MSG_DONTWAIT)));
        close(c); close(a);
    }
    if (want("shutdown")) {
        const char *cs = "shutdown";
        int c = tsock();
        out(cs, "unconnected: SHUT_RD %s, SHUT_WR %s, SHUT_RDWR %s, how=3 %s, how=-1 %s", R(shutdown(c, SHUT_RD)), R(shutdown(c, SHUT_WR)), R(shutdown(c, SHUT_RDWR)), R(shutdown(c, 3)), R(shutdown(c, -1)));
        close(c);
        for (int how = 0; how < 3; how++) {
            int ls = nsock(SRV, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            kp_sa b = sa4("10.0.0.2", 9002 + how); bind(ls, &b.sa, SA4); listen(ls, 4);
            const char *r = R(shutdown(ls, how));
            const char *st = tcpstate(ls);
            kp_sa t = sa4("10.0.0.2", 9002 + how);
            int cc = tsock();
            const char *cr = R(connect(cc, &t.sa, SA4));
            const char *ac = R(accept(ls, NULL, NULL));
            const char *rl = R(listen(ls, 4));
            out(cs, "listening socket: shutdown(%s) = %s, then state %s; a client connect = %s; accept = %s; listen() again = %s (state %s)",
                how == 0 ? "SHUT_RD" : how == 1 ? "SHUT_WR" : "SHUT_RDWR", r, st, cr, ac, rl, tcpstate(ls));
            close(cc); close(ls);
        }
        c = tsocknb(); connect(c, &bh.sa, SA4);
        { const char *r = R(shutdown(c, SHUT_WR)); const char *st = tcpstate(c); const char *p = pollnow(c); const char *e = soerr(c);
          out(cs, "SYN_SENT: shutdown(SHUT_WR) = %s, then state %s, poll %s, SO_ERROR %s, %s", r, st, p, e, names(c)); }
        out(cs, "SYN_SENT after shutdown(SHUT_WR): connect again = %s", R(connect(c, &bh.sa, SA4)));
        close(c);
        c = tsocknb(); connect(c, &bh.sa, SA4);
        { const char *r = R(shutdown(c, SHUT_RD)); out(cs, "SYN_SENT: shutdown(SHUT_RD) = %s, then state %s, poll %s", r, tcpstate(c), pollnow(c)); }
        close(c);
        c = tsocknb(); connect(c, &bh.sa, SA4);
        { const char *r = R(shutdown(c, SHUT_RDWR)); out(cs, "SYN_SENT: shutdown(SHUT_RDWR) = %s, then state %s, poll %s, SO_ERROR %s", r, tcpstate(c), pollnow(c), soerr(c)); }
        out(cs, "SYN_SENT after shutdown(SHUT_RDWR): connect to the listener = %s", R(connect(c, &lsn.sa, SA4)));
        sleep_ms(20);
        out(cs, "... 20 ms later: state %s, connect = %s", tcpstate(c), R(connect(c, &lsn.sa, SA4)));
        { int a = accept(l, NULL, NULL); if (a >= 0) close(a); }
        close(c);
        int a; c = pair(l, 9001, &a);
        { const char *r1 = R(shutdown(c, SHUT_WR)), *r2 = R(shutdown(c, SHUT_WR)), *r3 = R(shutdown(c, SHUT_RD)), *r4 = R(shutdown(c, SHUT_RDWR));
          out(cs, "ESTABLISHED: shutdown(SHUT_WR) = %s, again = %s, then SHUT_RD = %s, then SHUT_RDWR = %s", r1, r2, r3, r4); }
        close(c); close(a);
        c = pair(l, 9001, &a);
        struct linger lg = {1, 0}; setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof lg); close(a); sleep_ms(20);
        out(cs, "after the peer's RST: shutdown(SHUT_WR) = %s", R(shutdown(c, SHUT_WR)));
        close(c);
        int u = nsock(CLI, AF_INET, SOCK_DGRAM, 0);
        out(cs, "UDP unconnected: SHUT_RD %s SHUT_WR %s SHUT_RDWR %s", R(shutdown(u, SHUT_RD)), R(shutdown(u, SHUT_WR)), R(shutdown(u, SHUT_RDWR)));
        close(u);
    }
    if (want("names")) {
        const char *cs = "getpeername/getsockname";
        int c = tsock();
        out(cs, "fresh TCP: %s", names(c));
        kp_sa b = sa4("0.0.0.0", 0); bind(c, &b.sa, SA4);
        out(cs, "after bind(0.0.0.0:0): %s", names(c));
        close(c);
        c = tsock(); b = sa4("10.0.0.1", 0); bind(c, &b.sa, SA4);
        out(cs, "after bind(10.0.0.1:0): %s", names(c));
        listen(c, 1);
        out(cs, "listening: %s", names(c));
        close(c);
        c = tsocknb(); connect(c, &bh.sa, SA4);
        out(cs, "SYN_SENT: %s", names(c));
        close(c);
        int a; c = pair(l, 9001, &a);
        out(cs, "ESTABLISHED: %s", names(c));
        close(a); sleep_ms(20);
        out(cs, "CLOSE_WAIT: %s", names(c));
        shutdown(c, SHUT_WR); sleep_ms(20);
        out(cs, "after both FINs (state %s): %s", tcpstate(c), names(c));
        close(c);
        c = pair(l, 9001, &a);
        shutdown(c, SHUT_WR); sleep_ms(20);
        out(cs, "FIN_WAIT2: %s", names(c));
        close(c); close(a);
        c = pair(l, 9001, &a);
        struct linger lg = {1, 0}; setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof lg); close(a); sleep_ms(20);
        out(cs, "after the peer's RST (state %s): %s", tcpstate(c), names(c));
        close(c);
        c = tsocknb(); connect(c, &closed.sa, SA4); sleep_ms(20);
        out(cs, "after a refused non-blocking connect: %s", names(c));
        close(c);
        c = tsock(); connect(c, &closed.sa, SA4);
        out(cs, "after a refused blocking connect: %s", names(c));
        {
            int p = lport(c);
            int t = tsock(); kp_sa tb = sa4("10.0.0.1", p);
            const char *rb = R(bind(t, &tb.sa, SA4));
            out(cs, "  is that port still held? another socket bind(10.0.0.1:%d) without SO_REUSEADDR = %s", p, rb);
            close(t);
            int t2 = tsocknb(); connect(t2, &closed.sa, SA4); sleep_ms(20);
            int p2 = lport(t2);
            t = tsock(); tb = sa4("10.0.0.1", p2);
            rb = R(bind(t, &tb.sa, SA4));
            out(cs, "  after a refused NON-blocking connect (no further call): bind(10.0.0.1:%d) from another socket = %s", p2, rb);
            close(t);
            const char *e = soerr(t2);
            t = tsock(); rb = R(bind(t, &tb.sa, SA4));
            out(cs, "  ... after reading SO_ERROR (%s) on it: bind = %s", e, rb);
            close(t); close(t2);
        }
        close(c);
        int u = nsock(CLI, AF_INET, SOCK_DGRAM, 0);
        out(cs, "UDP fresh: %s", names(u));
        connect(u, &lsn.sa, SA4);
        out(cs, "UDP connected: %s", names(u));
        close(u);
        socklen_t sl = 2; kp_sa sa;
        c = pair(l, 9001, &a);
        { const char *r = R(getpeername(c, &sa.sa, &sl)); out(cs, "getpeername with addrlen 2 = %s, addrlen returned %u", r, sl); }
        sl = 100;
        { const char *r = R(getsockname(c, &sa.sa, &sl)); out(cs, "getsockname with addrlen 100 = %s, addrlen returned %u", r, sl); }
        sl = (socklen_t)-1;
        out(cs, "getpeername with addrlen -1 = %s", R(getpeername(c, &sa.sa, &sl)));
        close(c); close(a);
    }
    if (want("bind")) {
        const char *cs = "bind";
        int s = tsock();
        kp_sa b = sa4("10.0.0.1", 0);
        { const char *r = R(bind(s, &b.sa, SA4)); out(cs, "bind(10.0.0.1:0) = %s -> %s", r, sockname(s)); }
        { const char *r = R(bind(s, &b.sa, SA4)); kp_sa b2 = sa4("10.0.0.1", 5555); out(cs, "bind again (same) = %s; bind again (port 5555) = %s", r, R(bind(s, &b2.sa, SA4))); }
        close(s);
        int a; int c = pair(l, 9001, &a);
        out(cs, "bind on a connected socket = %s", ({ kp_sa b2 = sa4("10.0.0.1", 0); R(bind(c, &b2.sa, SA4)); }));
        close(c); close(a);
        s = tsock();
        kp_sa w6 = sa6("::", 0, 0);
        out(cs, "AF_INET socket, sockaddr_in6 (len 28) = %s", R(bind(s, &w6.sa, SA6)));
        out(cs, "AF_INET socket, sockaddr_in6 but len 16 = %s", R(bind(s, &w6.sa, SA4)));
        kp_sa un = sa4("0.0.0.0", 0); un.in.sin_family = AF_UNSPEC;
        { const char *r = R(bind(s, &un.sa, SA4)); out(cs, "AF_INET socket, family AF_UNSPEC + INADDR_ANY = %s -> %s", r, sockname(s)); }
        close(s); s = tsock();
        un = sa4("10.0.0.1", 0); un.in.sin_family = AF_UNSPEC;
        out(cs, "AF_INET socket, family AF_UNSPEC + 10.0.0.1 = %s", R(bind(s, &un.sa, SA4)));
        un = sa4("10.0.0.1", 0); un.in.sin_family = 12345;
        out(cs, "AF_INET socket, family 12345 = %s", R(bind(s, &un.sa, SA4)));
        b = sa4("10.0.0.1", 0);
        { int lens[] = {0, 1, 2, 8, 15, 16, 17, 28, 128, 129, 200}; char line[512] = "";
          for (int i = 0; i < 11; i++) { int t = tsock(); char tt[64]; snprintf(tt, sizeof tt, " len %d: %s;", lens[i], R(bind(t, &b.sa, lens[i]))); strcat(line, tt); close(t); }
          out(cs, "AF_INET socket, sockaddr_in 10.0.0.1:0 with addrlen ...%s", line); }
        out(cs, "AF_INET socket, addr NULL len 16 = %s; addr (void*)1 = %s", R(bind(s, NULL, SA4)), R(bind(s, (struct sockaddr *)1, SA4)));
        close(s);
        int s6 = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
        kp_sa v4 = sa4("10.0.0.1", 0);
        out(cs, "AF_INET6 socket, sockaddr_in (len 16) = %s", R(bind(s6, &v4.sa, SA4)));
        kp_sa v4l = v4;
        out(cs, "AF_INET6 socket, sockaddr_in padded to len 28 = %s", R(bind(s6, &v4l.sa, SA6)));
        kp_sa a6 = sa6("fd00::1", 0, 0);
        { const char *r = R(bind(s6, &a6.sa, 24)); out(cs, "AF_INET6 socket, sockaddr_in6 len 24 (RFC 2133, no scope id) = %s -> %s", r, sockname(s6)); }
        close(s6); s6 = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
        out(cs, "AF_INET6 socket, len 23 = %s", R(bind(s6, &a6.sa, 23)));
        kp_sa m6 = sa6("::ffff:10.0.0.1", 0, 0);
        { const char *r = R(bind(s6, &m6.sa, SA6)); out(cs, "AF_INET6 socket, ::ffff:10.0.0.1 = %s -> %s", r, sockname(s6)); }
        close(s6); s6 = nsock(CLI, AF_INET6, SOCK_STREAM, 0); seti(s6, IPPROTO_IPV6, IPV6_V6ONLY, 1);
        out(cs, "AF_INET6 V6ONLY socket, ::ffff:10.0.0.1 = %s", R(bind(s6, &m6.sa, SA6)));
        close(s6);
        s = tsock(); b = sa4("10.0.0.2", 0);
        out(cs, "AF_INET socket, non-local 10.0.0.2 = %s", R(bind(s, &b.sa, SA4)));
        close(s);
        { const char *ad[] = {"10.0.0.255", "10.0.0.0", "224.0.0.1", "255.255.255.255", "127.0.0.1", "0.0.0.0"};
          for (int i = 0; i < 6; i++) { s = tsock(); b = sa4(ad[i], 0); const char *r = R(bind(s, &b.sa, SA4)); out(cs, "AF_INET TCP socket (fresh), bind %s:0 = %s -> %s", ad[i], r, sockname(s)); close(s); } }
        int u = nsock(CLI, AF_INET, SOCK_DGRAM, 0);
        b = sa4("224.0.0.1", 0);
        out(cs, "AF_INET UDP socket, multicast 224.0.0.1 = %s", R(bind(u, &b.sa, SA4)));
        close(u); u = nsock(CLI, AF_INET, SOCK_DGRAM, 0);
        b = sa4("255.255.255.255", 0);
        out(cs, "AF_INET UDP socket, 255.255.255.255 = %s", R(bind(u, &b.sa, SA4)));
        close(u);
        out(cs, "net.ipv4.ip_unprivileged_port_start = %s", sysctl_get(CLI, "net/ipv4/ip_unprivileged_port_start"));
    }
    if (want("unpriv")) {
        const char *cs = "unprivileged (uid 65534)";
        fflush(stdout);
        pid_t p = fork();
        if (p == 0) {
            ns_enter(CLI);
            if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) { perror("drop privileges"); _exit(1); }
            int s = socket(AF_INET, SOCK_STREAM, 0);
            kp_sa b = sa4("0.0.0.0", 80);
            out(cs, "TCP bind(0.0.0.0:80) = %s", R(bind(s, &b.sa, SA4)));
            b = sa4("10.0.0.1", 1023);
            out(cs, "TCP bind(10.0.0.1:1023) = %s", R(bind(s, &b.sa, SA4)));
            out(cs, "after the failed binds: getsockname %s", sockname(s));
            { const char *r = R(connect(s, &lsn.sa, SA4)); out(cs, "connect from that socket to the listener = %s, getsockname %s", r, sockname(s)); }
            close(s);
            s = socket(AF_INET, SOCK_STREAM, 0);
            b = sa4("10.0.0.1", 1024);
            out(cs, "TCP bind(10.0.0.1:1024) = %s", R(bind(s, &b.sa, SA4)));
            close(s);
            s = socket(AF_INET, SOCK_DGRAM, 0);
            b = sa4("0.0.0.0", 53);
            out(cs, "UDP bind(0.0.0.0:53) = %s", R(bind(s, &b.sa, SA4)));
            close(s);
            s = socket(AF_INET6, SOCK_STREAM, 0);
            kp_sa b6 = sa6("::", 443, 0);
            out(cs, "TCP6 bind([::]:443) = %s", R(bind(s, &b6.sa, SA6)));
            b6 = sa6("::", 0, 0);
            { const char *r = R(bind(s, &b6.sa, SA6)); out(cs, "TCP6 bind([::]:0) = %s -> %s", r, sockname(s)); }
            close(s);
            s = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
            out(cs, "socket(AF_INET, SOCK_RAW) = %s", s < 0 ? en(errno) : "ok");
            s = socket(AF_INET, SOCK_STREAM, 0);
            out(cs, "setsockopt SO_BINDTODEVICE = %s", R(setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifc(), strlen(ifc()))));
            out(cs, "setsockopt IP_TRANSPARENT = %s", R(seti(s, IPPROTO_IP, IP_TRANSPARENT, 1)));
            out(cs, "setsockopt SO_MARK = %s", R(seti(s, SOL_SOCKET, SO_MARK, 1)));
            out(cs, "setsockopt SO_PRIORITY 7 = %s", R(seti(s, SOL_SOCKET, SO_PRIORITY, 7)));
            out(cs, "setsockopt SO_RCVBUFFORCE = %s", R(seti(s, SOL_SOCKET, SO_RCVBUFFORCE, 1 << 20)));
            _exit(0);
        }
        waitpid(p, NULL, 0);
        int a; setnb(l, 1); while ((a = accept(l, NULL, NULL)) >= 0) close(a); setnb(l, 0);
    }
    if (want("family")) {
        const char *cs = "connect family";
        int s6 = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
        kp_sa v4 = sa4("10.0.0.2", 9001);
        out(cs, "AF_INET6 TCP socket, sockaddr_in len 16 = %s", R(connect(s6, &v4.sa, SA4)));
        out(cs, "AF_INET6 TCP socket, sockaddr_in padded to len 28 = %s", R(connect(s6, &v4.sa, SA6)));
        kp_sa v6 = sa6("fd00::2", 9001, 0);
        out(cs, "AF_INET6 TCP socket, sockaddr_in6 len 24 = %s", R(connect(s6, &v6.sa, 24)));
        close(s6);
        int u6 = nsock(CLI, AF_INET6, SOCK_DGRAM, 0);
        { const char *r = R(connect(u6, &v4.sa, SA4)); out(cs, "AF_INET6 UDP socket, sockaddr_in len 16 = %s -> getpeername %s, getsockname %s", r, peername(u6), sockname(u6)); }
        close(u6);
        u6 = nsock(CLI, AF_INET6, SOCK_DGRAM, 0); seti(u6, IPPROTO_IPV6, IPV6_V6ONLY, 1);
        out(cs, "AF_INET6 V6ONLY UDP socket, sockaddr_in len 16 = %s", R(connect(u6, &v4.sa, SA4)));
        close(u6);
        u6 = nsock(CLI, AF_INET6, SOCK_DGRAM, 0);
        out(cs, "AF_INET6 UDP socket, sendto(sockaddr_in len 16) = %s", R(sendto(u6, "x", 1, 0, &v4.sa, SA4)));
        close(u6);
        int u4 = nsock(CLI, AF_INET, SOCK_DGRAM, 0);
        out(cs, "AF_INET UDP socket, sockaddr_in6 = %s; sendto(sockaddr_in6) = %s", R(connect(u4, &v6.sa, SA6)), R(sendto(u4, "x", 1, 0, &v6.sa, SA6)));
        close(u4);
    }
    if (want("bcast") || want("bcastroute")) {
        const char *cs = want("bcastroute") ? "broadcast/multicast (client has a default route via 10.0.0.2)" : "broadcast/multicast (no default route)";
        if (want("bcastroute")) { sh("ip -n " CLI " route add default via 10.0.0.2"); sh("ip -n " CLI " -6 route add default via fd00::2"); }
        const char *dsts[] = {"10.0.0.255", "255.255.255.255", "224.0.0.1", "239.1.2.3", "0.0.0.0", "127.0.0.1", "10.0.0.0"};
        for (int i = 0; i < 7; i++) {
            kp_sa d = sa4(dsts[i], 9001);
            int t = tsock();
            kp_mark(NULL);
            const char *r = R(connect(t, &d.sa, SA4));
            out(cs, "TCP connect %s:9001 = %s after %.0f ms", dsts[i], r, ms());
            close(t);
            t = tsocknb(); r = R(connect(t, &d.sa, SA4));
            out(cs, "TCP non-blocking connect %s:9001 = %s", dsts[i], r);
            close(t);
            int u = nsock(CLI, AF_INET, SOCK_DGRAM, 0);
            r = R(connect(u, &d.sa, SA4));
            const char *s1 = R(sendto(u, "x", 1, 0, &d.sa, SA4));
            out(cs, "UDP connect %s = %s; sendto %s = %s", dsts[i], r, dsts[i], s1);
            close(u);
            u = nsock(CLI, AF_INET, SOCK_DGRAM, 0); seti(u, SOL_SOCKET, SO_BROADCAST, 1);
            r = R(connect(u, &d.sa, SA4));
            s1 = R(send(u, "x", 1, 0));
            out(cs, "UDP with SO_BROADCAST connect %s = %s; send = %s", dsts[i], r, s1);
            close(u);
        }
        const char *d6s[] = {"ff02::1", "ff0e::1", "::", "::1"};
        for (int i = 0; i < 4; i++) {
            kp_sa d = sa6(d6s[i], 9001, 0);
            int t = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
            out(cs, "TCP6 connect [%s]:9001 = %s", d6s[i], R(connect(t, &d.sa, SA6)));
            close(t);
            int u = nsock(CLI, AF_INET6, SOCK_DGRAM, 0);
            out(cs, "UDP6 connect [%s] = %s", d6s[i], R(connect(u, &d.sa, SA6)));
            close(u);
        }
        kp_sa z = sa4("10.0.0.2", 0);
        int t = tsock();
        out(cs, "TCP connect 10.0.0.2:0 (port 0) = %s", R(connect(t, &z.sa, SA4)));
        close(t);
        int u = nsock(CLI, AF_INET, SOCK_DGRAM, 0);
        { const char *r = R(connect(u, &z.sa, SA4)); out(cs, "UDP connect 10.0.0.2:0 = %s; then send = %s", r, R(send(u, "x", 1, 0))); }
        out(cs, "UDP sendto 10.0.0.2:0 = %s", R(sendto(u, "x", 1, 0, &z.sa, SA4)));
        close(u);
        if (want("bcastroute")) { sh("ip -n " CLI " route del default"); sh("ip -n " CLI " -6 route del default"); }
    }
    return 0;
}
