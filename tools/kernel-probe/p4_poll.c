/* p4_poll.c - topic 4: poll()/select() readiness of TCP and UDP sockets in every state */
#include "kp.h"

static int tcp_sock(void) { return nsock(CLI, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0); }
static void show(const char *cs, int fd, int tcp) {
    out(cs, "%s%s | poll(all) %s | poll(IN|OUT) %s | poll(0) %s | select %s",
        tcp ? "state " : "", tcp ? tcpstate(fd) : "", pollnow(fd), pollio(fd), poll0(fd), selnow(fd));
}
/* an established pair: client c (client ns, non-blocking), server side *a */
static int pair(int l, int port, int *a) {
    int c = tcp_sock();
    kp_sa sa = sa4("10.0.0.2", port);
    connect(c, &sa.sa, SA4);
    pollwait(c, POLLOUT, 1000, NULL);
    sleep_ms(20);
    *a = accept(l, NULL, NULL);
    setnb(*a, 1);
    return c;
}

KP_MAIN
    if (want("tcp")) {
        int l = listener4(SRV, "10.0.0.2", 8001, 16);
        int s = tcp_sock();
        show("TCP fresh socket", s, 1);
        kp_sa b = sa4("10.0.0.1", 0);
        bind(s, &b.sa, SA4);
        show("TCP bound socket", s, 1);
        close(s);
        int l2 = nsock(SRV, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        kp_sa lb = sa4("10.0.0.2", 8002); bind(l2, &lb.sa, SA4); listen(l2, 4);
        show("TCP listening, nothing pending", l2, 1);
        int c = tcp_sock(); kp_sa la = sa4("10.0.0.2", 8002);
        connect(c, &la.sa, SA4); sleep_ms(50);
        show("TCP listening, one connection pending", l2, 1);
        close(c); sleep_ms(20);
        show("TCP listening, pending connection whose client closed (FIN)", l2, 1);
        shutdown(l2, SHUT_RD);
        show("TCP listening socket after shutdown(SHUT_RD)", l2, 1);
        close(l2);

        c = tcp_sock(); kp_sa bh = sa4("10.0.0.2", 8999);  /* nft drops it: blackhole */
        connect(c, &bh.sa, SA4);
        show("TCP SYN_SENT (blackhole)", c, 1);
        close(c);

        int a; c = pair(l, 8001, &a);
        show("TCP ESTABLISHED, idle (client side)", c, 1);
        send(a, "hello", 5, 0); sleep_ms(20);
        show("TCP ESTABLISHED, 5 bytes unread", c, 1);
        send(a, "!", 1, MSG_OOB); sleep_ms(20);
        show("TCP ESTABLISHED, urgent byte (MSG_OOB) received", c, 1);
        { char x[64]; recv(c, x, sizeof x, 0); }
        show("TCP ESTABLISHED, after reading the normal data (urgent byte pending)", c, 1);
        shutdown(a, SHUT_WR); sleep_ms(20);
        show("TCP CLOSE_WAIT (peer FIN received, urgent byte still pending)", c, 1);
        { char x[4]; recv(c, x, 1, MSG_OOB); }
        show("TCP CLOSE_WAIT, after recv(MSG_OOB)", c, 1);
        shutdown(c, SHUT_WR); sleep_ms(20);
        show("TCP after peer FIN + own shutdown(SHUT_WR) (LAST_ACK->CLOSE)", c, 1);
        close(c); close(a);

        c = pair(l, 8001, &a);
        send(a, "data", 4, 0); shutdown(a, SHUT_WR); sleep_ms(20);
        show("TCP CLOSE_WAIT with 4 bytes unread", c, 1);
        close(c); close(a);

        c = pair(l, 8001, &a);
        shutdown(c, SHUT_WR); sleep_ms(20);
        show("TCP after own shutdown(SHUT_WR) (FIN_WAIT2)", c, 1);
        send(a, "x", 1, 0); sleep_ms(20);
        show("TCP FIN_WAIT2 with 1 byte unread", c, 1);
        close(a); sleep_ms(20);
        show("TCP after own SHUT_WR and the peer's FIN (TIME_WAIT -> socket CLOSE)", c, 1);
        close(c);

        c = pair(l, 8001, &a);
        shutdown(c, SHUT_RD); sleep_ms(20);
        show("TCP ESTABLISHED after own shutdown(SHUT_RD)", c, 1);
        send(a, "x", 1, 0); sleep_ms(20);
        show("TCP after own SHUT_RD, then peer sends 1 byte", c, 1);
        close(c); close(a);

        c = pair(l, 8001, &a);
        shutdown(c, SHUT_RDWR); sleep_ms(20);
        show("TCP after own shutdown(SHUT_RDWR) (FIN_WAIT2)", c, 1);
        close(c); close(a);

        c = pair(l, 8001, &a);
        struct linger lg = {1, 0};
        setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(a); sleep_ms(20);
        show("TCP after receiving RST", c, 1);
        out("TCP after receiving RST", "SO_ERROR %s (read and cleared)", soerr(c));
        show("TCP after receiving RST, SO_ERROR read", c, 1);
        close(c);

        c = pair(l, 8001, &a);
        send(a, "data", 4, 0); sleep_ms(10);
        setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(a); sleep_ms(20);
        show("TCP after receiving 4 bytes then RST", c, 1);
        close(c);

        c = tcp_sock(); kp_sa cl = sa4("10.0.0.2", 8998);   /* closed port */
        connect(c, &cl.sa, SA4); sleep_ms(20);
        show("TCP refused connect (non-blocking, RST received)", c, 1);
        out("TCP refused connect (non-blocking, RST received)", "SO_ERROR %s", soerr(c));
        show("TCP refused connect, after reading SO_ERROR", c, 1);
        close(c);

        c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
        out("TCP refused connect (blocking)", "connect = %s", R(connect(c, &cl.sa, SA4)));
        show("TCP refused connect (blocking), after connect returned", c, 1);
        close(c);

        /* send buffer full: a listener with a tiny receive buffer, the client fills its send buffer */
        {
            int ls = nsock(SRV, AF_INET, SOCK_STREAM, 0);
            seti(ls, SOL_SOCKET, SO_RCVBUF, 2048);
            kp_sa sb = sa4("10.0.0.2", 8003); bind(ls, &sb.sa, SA4); listen(ls, 4);
            c = tcp_sock();
            seti(c, SOL_SOCKET, SO_SNDBUF, 8192);
            c = (close(c), tcp_sock());
            seti(c, SOL_SOCKET, SO_SNDBUF, 8192);
            kp_sa la3 = sa4("10.0.0.2", 8003);
            connect(c, &la3.sa, SA4); pollwait(c, POLLOUT, 1000, NULL);
            a = accept(ls, NULL, NULL);
            char big[4096]; memset(big, 'x', sizeof big); long tot = 0; int n;
            while ((n = send(c, big, sizeof big, 0)) > 0) tot += n;
            out("TCP send buffer full", "sent %ld bytes, then send = -1 %s (SO_SNDBUF 8192 -> %d)", tot, en(errno), (int)({int v; socklen_t l = 4; getsockopt(c, SOL_SOCKET, SO_SNDBUF, &v, &l); v;}));
            show("TCP ESTABLISHED, send buffer full (peer not reading), at once", c, 1);
            sleep_ms(300);
            show("TCP ESTABLISHED, send buffer full, 300 ms later", c, 1);
            char sink[65536]; while (recv(a, sink, sizeof sink, MSG_DONTWAIT) > 0) {}
            sleep_ms(50);
            show("TCP ESTABLISHED, after the peer read everything", c, 1);
            close(c); close(a); close(ls);
        }
        c = tcp_sock();
        seti(c, IPPROTO_TCP, TCP_SYNCNT, 1);
        kp_mark("TCP ETIMEDOUT (TCP_SYNCNT=1, blackhole)");
        connect(c, &bh.sa, SA4);
        double w; int r = pollwait(c, POLLOUT | POLLIN | POLLRDHUP, 10000, &w);
        out("TCP ETIMEDOUT (TCP_SYNCNT=1, blackhole)", "poll woke at %.0f ms with %s", w, rev(r));
        show("TCP ETIMEDOUT", c, 1);
        out("TCP ETIMEDOUT", "SO_ERROR %s", soerr(c));
        show("TCP ETIMEDOUT, after reading SO_ERROR", c, 1);
        close(c);
        close(l);
    }
    if (want("udp")) {
        int u = nsock(CLI, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        show("UDP fresh socket", u, 0);
        kp_sa b = sa4("10.0.0.1", 0); bind(u, &b.sa, SA4);
        show("UDP bound socket", u, 0);
        int srv = nsock(SRV, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        kp_sa sb = sa4("10.0.0.2", 8101); bind(srv, &sb.sa, SA4);
        connect(u, &sb.sa, SA4);
        show("UDP connected socket", u, 0);
        kp_sa ua; socklen_t ul = sizeof ua; getsockname(u, &ua.sa, &ul);
        sendto(srv, "x", 1, 0, &ua.sa, ul); sleep_ms(20);
        show("UDP connected, 1 datagram queued", u, 0);
        out("UDP shutdown", "shutdown(SHUT_RD) on connected UDP = %s", R(shutdown(u, SHUT_RD)));
        show("UDP connected, after shutdown(SHUT_RD) (datagram still queued)", u, 0);
        out("UDP shutdown", "shutdown(SHUT_WR) on connected UDP = %s", R(shutdown(u, SHUT_WR)));
        show("UDP connected, after shutdown(SHUT_WR) too", u, 0);
        { char x[8]; out("UDP shutdown", "recv after SHUT_RD = %s, send after SHUT_WR = %s", R(recv(u, x, 8, 0)), R(send(u, "y", 1, MSG_NOSIGNAL))); }
        close(u);
        u = nsock(CLI, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        out("UDP shutdown", "shutdown(SHUT_RD) on unconnected UDP = %s", R(shutdown(u, SHUT_RD)));
        close(u);

        u = nsock(CLI, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        kp_sa cp = sa4("10.0.0.2", 8199);   /* closed UDP port -> ICMP port unreachable */
        connect(u, &cp.sa, SA4);
        const char *r = R(send(u, "x", 1, 0)); sleep_ms(50);
        out("UDP connected to a closed port", "send = %s", r);
        show("UDP connected, after ICMP port unreachable", u, 0);
        char x[8];
        r = R(recv(u, x, 8, 0));
        out("UDP connected, after ICMP port unreachable", "recv = %s", r);
        show("UDP connected, after the error was reported by recv", u, 0);
        send(u, "x", 1, 0); sleep_ms(50);
        out("UDP connected, second ICMP", "SO_ERROR %s", soerr(u));
        show("UDP connected, after the 2nd ICMP and reading SO_ERROR", u, 0);
        send(u, "x", 1, 0); sleep_ms(50);
        r = R(send(u, "x", 1, 0));
        out("UDP connected, third ICMP", "the next send() = %s", r);
        close(u);

        u = nsock(CLI, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        r = R(sendto(u, "x", 1, 0, &cp.sa, SA4)); sleep_ms(50);
        out("UDP unconnected, sendto a closed port", "sendto = %s", r);
        show("UDP unconnected, after ICMP port unreachable", u, 0);
        out("UDP unconnected, after ICMP port unreachable", "SO_ERROR %s, recv %s", soerr(u), R(recv(u, x, 8, 0)));
        close(u);
        u = nsock(CLI, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        seti(u, IPPROTO_IP, IP_RECVERR, 1);
        r = R(sendto(u, "x", 1, 0, &cp.sa, SA4)); sleep_ms(50);
        out("UDP unconnected + IP_RECVERR, sendto a closed port", "sendto = %s", r);
        show("UDP unconnected + IP_RECVERR, after ICMP port unreachable", u, 0);
        r = R(recv(u, x, 8, 0));
        out("UDP unconnected + IP_RECVERR", "recv = %s", r);
        show("UDP unconnected + IP_RECVERR, after recv", u, 0);
        r = R(recv(u, x, 8, MSG_ERRQUEUE));
        out("UDP unconnected + IP_RECVERR", "recv(MSG_ERRQUEUE) = %s", r);
        show("UDP unconnected + IP_RECVERR, after draining the error queue", u, 0);
        close(u);
        close(srv);
    }
    return 0;
}
