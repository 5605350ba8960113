/* p12_ipv6.c - topic 12: IPv6 scope ids, link-local, v4-mapped addresses, IPV6_V6ONLY */
#include "kp.h"
#include <net/if.h>

static int ifidx(const char *ns, const char *name) { ns_enter(ns); int i = if_nametoindex(name); ns_leave(); return i; }

KP_MAIN
    int ic = ifidx(CLI, ifc());
    printf("# client interface %s has ifindex %d; lo is 1\n", ifc(), ic);
    /* dual-stack listener on the server: [::]:9701; a v4 listener 10.0.0.2:9702 */
    int l6 = nsock(SRV, AF_INET6, SOCK_STREAM, 0);
    seti(l6, SOL_SOCKET, SO_REUSEADDR, 1);
    kp_sa any6 = sa6("::", 9701, 0); bind(l6, &any6.sa, SA6); listen(l6, 64);
    int l4 = listener4(SRV, "10.0.0.2", 9702, 64);
    struct { const char *addr; int scope; const char *what; } d[] = {
        {"fe80::2", 0, "scope 0"}, {"fe80::2", -1, "scope = client ifindex"}, {"fe80::2", 1, "scope 1 (lo)"},
        {"fe80::2", 999, "scope 999 (no such interface)"}, {"fd00::2", 0, "global, scope 0"}, {"fd00::2", 999, "global, scope 999"},
        {"fe80::1", 0, "own link-local, scope 0"}, {"fe80::1", -1, "own link-local, scope = ifindex"},
    };
    if (want("scope")) {
        for (unsigned i = 0; i < sizeof d / sizeof d[0]; i++) {
            int sc = d[i].scope < 0 ? ic : d[i].scope;
            kp_sa a = sa6(d[i].addr, 9701, sc);
            int t = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
            const char *r = R(connect(t, &a.sa, SA6));
            out("IPv6 scope", "TCP connect [%s%%%d]:9701 (%s) = %s; getsockname %s", d[i].addr, sc, d[i].what, r, sockname(t));
            close(t);
            t = nsock(CLI, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
            r = R(connect(t, &a.sa, SA6));
            out("IPv6 scope", "TCP non-blocking connect [%s%%%d] = %s", d[i].addr, sc, r);
            close(t);
            int u = nsock(CLI, AF_INET6, SOCK_DGRAM, 0);
            r = R(connect(u, &a.sa, SA6));
            const char *s = R(sendto(u, "x", 1, 0, &a.sa, SA6));
            out("IPv6 scope", "UDP connect [%s%%%d] = %s; sendto = %s", d[i].addr, sc, r, s);
            close(u);
        }
        { int s, dummy; setnb(l6, 1); while ((dummy = accept(l6, NULL, NULL)) >= 0) close(dummy); setnb(l6, 0); (void)s; }
        const char *cs = "IPv6 bind";
        struct { const char *addr; int scope; } b[] = {{"fe80::1", 0}, {"fe80::1", -1}, {"fe80::1", 1}, {"fe80::1", 999}, {"fe80::2", -1}, {"fd00::1", 0}, {"fd00::1", 999}, {"::1", 0}, {"::", 0}, {"::", -1}};
        for (unsigned i = 0; i < sizeof b / sizeof b[0]; i++) {
            int sc = b[i].scope < 0 ? ic : b[i].scope;
            int t = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
            kp_sa a = sa6(b[i].addr, 0, sc);
            const char *r = R(bind(t, &a.sa, SA6));
            out(cs, "bind [%s%%%d]:0 = %s -> %s", b[i].addr, sc, r, sockname(t));
            close(t);
        }
        /* bound to fe80::1%if, then connect to fe80::2 with scope 0 / another scope */
        {
            int t = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
            kp_sa a = sa6("fe80::1", 0, ic); bind(t, &a.sa, SA6);
            kp_sa dst = sa6("fe80::2", 9701, 0);
            const char *r = R(connect(t, &dst.sa, SA6));
            out(cs, "bound to [fe80::1%%%d], connect [fe80::2%%0] = %s", ic, r);
            close(t);
            t = nsock(CLI, AF_INET6, SOCK_STREAM, 0); bind(t, &a.sa, SA6);
            dst = sa6("fe80::2", 9701, 1);
            r = R(connect(t, &dst.sa, SA6));
            out(cs, "bound to [fe80::1%%%d], connect [fe80::2%%1] = %s", ic, r);
            close(t);
            t = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
            setsockopt(t, SOL_SOCKET, SO_BINDTODEVICE, ifc(), strlen(ifc()));
            dst = sa6("fe80::2", 9701, 0);
            r = R(connect(t, &dst.sa, SA6));
            out(cs, "SO_BINDTODEVICE %s, connect [fe80::2%%0] = %s", ifc(), r);
            close(t);
            t = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
            setsockopt(t, SOL_SOCKET, SO_BINDTODEVICE, "lo", 2);
            dst = sa6("fe80::2", 9701, ic);
            r = R(connect(t, &dst.sa, SA6));
            out(cs, "SO_BINDTODEVICE lo, connect [fe80::2%%%d] = %s", ic, r);
            close(t);
            int dummy; setnb(l6, 1); while ((dummy = accept(l6, NULL, NULL)) >= 0) close(dummy); setnb(l6, 0);
        }
        /* accept on the dual-stack listener: the peer address of a link-local client */
        {
            int t = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
            kp_sa dst = sa6("fe80::2", 9701, ic);
            connect(t, &dst.sa, SA6);
            kp_sa pa; socklen_t pl = sizeof pa;
            int a = accept(l6, &pa.sa, &pl);
            out(cs, "server accept() of a link-local client: peer %s (scope id = server ifindex), local %s", fmt_sa(&pa), sockname(a));
            close(a); close(t);
        }
    }
    if (want("mapped")) {
        const char *cs = "v4-mapped";
        kp_sa m = sa6("::ffff:10.0.0.2", 9702, 0);
        for (int v6only = 0; v6only < 2; v6only++) {
            int t = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
            seti(t, IPPROTO_IPV6, IPV6_V6ONLY, v6only);
            const char *r = R(connect(t, &m.sa, SA6));
            out(cs, "TCP6 V6ONLY=%d connect [::ffff:10.0.0.2]:9702 = %s; getsockname %s getpeername %s", v6only, r, sockname(t), peername(t));
            close(t);
            t = nsock(CLI, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
            seti(t, IPPROTO_IPV6, IPV6_V6ONLY, v6only);
            r = R(connect(t, &m.sa, SA6));
            out(cs, "TCP6 V6ONLY=%d non-blocking connect = %s", v6only, r);
            close(t);
            int u = nsock(CLI, AF_INET6, SOCK_DGRAM, 0);
            seti(u, IPPROTO_IPV6, IPV6_V6ONLY, v6only);
            r = R(connect(u, &m.sa, SA6));
            const char *s = R(sendto(u, "x", 1, 0, &m.sa, SA6));
            out(cs, "UDP6 V6ONLY=%d connect [::ffff:10.0.0.2] = %s; sendto = %s", v6only, r, s);
            close(u);
        }
        kp_sa mc = sa6("::ffff:10.0.0.9", 9702, 0);   /* on-link, nobody there */
        int t = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
        seti(t, IPPROTO_IPV6, IPV6_V6ONLY, 1);
        out(cs, "TCP6 V6ONLY=1 connect [::ffff:10.0.0.9] (unused address) = %s", R(connect(t, &mc.sa, SA6)));
        close(t);
        kp_sa mb = sa6("::ffff:10.0.0.255", 9702, 0);
        t = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
        out(cs, "TCP6 connect [::ffff:10.0.0.255] (broadcast) = %s", R(connect(t, &mb.sa, SA6)));
        close(t);
        /* bound to a v6 address, then a mapped destination; bound to mapped, then v6 destination */
        t = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
        kp_sa b6 = sa6("fd00::1", 0, 0); bind(t, &b6.sa, SA6);
        out(cs, "TCP6 bound to [fd00::1], connect [::ffff:10.0.0.2] = %s", R(connect(t, &m.sa, SA6)));
        close(t);
        t = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
        kp_sa bm = sa6("::ffff:10.0.0.1", 0, 0); bind(t, &bm.sa, SA6);
        kp_sa g6 = sa6("fd00::2", 9701, 0);
        out(cs, "TCP6 bound to [::ffff:10.0.0.1], connect [fd00::2] = %s", R(connect(t, &g6.sa, SA6)));
        close(t);
        int u = nsock(CLI, AF_INET6, SOCK_DGRAM, 0);
        bind(u, &b6.sa, SA6);
        { const char *r = R(sendto(u, "x", 1, 0, &m.sa, SA6)); out(cs, "UDP6 bound to [fd00::1], sendto [::ffff:10.0.0.2] = %s", r); }
        close(u);
        /* setting IPV6_V6ONLY after bind / on a connected socket */
        t = nsock(CLI, AF_INET6, SOCK_STREAM, 0);
        kp_sa any = sa6("::", 0, 0); bind(t, &any.sa, SA6);
        out(cs, "setsockopt IPV6_V6ONLY on a bound TCP6 socket = %s", R(seti(t, IPPROTO_IPV6, IPV6_V6ONLY, 1)));
        close(t);
        out(cs, "net.ipv6.bindv6only = %s", sysctl_get(CLI, "net/ipv6/bindv6only"));
        /* the dual-stack listener sees a v4 client as ::ffff: */
        t = nsock(CLI, AF_INET, SOCK_STREAM, 0);
        kp_sa v4 = sa4("10.0.0.2", 9701);
        out(cs, "AF_INET client to the [::]:9701 dual-stack listener = %s", R(connect(t, &v4.sa, SA4)));
        kp_sa pa; socklen_t pl = sizeof pa;
        int a = accept(l6, &pa.sa, &pl);
        out(cs, "server accept(): peer %s, local %s", fmt_sa(&pa), sockname(a));
        close(a); close(t);
        int l6o = nsock(SRV, AF_INET6, SOCK_STREAM, 0); seti(l6o, IPPROTO_IPV6, IPV6_V6ONLY, 1);
        kp_sa b9 = sa6("::", 9703, 0); bind(l6o, &b9.sa, SA6); listen(l6o, 4);
        t = nsock(CLI, AF_INET, SOCK_STREAM, 0);
        kp_sa v49 = sa4("10.0.0.2", 9703);
        out(cs, "AF_INET client to a V6ONLY [::]:9703 listener = %s", R(connect(t, &v49.sa, SA4)));
        close(t); close(l6o);
    }
    close(l6); close(l4);
    return 0;
}
