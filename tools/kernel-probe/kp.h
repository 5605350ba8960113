/* kp.h - tiny helpers shared by the kernel probes (synlab tools/kernel-probe).
 *
 * Every probe runs as root in the host namespace and creates each socket inside
 * the network namespace it needs with setns(): a socket stays in the namespace it
 * was created in, so one single-threaded process can play client and server.
 * Output: one line per observation, "case<TAB>result", plus "# " comments.
 */
#ifndef KP_H
#define KP_H
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>

#define CLI "kp-cli"
#define SRV "kp-srv"

static double kp_t0;
static double kp_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
/* ms since kp_mark() */
static double ms(void) { return (kp_now() - kp_t0) * 1000.0; }
/* start a new time origin; the "# T0" line lets run.sh align tcpdump times */
static void kp_mark(const char *what) {
    kp_t0 = kp_now();
    printf("# T0 %.6f %s\n", kp_t0, what ? what : "");
    fflush(stdout);
}
static void sleep_ms(int m) {
    struct timespec ts = {m / 1000, (long)(m % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

/* ---- namespaces ---- */
static int kp_orig_ns = -1;
static void ns_enter(const char *name) {
    char p[128];
    if (kp_orig_ns < 0) kp_orig_ns = open("/proc/self/ns/net", O_RDONLY);
    snprintf(p, sizeof p, "/run/netns/%s", name);
    int fd = open(p, O_RDONLY);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) { perror(p); exit(2); }
    close(fd);
}
static void ns_leave(void) {
    if (kp_orig_ns >= 0 && setns(kp_orig_ns, CLONE_NEWNET) < 0) { perror("setns back"); exit(2); }
}
static int nsock(const char *ns, int dom, int type, int proto) {
    ns_enter(ns);
    int s = socket(dom, type, proto);
    int e = errno;
    ns_leave();
    errno = e;
    return s;
}
/* write/read a sysctl inside a namespace; path like "net/ipv4/tcp_syn_retries" */
static void sysctl_set(const char *ns, const char *path, const char *val) {
    char p[256];
    ns_enter(ns);
    snprintf(p, sizeof p, "/proc/sys/%s", path);
    FILE *f = fopen(p, "w");
    if (!f || fputs(val, f) < 0 || fclose(f) != 0) { perror(p); exit(2); }
    ns_leave();
    printf("# sysctl %s %s=%s\n", ns, path, val);
}
static const char *sysctl_get(const char *ns, const char *path) {
    static char buf[8][256]; static int k;
    char p[256], *b = buf[k++ & 7];
    ns_enter(ns);
    snprintf(p, sizeof p, "/proc/sys/%s", path);
    FILE *f = fopen(p, "r");
    b[0] = 0;
    if (f) { if (!fgets(b, 256, f)) b[0] = 0; fclose(f); }
    ns_leave();
    b[strcspn(b, "\n")] = 0;
    return b;
}

/* ---- formatting ---- */
static char *kp_buf(void) { static char b[32][512]; static int k; return b[k++ & 31]; }
static const char *en(int e) {
    if (!e) return "0";
    const char *n = strerrorname_np(e);
    if (n) return n;
    char *b = kp_buf(); snprintf(b, 512, "errno%d", e); return b;
}
/* evaluate a syscall, return "rc" or "-1 ENAME" */
#define R(expr) ({ errno = 0; long _r = (long)(expr); int _e = errno; char *_b = kp_buf(); \
    if (_r < 0) snprintf(_b, 512, "%ld %s", _r, en(_e)); else snprintf(_b, 512, "%ld", _r); \
    kp_last_errno = _e; (const char *)_b; })
static int kp_last_errno;

static void out(const char *cs, const char *fmt, ...) {
    va_list ap; va_start(ap, fmt);
    printf("%s\t", cs); vprintf(fmt, ap); printf("\n");
    va_end(ap); fflush(stdout);
}
#define ALLEV (POLLIN | POLLPRI | POLLOUT | POLLRDHUP | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND)
static const char *rev(int r) {
    static const struct { int v; const char *n; } t[] = {
        {POLLIN, "POLLIN"}, {POLLPRI, "POLLPRI"}, {POLLOUT, "POLLOUT"}, {POLLRDHUP, "POLLRDHUP"},
        {POLLERR, "POLLERR"}, {POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"}, {POLLRDNORM, "POLLRDNORM"},
        {POLLRDBAND, "POLLRDBAND"}, {POLLWRNORM, "POLLWRNORM"}, {POLLWRBAND, "POLLWRBAND"}};
    char *b = kp_buf(); b[0] = 0;
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++)
        if (r & t[i].v) { if (b[0]) strcat(b, "|"); strcat(b, t[i].n); }
    if (!b[0]) strcpy(b, "0");
    return b;
}
/* poll(fd, ALLEV|extra) with timeout 0 */
static const char *pollnow(int fd) {
    struct pollfd p = {fd, ALLEV, 0};
    int n = poll(&p, 1, 0);
    if (n < 0) return en(errno);
    return rev(p.revents);
}
/* poll(events) with timeout; returns revents; *when = ms at return */
static int pollwait(int fd, short events, int tmo, double *when) {
    struct pollfd p = {fd, events, 0};
    int n = poll(&p, 1, tmo);
    if (when) *when = ms();
    return n > 0 ? p.revents : 0;
}
static const char *tcpstate(int fd) {
    static const char *n[] = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
        "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"};
    struct tcp_info ti; socklen_t l = sizeof ti;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0) return en(errno);
    return ti.tcpi_state < 13 ? n[ti.tcpi_state] : "?";
}
static int so_error(int fd) {
    int e = -1; socklen_t l = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0) return -errno;
    return e;
}
static const char *soerr(int fd) { int e = so_error(fd); return e < 0 ? "getsockopt failed" : en(e); }

/* ---- addresses ---- */
typedef union { struct sockaddr sa; struct sockaddr_in in; struct sockaddr_in6 in6; struct sockaddr_storage ss; } kp_sa;
static kp_sa sa4(const char *ip, int port) {
    kp_sa a; memset(&a, 0, sizeof a);
    a.in.sin_family = AF_INET; a.in.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.in.sin_addr);
    return a;
}
static kp_sa sa6(const char *ip, int port, int scope) {
    kp_sa a; memset(&a, 0, sizeof a);
    a.in6.sin6_family = AF_INET6; a.in6.sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &a.in6.sin6_addr);
    a.in6.sin6_scope_id = scope;
    return a;
}
#define SA4 sizeof(struct sockaddr_in)
#define SA6 sizeof(struct sockaddr_in6)
static const char *fmt_sa(const kp_sa *a) {
    char *b = kp_buf(), ip[64];
    if (a->sa.sa_family == AF_INET) {
        inet_ntop(AF_INET, &a->in.sin_addr, ip, sizeof ip);
        snprintf(b, 512, "%s:%d", ip, ntohs(a->in.sin_port));
    } else if (a->sa.sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof ip);
        if (a->in6.sin6_scope_id) snprintf(b, 512, "[%s%%%u]:%d", ip, a->in6.sin6_scope_id, ntohs(a->in6.sin6_port));
        else snprintf(b, 512, "[%s]:%d", ip, ntohs(a->in6.sin6_port));
    } else snprintf(b, 512, "family=%d", a->sa.sa_family);
    return b;
}
static const char *sockname(int fd) {
    kp_sa a; socklen_t l = sizeof a; memset(&a, 0, sizeof a);
    if (getsockname(fd, &a.sa, &l) < 0) { char *b = kp_buf(); snprintf(b, 512, "-1 %s", en(errno)); return b; }
    return fmt_sa(&a);
}
static const char *peername(int fd) {
    kp_sa a; socklen_t l = sizeof a; memset(&a, 0, sizeof a);
    if (getpeername(fd, &a.sa, &l) < 0) { char *b = kp_buf(); snprintf(b, 512, "-1 %s", en(errno)); return b; }
    return fmt_sa(&a);
}
static int lport(int fd) {
    kp_sa a; socklen_t l = sizeof a;
    if (getsockname(fd, &a.sa, &l) < 0) return -1;
    return ntohs(a.sa.sa_family == AF_INET ? a.in.sin_port : a.in6.sin6_port);
}
static void setnb(int fd, int on) {
    int f = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, on ? f | O_NONBLOCK : f & ~O_NONBLOCK);
}
static int seti(int fd, int lvl, int opt, int v) { return setsockopt(fd, lvl, opt, &v, sizeof v); }
/* listening socket in ns on ip:port (v4) */
static int listener4(const char *ns, const char *ip, int port, int backlog) {
    int s = nsock(ns, AF_INET, SOCK_STREAM, 0);
    seti(s, SOL_SOCKET, SO_REUSEADDR, 1);
    kp_sa a = sa4(ip, port);
    if (bind(s, &a.sa, SA4) < 0) { perror("listener bind"); exit(2); }
    if (listen(s, backlog) < 0) { perror("listen"); exit(2); }
    return s;
}
/* wait until fd reaches one of the TCP states in mask, up to tmo ms; returns state name */
static const char *wait_state(int fd, const char *want, int tmo) {
    double end = ms() + tmo;
    while (ms() < end) {
        if (!strcmp(tcpstate(fd), want)) return want;
        sleep_ms(1);
    }
    return tcpstate(fd);
}
#endif

/* ---- /proc/net/{snmp,netstat} counters of a namespace: snapshot and print deltas ---- */
#define KP_MAXC 512
typedef struct { int n; char k[KP_MAXC][48]; long long v[KP_MAXC]; } kp_ctr;
static void kp_ctr_file(kp_ctr *c, const char *file) {
    FILE *f = fopen(file, "r");
    char h[8192], d[8192];
    if (!f) return;
    while (fgets(h, sizeof h, f) && fgets(d, sizeof d, f)) {
        char *sh, *sd, *pfx = strtok_r(h, " \n", &sh);
        strtok_r(d, " \n", &sd);
        char *kk, *vv;
        while ((kk = strtok_r(NULL, " \n", &sh)) && (vv = strtok_r(NULL, " \n", &sd)) && c->n < KP_MAXC) {
            snprintf(c->k[c->n], 48, "%.*s%s", (int)strlen(pfx) - 1, pfx, kk);
            c->v[c->n++] = atoll(vv);
        }
    }
    fclose(f);
}
static void ctr_snap(const char *ns, kp_ctr *c) {
    c->n = 0;
    ns_enter(ns);
    kp_ctr_file(c, "/proc/net/snmp");
    kp_ctr_file(c, "/proc/net/netstat");
    ns_leave();
}
/* print counters that changed since *a (skips the noisy In/Out packet counts) */
static void ctr_diff(const char *cs, const char *ns, kp_ctr *a) {
    static kp_ctr b;
    char line[4096] = "";
    ctr_snap(ns, &b);
    for (int i = 0; i < b.n; i++) {
        long long old = 0;
        for (int j = 0; j < a->n; j++) if (!strcmp(a->k[j], b.k[i])) { old = a->v[j]; break; }
        if (b.v[i] != old && !strstr(b.k[i], "InSegs") && !strstr(b.k[i], "OutSegs") &&
            !strstr(b.k[i], "InReceives") && !strstr(b.k[i], "InDelivers") && !strstr(b.k[i], "OutRequests") &&
            !strstr(b.k[i], "OutTransmits") && !strstr(b.k[i], "IpExtIn") && !strstr(b.k[i], "IpExtOut") &&
            !strstr(b.k[i], "CurrEstab") && strncmp(b.k[i], "IcmpMsg", 7)) {
            char t[96]; snprintf(t, sizeof t, "%s%s+%lld", line[0] ? " " : "", b.k[i], b.v[i] - old);
            strncat(line, t, sizeof line - strlen(line) - 1);
        }
    }
    out(cs, "counters %s: %s", ns, line[0] ? line : "(none)");
}

/* run a shell command (used for tc/nft/ss inside the namespaces) */
static int sh(const char *fmt, ...) {
    char cmd[1024]; va_list ap; va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap); va_end(ap);
    fflush(stdout);
    int r = system(cmd);
    fflush(stdout);
    return r;
}
/* one-way delay of the delayline topology (run.sh setup_delay); fails loudly on the veth topology */
static void set_delay(int msec) {
    if (access("/run/kp-delay", F_OK) != 0) { fprintf(stderr, "set_delay: not on the delayline topology\n"); exit(2); }
    FILE *f = fopen("/run/kp-delay", "w");
    fprintf(f, "%d\n", msec); fclose(f);
    printf("# one-way delay now %d ms each direction (delayline)\n", msec);
}
/* interface names of the current topology */
static const char *ifc(void) { const char *e = getenv("IFC"); return e ? e : "veth-c"; }
static const char *ifs(void) { const char *e = getenv("IFS_"); return e ? e : "veth-s"; }

/* section selection: a probe runs the sections named on its command line (all if none) */
static int kp_argc; static char **kp_argv;
static int want(const char *name) {
    if (kp_argc < 2) return 1;
    for (int i = 1; i < kp_argc; i++) if (!strcmp(kp_argv[i], name)) return 1;
    return 0;
}
#define KP_MAIN int main(int argc, char **argv) { kp_argc = argc; kp_argv = argv; setvbuf(stdout, NULL, _IOLBF, 0);

/* select() readable/writable/exceptional bits, timeout 0 */
static const char *selnow(int fd) {
    fd_set r, w, e; FD_ZERO(&r); FD_ZERO(&w); FD_ZERO(&e);
    FD_SET(fd, &r); FD_SET(fd, &w); FD_SET(fd, &e);
    struct timeval tv = {0, 0};
    int n = select(fd + 1, &r, &w, &e, &tv);
    char *b = kp_buf();
    if (n < 0) { snprintf(b, 512, "select %s", en(errno)); return b; }
    snprintf(b, 512, "%s%s%s", FD_ISSET(fd, &r) ? "r" : "-", FD_ISSET(fd, &w) ? "w" : "-", FD_ISSET(fd, &e) ? "e" : "-");
    return b;
}
/* poll with events=0 (only the always-reported POLLERR/POLLHUP/POLLNVAL) */
static const char *poll0(int fd) {
    struct pollfd p = {fd, 0, 0};
    if (poll(&p, 1, 0) < 0) return en(errno);
    return rev(p.revents);
}
/* poll with POLLIN|POLLOUT only (no POLLRDHUP requested) */
static const char *pollio(int fd) {
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    if (poll(&p, 1, 0) < 0) return en(errno);
    return rev(p.revents);
}
