/* p10_nobufs.c - topic 10: ENOBUFS, EPERM, EACCES from local policy (nft on OUTPUT, tc qdisc drops) */
#include "kp.h"

static void nft(const char *rule) { sh("ip netns exec " CLI " nft add rule inet kp out %s", rule); printf("# nft (client, output): %s\n", rule); }
static void nft_flush(void) { sh("ip netns exec " CLI " nft flush chain inet kp out"); }

KP_MAIN
    int l = listener4(SRV, "10.0.0.2", 9501, 16);
    kp_sa lsn = sa4("10.0.0.2", 9501);
    if (want("nft")) {
        const char *kinds[] = {"drop", "reject with tcp reset", "reject", "reject with icmp type host-unreachable",
                               "reject with icmp type admin-prohibited", "reject with icmp type net-unreachable", "reject with icmp type port-unreachable"};
        for (int k = 0; k < 7; k++) {
            char rule[128], cs[160];
            snprintf(rule, sizeof rule, "ip daddr 10.0.0.2 %s", kinds[k]);
            nft(rule);
            snprintf(cs, sizeof cs, "nft output '%s'", kinds[k]);
            int c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
            seti(c, IPPROTO_TCP, TCP_SYNCNT, 1);
            kp_mark(cs);
            const char *r = R(connect(c, &lsn.sa, SA4));
            out(cs, "TCP blocking connect (TCP_SYNCNT 1) = %s after %.0f ms; SO_ERROR then %s", r, ms(), soerr(c));
            close(c);
            c = nsock(CLI, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            seti(c, IPPROTO_TCP, TCP_SYNCNT, 1);
            kp_mark(NULL);
            r = R(connect(c, &lsn.sa, SA4));
            double w; int rv = pollwait(c, POLLOUT, 5000, &w);
            out(cs, "TCP non-blocking connect = %s; poll %s at %.0f ms; SO_ERROR %s", r, rev(rv), w, soerr(c));
            close(c);
            int u = nsock(CLI, AF_INET, SOCK_DGRAM, 0);
            kp_sa ud = sa4("10.0.0.2", 9502);
            const char *s1 = R(sendto(u, "x", 1, 0, &ud.sa, SA4));
            sleep_ms(30);
            const char *e1 = soerr(u);
            const char *s2 = R(sendto(u, "x", 1, 0, &ud.sa, SA4));
            out(cs, "UDP unconnected: sendto = %s, SO_ERROR %s, sendto again = %s", s1, e1, s2);
            close(u);
            u = nsock(CLI, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
            const char *cr = R(connect(u, &ud.sa, SA4));
            s1 = R(send(u, "x", 1, 0));
            sleep_ms(30);
            const char *p = pollnow(u);
            char x[4];
            const char *rr = R(recv(u, x, 4, 0));
            s2 = R(send(u, "x", 1, 0));
            out(cs, "UDP connected: connect = %s, send = %s, then poll %s, recv = %s, send = %s", cr, s1, p, rr, s2);
            close(u);
            u = nsock(CLI, AF_INET, SOCK_DGRAM, 0); seti(u, IPPROTO_IP, IP_RECVERR, 1);
            s1 = R(sendto(u, "x", 1, 0, &ud.sa, SA4)); sleep_ms(30);
            out(cs, "UDP + IP_RECVERR: sendto = %s, SO_ERROR %s", s1, soerr(u));
            close(u);
            nft_flush();
            int a; setnb(l, 1); while ((a = accept(l, NULL, NULL)) >= 0) close(a); setnb(l, 0);
        }
        /* drop only after the connection is up: what does a sender see? */
        {
            const char *cs = "nft output drop on an ESTABLISHED connection";
            int c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
            connect(c, &lsn.sa, SA4);
            int a = accept(l, NULL, NULL);
            seti(c, IPPROTO_TCP, TCP_USER_TIMEOUT, 3000);
            nft("ip daddr 10.0.0.2 drop");
            kp_mark(cs);
            const char *s1 = R(send(c, "data", 4, 0));
            out(cs, "send = %s", s1);
            double w; int rv = pollwait(c, POLLIN, 10000, &w);
            char x[4];
            const char *rr = R(recv(c, x, 4, MSG_DONTWAIT));
            out(cs, "TCP_USER_TIMEOUT 3000: poll(POLLIN) %s at %.0f ms; recv = %s; state %s", rev(rv), w, rr, tcpstate(c));
            nft_flush();
            close(c); close(a);
        }
    }
    if (want("qdisc")) {
        /* a tbf qdisc on the client veth that drops whatever does not fit (limit = one packet) */
        for (int k = 0; k < 2; k++) {
            int recverr = !k;
            sh("ip netns exec " CLI " tc qdisc replace dev %s root tbf rate 8kbit burst 3000 limit 3000", ifc());
            printf("# tc (client): fresh tbf rate 8kbit burst 3000 limit 3000 on %s\n", ifc());
            char cs[128]; snprintf(cs, sizeof cs, "UDP flood through a full tbf qdisc%s", recverr ? " + IP_RECVERR" : "");
            int u = nsock(CLI, AF_INET, SOCK_DGRAM, 0);
            if (recverr) seti(u, IPPROTO_IP, IP_RECVERR, 1);
            kp_sa ud = sa4("10.0.0.2", 9502);
            int ok = 0, first = -1, nerr[200] = {0}; char buf[1000] = {0};
            for (int i = 0; i < 50; i++) {
                int r = sendto(u, buf, sizeof buf, 0, &ud.sa, SA4);
                if (r >= 0) ok++; else { if (first < 0) first = i; if (errno < 200) nerr[errno]++; }
            }
            char line[256] = "";
            for (int e = 1; e < 200; e++) if (nerr[e]) { char t[64]; snprintf(t, sizeof t, " %s x%d", en(e), nerr[e]); strcat(line, t); }
            out(cs, "50 sendto(1000 bytes) back to back: %d returned 1000, errors:%s (first error at #%d); SO_ERROR %s", ok, line[0] ? line : " none", first + 1, soerr(u));
            close(u);
        }
        {
            const char *cs = "TCP connect through a full tbf qdisc";
            int u = nsock(CLI, AF_INET, SOCK_DGRAM, 0); kp_sa ud = sa4("10.0.0.2", 9502); char buf[1000] = {0};
            sh("ip netns exec " CLI " tc qdisc replace dev %s root tbf rate 8kbit burst 3000 limit 3000", ifc());
            for (int i = 0; i < 10; i++) sendto(u, buf, sizeof buf, 0, &ud.sa, SA4);   /* fill the qdisc */
            int c = nsock(CLI, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            kp_mark(cs);
            const char *r = R(connect(c, &lsn.sa, SA4));
            out(cs, "non-blocking connect while the qdisc is full = %s", r);
            double w; int rv = pollwait(c, POLLOUT, 15000, &w);
            out(cs, "poll %s at %.0f ms, SO_ERROR %s", rev(rv), w, soerr(c));
            close(c); close(u);
        }
        sh("ip netns exec " CLI " tc qdisc del dev %s root", ifc());
    }
    close(l);
    return 0;
}
