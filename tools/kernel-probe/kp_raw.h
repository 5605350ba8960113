/* kp_raw.h - hand-made IPv4 TCP/ICMP segments for the probes that play a fake peer.
 * Send: an IPPROTO_RAW socket (we build the IP header) created in a namespace.
 * Receive: an AF_PACKET socket on the namespace's interface (it sees frames before
 * netfilter, so an nft "input drop" can keep the namespace's own kernel from answering). */
#ifndef KP_RAW_H
#define KP_RAW_H
#include "kp.h"
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip_icmp.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

struct seg {               /* a parsed or to-be-built TCP segment */
    char src[16], dst[16];
    int sport, dport;
    int flags;             /* TH_FIN.. as in netinet/tcp.h */
    uint32_t seq, ack;
    int win, len, ttl;
    unsigned char opt[40]; int optlen;
    unsigned char data[1500];
    double t;              /* receive time, ms since kp_mark() */
};
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
#define F_URG 0x20

static uint16_t csum16(const void *p, int n, uint32_t s) {
    const uint8_t *b = p;
    for (int i = 0; i + 1 < n; i += 2) s += (b[i] << 8) | b[i + 1];
    if (n & 1) s += b[n - 1] << 8;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}
static int raw_tx(const char *ns) {
    int s = nsock(ns, AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (s < 0) { perror("raw socket"); exit(2); }
    return s;
}
static int raw_rx(const char *ns, const char *ifname) {
    int s = nsock(ns, AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
    if (s < 0) { perror("packet socket"); exit(2); }
    ns_enter(ns);
    struct sockaddr_ll ll = {0};
    ll.sll_family = AF_PACKET; ll.sll_protocol = htons(ETH_P_IP); ll.sll_ifindex = if_nametoindex(ifname);
    ns_leave();
    if (bind(s, (struct sockaddr *)&ll, sizeof ll) < 0) { perror("bind packet"); exit(2); }
    return s;
}
/* the option block a Linux SYN carries: mss 1460,sackOK,TS val tsv ecr 0,nop,wscale 7 */
static void opt_linux_syn(struct seg *g, uint32_t tsv) {
    unsigned char o[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7};
    o[8] = tsv >> 24; o[9] = tsv >> 16; o[10] = tsv >> 8; o[11] = tsv;
    memcpy(g->opt, o, 20); g->optlen = 20;
}
static void opt_mss(struct seg *g) { unsigned char o[4] = {2, 4, 0x05, 0xb4}; memcpy(g->opt, o, 4); g->optlen = 4; }
static void opt_ts(struct seg *g, uint32_t val, uint32_t ecr) {
    unsigned char o[12] = {1, 1, 8, 10, val >> 24, val >> 16, val >> 8, val, ecr >> 24, ecr >> 16, ecr >> 8, ecr};
    memcpy(g->opt, o, 12); g->optlen = 12;
}
static void ipsend(int fd, const char *src, const char *dst, int proto, const void *l4, int l4len) {
    unsigned char pkt[2000];
    struct iphdr *ip = (struct iphdr *)pkt;
    memset(ip, 0, 20);
    ip->version = 4; ip->ihl = 5; ip->ttl = 64; ip->protocol = proto;
    ip->tot_len = htons(20 + l4len); ip->id = htons(rand() & 0xffff); ip->frag_off = htons(0x4000);
    inet_pton(AF_INET, src, &ip->saddr); inet_pton(AF_INET, dst, &ip->daddr);
    memcpy(pkt + 20, l4, l4len);
    ip->check = htons(csum16(ip, 20, 0));
    struct sockaddr_in d = {0}; d.sin_family = AF_INET; d.sin_addr.s_addr = ip->daddr;
    if (sendto(fd, pkt, 20 + l4len, 0, (struct sockaddr *)&d, sizeof d) < 0) perror("raw sendto");
}
static int tcp_build(const struct seg *g, unsigned char *t) {
    int hl = 20 + ((g->optlen + 3) & ~3);
    memset(t, 0, hl);
    t[0] = g->sport >> 8; t[1] = g->sport; t[2] = g->dport >> 8; t[3] = g->dport;
    uint32_t v = htonl(g->seq); memcpy(t + 4, &v, 4);
    v = htonl(g->ack); memcpy(t + 8, &v, 4);
    t[12] = (hl / 4) << 4; t[13] = g->flags;
    t[14] = g->win >> 8; t[15] = g->win;
    memcpy(t + 20, g->opt, g->optlen);
    memcpy(t + hl, g->data, g->len);
    uint32_t s = 0; uint32_t a, b;
    inet_pton(AF_INET, g->src, &a); inet_pton(AF_INET, g->dst, &b);
    a = ntohl(a); b = ntohl(b);
    s += (a >> 16) + (a & 0xffff) + (b >> 16) + (b & 0xffff) + IPPROTO_TCP + hl + g->len;
    uint16_t c = csum16(t, hl + g->len, s);
    t[16] = c >> 8; t[17] = c;
    return hl + g->len;
}
static const char *segstr(const struct seg *g);
static void tcp_send(int fd, const struct seg *g) {
    unsigned char t[1600];
    int n = tcp_build(g, t);
    ipsend(fd, g->src, g->dst, IPPROTO_TCP, t, n);
    printf("#   %8.1f ms sent %s\n", ms(), segstr(g));
}
static const char *flagstr(int f) {
    char *b = kp_buf(); int k = 0;
    if (f & F_SYN) b[k++] = 'S';
    if (f & F_FIN) b[k++] = 'F';
    if (f & F_RST) b[k++] = 'R';
    if (f & F_PSH) b[k++] = 'P';
    if (f & F_URG) b[k++] = 'U';
    if (f & F_ACK) b[k++] = '.';
    if (!k) { strcpy(b, "none"); return b; }
    b[k] = 0; return b;
}
static const char *optstr(const unsigned char *o, int n) {
    char *b = kp_buf(); b[0] = 0;
    for (int i = 0; i < n;) {
        char t[64];
        if (o[i] == 0) { strcat(b, b[0] ? ",eol" : "eol"); break; }
        if (o[i] == 1) { strcpy(t, "nop"); i++; }
        else {
            int l = o[i + 1]; if (l < 2) break;
            if (o[i] == 2) snprintf(t, sizeof t, "mss %d", o[i + 2] << 8 | o[i + 3]);
            else if (o[i] == 4) strcpy(t, "sackOK");
            else if (o[i] == 3) snprintf(t, sizeof t, "wscale %d", o[i + 2]);
            else if (o[i] == 8) snprintf(t, sizeof t, "TS val %u ecr %u", (unsigned)o[i+2] << 24 | o[i+3] << 16 | o[i+4] << 8 | o[i+5], (unsigned)o[i+6] << 24 | o[i+7] << 16 | o[i+8] << 8 | o[i+9]);
            else if (o[i] == 5) snprintf(t, sizeof t, "sack %d", (l - 2) / 8);
            else snprintf(t, sizeof t, "opt%d", o[i]);
            i += l;
        }
        if (b[0]) strcat(b, ",");
        strcat(b, t);
    }
    return b;
}
static const char *segstr(const struct seg *g) {
    char *b = kp_buf();
    snprintf(b, 512, "%s.%d > %s.%d: Flags [%s], seq %u, ack %u, win %d%s%s%s, length %d",
        g->src, g->sport, g->dst, g->dport, flagstr(g->flags), g->seq, g->ack, g->win,
        g->optlen ? ", options [" : "", g->optlen ? optstr(g->opt, g->optlen) : "", g->optlen ? "]" : "", g->len);
    return b;
}
/* receive the next TCP segment to dport (0 = any) within tmo ms; returns 1 if got one */
static int tcp_recv(int fd, int dport, int tmo, struct seg *g) {
    double end = ms() + tmo;
    for (;;) {
        int left = (int)(end - ms());
        if (left <= 0) return 0;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, left) <= 0) return 0;
        unsigned char buf[2048];
        struct sockaddr_ll ll; socklen_t ll_len = sizeof ll;
        int n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&ll, &ll_len);
        if (n < 40 || ll.sll_pkttype == PACKET_OUTGOING) continue;
        struct iphdr *ip = (struct iphdr *)buf;
        if (ip->protocol != IPPROTO_TCP) continue;
        unsigned char *t = buf + ip->ihl * 4;
        int dp = t[2] << 8 | t[3];
        if (dport && dp != dport) continue;
        memset(g, 0, sizeof *g);
        inet_ntop(AF_INET, &ip->saddr, g->src, 16); inet_ntop(AF_INET, &ip->daddr, g->dst, 16);
        g->sport = t[0] << 8 | t[1]; g->dport = dp;
        g->seq = (uint32_t)t[4] << 24 | t[5] << 16 | t[6] << 8 | t[7];
        g->ack = (uint32_t)t[8] << 24 | t[9] << 16 | t[10] << 8 | t[11];
        int hl = (t[12] >> 4) * 4;
        g->flags = t[13]; g->win = t[14] << 8 | t[15];
        g->optlen = hl - 20; memcpy(g->opt, t + 20, g->optlen);
        g->len = ntohs(ip->tot_len) - ip->ihl * 4 - hl;
        g->ttl = ip->ttl;
        struct timeval tv;   /* when the frame was received, not when we read it */
        if (ioctl(fd, SIOCGSTAMP, &tv) == 0) g->t = (tv.tv_sec + tv.tv_usec / 1e6 - kp_t0) * 1000.0;
        else g->t = ms();
        return 1;
    }
}
/* print every segment to dport for tmo ms; returns how many */
static int tcp_watch(int fd, int dport, int tmo, const char *cs) {
    struct seg g; int k = 0;
    double end = ms() + tmo;
    while (ms() < end && tcp_recv(fd, dport, (int)(end - ms()), &g)) { out(cs, "%8.1f ms got  %s", g.t, segstr(&g)); k++; }
    if (!k) out(cs, "nothing received in %d ms", tmo);
    return k;
}
/* the TS val in a received segment's options (0 if none) */
static uint32_t ts_val(const struct seg *g) {
    for (int i = 0; i < g->optlen;) {
        if (g->opt[i] == 1) { i++; continue; }
        if (g->opt[i] == 0 || i + 1 >= g->optlen) break;
        if (g->opt[i] == 8) return (uint32_t)g->opt[i+2] << 24 | g->opt[i+3] << 16 | g->opt[i+4] << 8 | g->opt[i+5];
        i += g->opt[i + 1];
    }
    return 0;
}
static struct seg mkseg(const char *src, int sport, const char *dst, int dport, int flags, uint32_t seq, uint32_t ack) {
    struct seg g; memset(&g, 0, sizeof g);
    strcpy(g.src, src); strcpy(g.dst, dst); g.sport = sport; g.dport = dport;
    g.flags = flags; g.seq = seq; g.ack = ack; g.win = 64240;
    return g;
}
#endif
