/* p13_simul.c - topic 13: simultaneous open and simultaneous close (delayline topology, 50 ms one-way) */
#include "kp.h"

static const char *st2(int a, int b) { char *x = kp_buf(); snprintf(x, 512, "A %s / B %s", tcpstate(a), tcpstate(b)); return x; }

KP_MAIN
    const char *cs = "simultaneous open";
    /* A = 10.0.0.1:48001 (client ns), B = 10.0.0.2:48002 (server ns) */
    int A = nsock(CLI, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), B = nsock(SRV, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    kp_sa a = sa4("10.0.0.1", 48001), b = sa4("10.0.0.2", 48002);
    bind(A, &a.sa, SA4); bind(B, &b.sa, SA4);
    kp_mark(cs);
    const char *ra = R(connect(A, &b.sa, SA4));
    const char *rb = R(connect(B, &a.sa, SA4));
    out(cs, "%.1f ms connect A->B = %s, connect B->A = %s; %s", ms(), ra, rb, st2(A, B));
    int marks[] = {25, 55, 75, 105, 130, 160, 220, 400};
    for (int i = 0; i < 8; i++) {
        while (ms() < marks[i]) sleep_ms(1);
        out(cs, "%4d ms: %s; poll A %s; poll B %s", marks[i], st2(A, B), pollnow(A), pollnow(B));
    }
    ra = R(connect(A, &b.sa, SA4)); rb = R(connect(B, &a.sa, SA4));
    out(cs, "connect again: A = %s, B = %s; SO_ERROR A %s B %s", ra, rb, soerr(A), soerr(B));
    out(cs, "A: %s -> %s; B: %s -> %s", sockname(A), peername(A), sockname(B), peername(B));
    send(A, "ping", 4, 0); sleep_ms(150);
    { char x[8]; out(cs, "data A->B: B recv = %s", R(recv(B, x, 8, 0))); }

    cs = "simultaneous close";
    kp_mark(cs);
    ra = R(shutdown(A, SHUT_WR)); rb = R(shutdown(B, SHUT_WR));
    out(cs, "%.1f ms shutdown(SHUT_WR) A = %s, B = %s; %s", ms(), ra, rb, st2(A, B));
    int m2[] = {25, 55, 75, 105, 160, 400};
    for (int i = 0; i < 6; i++) {
        while (ms() < m2[i]) sleep_ms(1);
        out(cs, "%4d ms: %s", m2[i], st2(A, B));
        if (i == 3 || i == 5) { sh("ip netns exec " CLI " ss -tan 'sport = :48001' | sed 's/^/# ss client: /'"); sh("ip netns exec " SRV " ss -tan 'sport = :48002' | sed 's/^/# ss server: /'"); }
    }
    close(A); close(B);
    sleep_ms(100);
    sh("ip netns exec " CLI " ss -tano 'sport = :48001' | sed 's/^/# ss client after close(): /'");
    sh("ip netns exec " SRV " ss -tano 'sport = :48002' | sed 's/^/# ss server after close(): /'");

    cs = "simultaneous close with close() (orphans)";
    A = nsock(CLI, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0); B = nsock(SRV, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    kp_sa a2 = sa4("10.0.0.1", 48003), b2 = sa4("10.0.0.2", 48004);
    seti(A, SOL_SOCKET, SO_REUSEADDR, 1); seti(B, SOL_SOCKET, SO_REUSEADDR, 1);
    bind(A, &a2.sa, SA4); bind(B, &b2.sa, SA4);
    connect(A, &b2.sa, SA4); connect(B, &a2.sa, SA4);
    sleep_ms(300);
    out(cs, "after a second simultaneous open: %s", st2(A, B));
    kp_mark(cs);
    close(A); close(B);
    sleep_ms(300);
    sh("ip netns exec " CLI " ss -tano 'sport = :48003' | sed 's/^/# ss client: /'");
    sh("ip netns exec " SRV " ss -tano 'sport = :48004' | sed 's/^/# ss server: /'");

    cs = "crossing SYNs, one side not connecting (RST)";
    A = nsock(CLI, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    kp_sa a3 = sa4("10.0.0.1", 48005), b3 = sa4("10.0.0.2", 48006);
    bind(A, &a3.sa, SA4);
    kp_mark(cs);
    out(cs, "connect A -> 10.0.0.2:48006 (nobody there) = %s", R(connect(A, &b3.sa, SA4)));
    double w; int rv = pollwait(A, POLLOUT, 1000, &w);
    out(cs, "poll %s at %.0f ms, SO_ERROR %s", rev(rv), w, soerr(A));
    close(A);
    return 0;
}
