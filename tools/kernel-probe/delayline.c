/* delayline.c - a userspace "wire" with a fixed one-way delay (this kernel has no sch_netem).
 *
 * usage: delayline NS_A IF_A NS_B IF_B CTLFILE
 * Creates TAP device IF_A in namespace NS_A and IF_B in NS_B and copies every Ethernet frame
 * from one to the other after the delay (ms, one-way, same both ways) read from CTLFILE when
 * the frame arrives (so the delay can be changed while running; missing file = 0 ms).
 * Frames keep their order. The TAP devices disappear when this process exits.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define QMAX 4096
struct frame { double due; int len; unsigned char d[2048]; };
struct queue { struct frame f[QMAX]; int h, t; } q[2];

static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + ts.tv_nsec / 1e9; }
static int mktap(const char *ns, const char *name) {
    char p[128]; snprintf(p, sizeof p, "/run/netns/%s", ns);
    int nfd = open(p, O_RDONLY);
    if (nfd < 0 || setns(nfd, CLONE_NEWNET) < 0) { perror(p); exit(1); }
    int fd = open("/dev/net/tun", O_RDWR);
    struct ifreq ifr; memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("TUNSETIFF"); exit(1); }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    close(nfd);
    return fd;
}
static double delay_s(const char *ctl) {
    FILE *f = fopen(ctl, "r"); double d = 0;
    if (f) { if (fscanf(f, "%lf", &d) != 1) d = 0; fclose(f); }
    return d / 1000.0;
}
int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: %s NS_A IF_A NS_B IF_B CTLFILE\n", argv[0]); return 2; }
    signal(SIGPIPE, SIG_IGN);
    int fd[2] = {mktap(argv[1], argv[2]), mktap(argv[3], argv[4])};
    const char *ctl = argv[5];
    printf("ready\n"); fflush(stdout);
    for (;;) {
        double t = now(), next = 1e18;
        for (int i = 0; i < 2; i++) {
            struct queue *Q = &q[i];
            while (Q->h != Q->t && Q->f[Q->h].due <= t) {       /* deliver what is due */
                if (write(fd[1 - i], Q->f[Q->h].d, Q->f[Q->h].len) < 0) {}
                Q->h = (Q->h + 1) % QMAX;
            }
            if (Q->h != Q->t && Q->f[Q->h].due < next) next = Q->f[Q->h].due;
        }
        struct pollfd p[2] = {{fd[0], POLLIN, 0}, {fd[1], POLLIN, 0}};
        struct timespec ts, *tp = NULL;
        if (next < 1e17) { double w = next - now(); if (w < 0) w = 0; ts.tv_sec = (time_t)w; ts.tv_nsec = (long)((w - ts.tv_sec) * 1e9); tp = &ts; }
        if (ppoll(p, 2, tp, NULL) <= 0) continue;
        for (int i = 0; i < 2; i++) {
            if (!(p[i].revents & POLLIN)) continue;
            for (;;) {
                struct queue *Q = &q[i];
                if ((Q->t + 1) % QMAX == Q->h) { unsigned char junk[2048]; if (read(fd[i], junk, sizeof junk) <= 0) break; continue; }
                struct frame *f = &Q->f[Q->t];
                int n = read(fd[i], f->d, sizeof f->d);
                if (n <= 0) break;
                f->len = n; f->due = now() + delay_s(ctl);
                Q->t = (Q->t + 1) % QMAX;
            }
        }
    }
}
