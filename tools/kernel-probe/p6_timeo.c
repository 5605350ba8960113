/* p6_timeo.c - topic 6: SO_SNDTIMEO on a blocking connect, SO_RCVTIMEO/SO_SNDTIMEO on accept/recv/send */
#include "kp.h"

static void tmo(int fd, int opt, int msec) {
    struct timeval tv = {msec / 1000, (msec % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

KP_MAIN
    kp_sa bh = sa4("10.0.0.2", 9999);
    int l = listener4(SRV, "10.0.0.2", 9101, 8);
    kp_sa lsn = sa4("10.0.0.2", 9101);
    if (want("connect")) {
        const char *cs = "blocking connect, SO_SNDTIMEO 500 ms, blackhole, TCP_SYNCNT 2";
        int c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
        tmo(c, SO_SNDTIMEO, 500);
        seti(c, IPPROTO_TCP, TCP_SYNCNT, 2);
        kp_mark(cs);
        for (int i = 1; i <= 4; i++) {
            const char *r = R(connect(c, &bh.sa, SA4));
            out(cs, "connect #%d = %s at %.0f ms; state %s, poll %s", i, r, ms(), tcpstate(c), pollnow(c));
        }
        double w; int rv = pollwait(c, POLLOUT, 20000, &w);
        out(cs, "poll(POLLOUT) woke at %.0f ms: %s; state %s", w, rev(rv), tcpstate(c));
        const char *r = R(connect(c, &bh.sa, SA4));
        out(cs, "connect after the timeout = %s at %.0f ms; SO_ERROR then %s", r, ms(), soerr(c));
        r = R(connect(c, &bh.sa, SA4));
        out(cs, "connect again = %s (returns at %.0f ms)", r, ms());
        close(c);

        cs = "blocking connect, SO_SNDTIMEO 500 ms, to a listener";
        c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
        tmo(c, SO_SNDTIMEO, 500);
        kp_mark(cs);
        r = R(connect(c, &lsn.sa, SA4));
        out(cs, "connect = %s at %.1f ms", r, ms());
        close(c);
        { int a = accept(l, NULL, NULL); close(a); }

        cs = "blocking connect, SO_SNDTIMEO 500 ms, blackhole, then the listener answers";
        /* the blackhole is port 9999; open it (nft rule delete) while the second connect waits? keep simple:
           SO_SNDTIMEO then a connect to another address is EALREADY */
        c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
        tmo(c, SO_SNDTIMEO, 500);
        kp_mark(cs);
        r = R(connect(c, &bh.sa, SA4));
        out(cs, "connect(blackhole) = %s at %.0f ms", r, ms());
        r = R(connect(c, &lsn.sa, SA4));
        out(cs, "connect(listener, another address) = %s at %.0f ms", r, ms());
        kp_sa un; memset(&un, 0, sizeof un); un.sa.sa_family = AF_UNSPEC;
        r = R(connect(c, &un.sa, sizeof un.sa));
        out(cs, "connect(AF_UNSPEC) = %s at %.0f ms, state %s", r, ms(), tcpstate(c));
        r = R(connect(c, &lsn.sa, SA4));
        out(cs, "connect(listener) = %s at %.0f ms, state %s", r, ms(), tcpstate(c));
        close(c);
        { int a = accept(l, NULL, NULL); close(a); }

        cs = "non-blocking connect to a blackhole, then blocking connect with SO_SNDTIMEO 300 ms";
        c = nsock(CLI, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        tmo(c, SO_SNDTIMEO, 300);
        kp_mark(cs);
        r = R(connect(c, &bh.sa, SA4));
        out(cs, "non-blocking connect = %s", r);
        setnb(c, 0);
        r = R(connect(c, &bh.sa, SA4));
        out(cs, "blocking connect = %s at %.0f ms", r, ms());
        close(c);

        cs = "SO_SNDTIMEO values";
        c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
        struct timeval tv = {0, 1000000};
        out(cs, "setsockopt SO_SNDTIMEO tv_usec=1000000 = %s", R(setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv)));
        tv.tv_sec = -1; tv.tv_usec = 0;
        out(cs, "setsockopt SO_SNDTIMEO tv_sec=-1 = %s", R(setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv)));
        { struct timeval g; socklen_t gl = sizeof g; getsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &g, &gl); out(cs, "then getsockopt = %ld.%06ld", (long)g.tv_sec, (long)g.tv_usec); }
        tv.tv_sec = 0; tv.tv_usec = 1;
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        { struct timeval g; socklen_t gl = sizeof g; getsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &g, &gl); out(cs, "set 1 us, getsockopt = %ld.%06ld (rounded to jiffies)", (long)g.tv_sec, (long)g.tv_usec); }
        kp_mark(NULL);
        r = R(connect(c, &bh.sa, SA4));
        out(cs, "blocking connect with SO_SNDTIMEO 1 us = %s at %.1f ms", r, ms());
        out(cs, "setsockopt SO_SNDTIMEO optlen 4 = %s", R(setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, 4)));
        close(c);
    }
    if (want("rcv")) {
        const char *cs = "SO_RCVTIMEO";
        int c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
        connect(c, &lsn.sa, SA4);
        int a = accept(l, NULL, NULL);
        char x[16];
        int vals[] = {100, 250, 1000};
        for (int i = 0; i < 3; i++) {
            tmo(c, SO_RCVTIMEO, vals[i]);
            kp_mark(NULL);
            const char *r = R(recv(c, x, sizeof x, 0));
            out(cs, "blocking recv on an idle connection, SO_RCVTIMEO %d ms = %s after %.1f ms", vals[i], r, ms());
        }
        tmo(c, SO_RCVTIMEO, 1000);
        send(a, "ab", 2, 0);
        kp_mark(NULL);
        { const char *r = R(recv(c, x, sizeof x, MSG_WAITALL)); out(cs, "recv(MSG_WAITALL, 16) with 2 bytes available, SO_RCVTIMEO 1000 = %s after %.0f ms", r, ms()); }
        { int a2; setnb(l, 0); tmo(l, SO_RCVTIMEO, 250); kp_mark(NULL); const char *r = R(a2 = accept(l, NULL, NULL)); out(cs, "blocking accept, SO_RCVTIMEO 250 = %s after %.1f ms", r, ms()); }
        cs = "SO_SNDTIMEO on send";
        seti(a, SOL_SOCKET, SO_RCVBUF, 2048);
        tmo(c, SO_SNDTIMEO, 300);
        char big[1 << 16]; memset(big, 'x', sizeof big);
        long tot = 0; int n;
        kp_mark(NULL);
        while ((n = send(c, big, sizeof big, MSG_NOSIGNAL)) > 0) { tot += n; out(cs, "send(64 KiB) = %d at %.0f ms", n, ms()); if (tot > 8 << 20) break; }
        out(cs, "then send = %d %s at %.0f ms (total %ld)", n, en(errno), ms(), tot);
        close(c); close(a);
    }
    close(l);
    return 0;
}
