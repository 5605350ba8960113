/* p7_syn.c - topic 7: SYN retransmission schedule to a blackhole with TCP_SYNCNT / TCP_USER_TIMEOUT.
 * Each case is a child process doing a blocking connect from its own local port; the SYN times come
 * from the capture (run.sh prints them per port). */
#include "kp.h"

struct kase { const char *name; int syncnt, uto; };

KP_MAIN
    const char *lin = kp_argc > 1 ? kp_argv[1] : "4";
    sysctl_set(CLI, "net/ipv4/tcp_syn_linear_timeouts", lin);
    struct kase k[] = {
        {"TCP_SYNCNT 1", 1, 0}, {"TCP_SYNCNT 2", 2, 0}, {"TCP_SYNCNT 3", 3, 0},
        {"TCP_USER_TIMEOUT 2500 ms (syn_retries 6)", 0, 2500},
        {"TCP_USER_TIMEOUT 10000 ms (syn_retries 6)", 0, 10000},
        {"TCP_SYNCNT 1 + TCP_USER_TIMEOUT 10000 ms", 1, 10000},
        {"TCP_SYNCNT 3 + TCP_USER_TIMEOUT 2500 ms", 3, 2500},
        {"no option (tcp_syn_retries 6)", 0, 0},
    };
    int n = sizeof k / sizeof k[0];
    if (kp_argc > 2 && !strcmp(kp_argv[2], "short")) n--;   /* skip the 127 s case */
    kp_mark("SYN schedules");
    printf("# tcp_syn_linear_timeouts=%s tcp_syn_retries=%s\n", lin, sysctl_get(CLI, "net/ipv4/tcp_syn_retries"));
    for (int i = 0; i < n; i++) {
        int c = nsock(CLI, AF_INET, SOCK_STREAM, 0);
        kp_sa b = sa4("10.0.0.1", 46000 + i);
        bind(c, &b.sa, SA4);
        if (k[i].syncnt) seti(c, IPPROTO_TCP, TCP_SYNCNT, k[i].syncnt);
        if (k[i].uto) seti(c, IPPROTO_TCP, TCP_USER_TIMEOUT, k[i].uto);
        if (fork() == 0) {
            kp_sa d = sa4("10.0.0.2", 9999);
            const char *r = R(connect(c, &d.sa, SA4));
            out(k[i].name, "linear %s, local port %d: connect = %s at %.0f ms", lin, 46000 + i, r, ms());
            _exit(0);
        }
        close(c);
    }
    while (wait(NULL) > 0) {}
    return 0;
}
