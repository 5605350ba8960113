/* p8_ports.c - topic 8: ephemeral port choice (connect vs bind(0), parity, spacing, exhaustion,
 * IP_BIND_ADDRESS_NO_PORT, UDP) */
#include "kp.h"

static char line[4096];
static void addport(int p) { char t[16]; snprintf(t, sizeof t, " %d", p); strcat(line, t); }
static void parity(const char *cs, int *p, int n) {
    int even = 0; for (int i = 0; i < n; i++) if (p[i] % 2 == 0) even++;
    line[0] = 0;
    for (int i = 1; i < n; i++) addport(p[i] - p[i - 1]);
    out(cs, "%d even / %d odd; deltas:%s", even, n - even, line);
}
static int conn(const char *ip, int port, int keep, int *fd) {
    int c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
    kp_sa a = sa4(ip, port);
    int r = connect(c, &a.sa, SA4);
    int e = errno;
    int p = lport(c);
    if (r < 0) { close(c); errno = e; return -1; }
    if (keep) *fd = c; else { struct linger lg = {1, 0}; setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg); close(c); }
    return p;
}
static void drain(int l) { int a; setnb(l, 1); while ((a = accept(l, NULL, NULL)) >= 0) close(a); }

KP_MAIN
    int l1 = listener4(SRV, "10.0.0.2", 9201, 4096), l2 = listener4(SRV, "10.0.0.2", 9202, 4096);
    int p[64], fds[64];
    if (want("seq")) {
        const char *cs = "connect x20 to 10.0.0.2:9201, kept open";
        line[0] = 0;
        for (int i = 0; i < 20; i++) { p[i] = conn("10.0.0.2", 9201, 1, &fds[i]); addport(p[i]); }
        out(cs, "ports:%s", line); parity(cs, p, 20);
        for (int i = 0; i < 20; i++) close(fds[i]);
        drain(l1);
        sleep_ms(100);
        cs = "connect x20 to 10.0.0.2:9201, each closed with RST before the next";
        line[0] = 0;
        for (int i = 0; i < 20; i++) { p[i] = conn("10.0.0.2", 9201, 0, NULL); addport(p[i]); drain(l1); }
        out(cs, "ports:%s", line); parity(cs, p, 20);
        cs = "connect x20 alternating 10.0.0.2:9201 / 10.0.0.2:9202, kept open";
        line[0] = 0;
        for (int i = 0; i < 20; i++) { p[i] = conn("10.0.0.2", i % 2 ? 9202 : 9201, 1, &fds[i]); addport(p[i]); }
        out(cs, "ports:%s", line); parity(cs, p, 20);
        {
            int q[10];
            for (int i = 0; i < 10; i++) q[i] = p[2 * i];
            parity("  to 9201 only", q, 10);
            for (int i = 0; i < 10; i++) q[i] = p[2 * i + 1];
            parity("  to 9202 only", q, 10);
        }
        for (int i = 0; i < 20; i++) close(fds[i]);
        drain(l1); drain(l2);
        cs = "bind(10.0.0.1:0) x20 (TCP), kept";
        line[0] = 0;
        for (int i = 0; i < 20; i++) {
            fds[i] = nsock(CLI, AF_INET, SOCK_STREAM, 0);
            kp_sa b = sa4("10.0.0.1", 0); bind(fds[i], &b.sa, SA4);
            p[i] = lport(fds[i]); addport(p[i]);
        }
        out(cs, "ports:%s", line); parity(cs, p, 20);
        for (int i = 0; i < 20; i++) close(fds[i]);
        cs = "listen() on an unbound socket x10 (auto-bind)";
        line[0] = 0;
        for (int i = 0; i < 10; i++) { fds[i] = nsock(CLI, AF_INET, SOCK_STREAM, 0); listen(fds[i], 1); p[i] = lport(fds[i]); addport(p[i]); }
        out(cs, "ports:%s", line); parity(cs, p, 10);
        for (int i = 0; i < 10; i++) close(fds[i]);
        cs = "UDP: connect() autobind x10";
        line[0] = 0;
        for (int i = 0; i < 10; i++) { fds[i] = nsock(CLI, AF_INET, SOCK_DGRAM, 0); kp_sa a = sa4("10.0.0.2", 9301); connect(fds[i], &a.sa, SA4); p[i] = lport(fds[i]); addport(p[i]); }
        out(cs, "ports:%s", line); parity(cs, p, 10);
        for (int i = 0; i < 10; i++) close(fds[i]);
        cs = "UDP: bind(0) x10";
        line[0] = 0;
        for (int i = 0; i < 10; i++) { fds[i] = nsock(CLI, AF_INET, SOCK_DGRAM, 0); kp_sa b = sa4("10.0.0.1", 0); bind(fds[i], &b.sa, SA4); p[i] = lport(fds[i]); addport(p[i]); }
        out(cs, "ports:%s", line); parity(cs, p, 10);
        for (int i = 0; i < 10; i++) close(fds[i]);
        cs = "TCP6: connect x10 to [fd00::2]:9201 (v6 listener on the server)";
        {
            int l6 = nsock(SRV, AF_INET6, SOCK_STREAM, 0);
            kp_sa b6 = sa6("fd00::2", 9201, 0); bind(l6, &b6.sa, SA6); listen(l6, 100);
            line[0] = 0;
            for (int i = 0; i < 10; i++) { fds[i] = nsock(CLI, AF_INET6, SOCK_STREAM, 0); connect(fds[i], &b6.sa, SA6); p[i] = lport(fds[i]); addport(p[i]); }
            out(cs, "ports:%s", line); parity(cs, p, 10);
            for (int i = 0; i < 10; i++) close(fds[i]);
            close(l6);
        }
    }
    if (want("range")) {
        sysctl_set(CLI, "net/ipv4/ip_local_port_range", "40000 40009");
        const char *cs = "ip_local_port_range 40000-40009: connect to 10.0.0.2:9201, kept open";
        line[0] = 0; int n = 0;
        for (int i = 0; i < 12; i++) {
            int c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
            kp_sa a = sa4("10.0.0.2", 9201);
            const char *r = R(connect(c, &a.sa, SA4));
            char t[64]; snprintf(t, sizeof t, " #%d=%s:%d", i + 1, r, lport(c)); strcat(line, t);
            if (kp_last_errno == 0) fds[n++] = c; else close(c);
        }
        out(cs, "%s", line);
        { int b = nsock(CLI, AF_INET, SOCK_STREAM, 0); kp_sa ba = sa4("10.0.0.1", 0); const char *r = R(bind(b, &ba.sa, SA4)); out(cs, "then bind(10.0.0.1:0) = %s", r); close(b); }
        { int b = nsock(CLI, AF_INET, SOCK_STREAM, 0); kp_sa ba = sa4("0.0.0.0", 0); const char *r = R(bind(b, &ba.sa, SA4)); out(cs, "then bind(0.0.0.0:0) = %s", r); close(b); }
        { int b = nsock(CLI, AF_INET, SOCK_STREAM, 0); kp_sa a = sa4("10.0.0.2", 9202); const char *r = R(connect(b, &a.sa, SA4)); out(cs, "then connect to 10.0.0.2:9202 (other peer port) = %s, local port %d", r, lport(b)); close(b); }
        { int u = nsock(CLI, AF_INET, SOCK_DGRAM, 0); kp_sa a = sa4("10.0.0.2", 9201); const char *r = R(connect(u, &a.sa, SA4)); out(cs, "then UDP connect = %s, local port %d", r, lport(u)); close(u); }
        for (int i = 0; i < n; i++) { struct linger lg = {1, 0}; setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg); close(fds[i]); }
        drain(l1); drain(l2);
        sleep_ms(100);

        cs = "ip_local_port_range 40000-40009: bind(10.0.0.1:0) x12";
        line[0] = 0; n = 0;
        for (int i = 0; i < 12; i++) {
            int b = nsock(CLI, AF_INET, SOCK_STREAM, 0); kp_sa ba = sa4("10.0.0.1", 0);
            const char *r = R(bind(b, &ba.sa, SA4));
            char t[64]; snprintf(t, sizeof t, " #%d=%s:%d", i + 1, r, lport(b)); strcat(line, t);
            if (kp_last_errno == 0) fds[n++] = b; else close(b);
        }
        out(cs, "%s", line);
        { int c = nsock(CLI, AF_INET, SOCK_STREAM, 0); kp_sa a = sa4("10.0.0.2", 9201); const char *r = R(connect(c, &a.sa, SA4)); out(cs, "then connect (autobind) = %s, port %d", r, lport(c)); close(c); }
        for (int i = 0; i < n; i++) close(fds[i]);

        cs = "ip_local_port_range 40000-40009: bind(10.0.0.1:0) with IP_BIND_ADDRESS_NO_PORT x12, then connect each";
        line[0] = 0; n = 0;
        int s[12];
        for (int i = 0; i < 12; i++) {
            s[i] = nsock(CLI, AF_INET, SOCK_STREAM, 0);
            seti(s[i], IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1);
            kp_sa ba = sa4("10.0.0.1", 0);
            const char *r = R(bind(s[i], &ba.sa, SA4));
            char t[64]; snprintf(t, sizeof t, " #%d=%s->%s", i + 1, r, sockname(s[i])); strcat(line, t);
        }
        out(cs, "binds:%s", line);
        line[0] = 0;
        for (int i = 0; i < 12; i++) {
            kp_sa a = sa4("10.0.0.2", 9201);
            const char *r = R(connect(s[i], &a.sa, SA4));
            char t[64]; snprintf(t, sizeof t, " #%d=%s:%d", i + 1, r, lport(s[i])); strcat(line, t);
        }
        out(cs, "connects:%s", line);
        for (int i = 0; i < 12; i++) { struct linger lg = {1, 0}; setsockopt(s[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg); close(s[i]); }
        drain(l1);
        sleep_ms(100);
        cs = "ip_local_port_range 40000-40009: 10 connections closed normally by the client (client TIME_WAIT)";
        for (int i = 0; i < 10; i++) { fds[i] = nsock(CLI, AF_INET, SOCK_STREAM, 0); kp_sa a = sa4("10.0.0.2", 9201); connect(fds[i], &a.sa, SA4); }
        for (int i = 0; i < 10; i++) close(fds[i]);
        sleep_ms(50); drain(l1); sleep_ms(50);
        sh("ip netns exec " CLI " ss -tan state time-wait | sed 's/^/# ss: /'");
        { int c = nsock(CLI, AF_INET, SOCK_STREAM, 0); kp_sa a = sa4("10.0.0.2", 9201); const char *r = R(connect(c, &a.sa, SA4)); out(cs, "connect to the same peer = %s", r); close(c); }
        { int c = nsock(CLI, AF_INET, SOCK_STREAM, 0); kp_sa a = sa4("10.0.0.2", 9202); const char *r = R(connect(c, &a.sa, SA4)); out(cs, "connect to another peer port = %s, port %d", r, lport(c)); struct linger lg = {1, 0}; setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg); close(c); }
        { int b = nsock(CLI, AF_INET, SOCK_STREAM, 0); kp_sa ba = sa4("10.0.0.1", 0); const char *r = R(bind(b, &ba.sa, SA4)); out(cs, "bind(10.0.0.1:0) = %s", r); close(b); }
        { int b = nsock(CLI, AF_INET, SOCK_STREAM, 0); seti(b, SOL_SOCKET, SO_REUSEADDR, 1); kp_sa ba = sa4("10.0.0.1", 0); const char *r = R(bind(b, &ba.sa, SA4)); out(cs, "bind(10.0.0.1:0) with SO_REUSEADDR = %s -> %s", r, sockname(b)); close(b); }
        drain(l2);
        cs = "IP_BIND_ADDRESS_NO_PORT with an explicit port";
        {
            int b = nsock(CLI, AF_INET, SOCK_STREAM, 0); seti(b, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1);
            kp_sa ba = sa4("10.0.0.1", 41234);
            const char *r = R(bind(b, &ba.sa, SA4));
            out(cs, "bind(10.0.0.1:41234) = %s -> %s", r, sockname(b));
            close(b);
        }
        sysctl_set(CLI, "net/ipv4/ip_local_port_range", "40000 40000");
        cs = "ip_local_port_range 40000-40000 (one port)";
        { int c = nsock(CLI, AF_INET, SOCK_STREAM, 0); kp_sa a = sa4("10.0.0.2", 9203); int l3 = listener4(SRV, "10.0.0.2", 9203, 8); const char *r = R(connect(c, &a.sa, SA4)); out(cs, "connect #1 (to 10.0.0.2:9203) = %s port %d", r, lport(c)); (void)l3;
          int c2 = nsock(CLI, AF_INET, SOCK_STREAM, 0); r = R(connect(c2, &a.sa, SA4)); out(cs, "connect #2 same peer = %s", r);
          kp_sa a2 = sa4("10.0.0.2", 9202); r = R(connect(c2, &a2.sa, SA4)); out(cs, "connect #2 to another peer port = %s port %d", r, lport(c2));
          close(c); close(c2); }
        out(cs, "setting ip_local_port_range \"40001 40000\" (inverted): %s", sh("ip netns exec " CLI " sh -c 'echo 40001 40000 > /proc/sys/net/ipv4/ip_local_port_range' 2>&1") ? "rejected (write error)" : "accepted");
        out(cs, "range now %s", sysctl_get(CLI, "net/ipv4/ip_local_port_range"));
        out(cs, "setting \"1000 2000\" as root: %s", sh("ip netns exec " CLI " sh -c 'echo 1000 2000 > /proc/sys/net/ipv4/ip_local_port_range' 2>&1") ? "rejected" : "accepted");
        out(cs, "range now %s", sysctl_get(CLI, "net/ipv4/ip_local_port_range"));
        sysctl_set(CLI, "net/ipv4/ip_local_port_range", "32768 60999");
    }
    close(l1); close(l2);
    return 0;
}
