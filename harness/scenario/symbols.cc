#include "harness/scenario/symbols.h"

#include <array>
#include <cstdio>

#include "stack/host.h"
#include "stack/socket/constants.h"
#include "stack/socket/errno.h"
#include "stack/socket/sock.h"
#include "stack/socket/sockaddr.h"

namespace synlab::harness {
namespace {

namespace st = synlab::stack;
using K = SymbolKind;

// Values the stack defines are taken from it; the others cite the Linux UAPI header.
constexpr Symbol kSymbols[] = {
    // include/linux/socket.h
    {"AF_UNSPEC", st::kAfUnspec, K::kAddressFamily},
    {"AF_UNIX", 1, K::kAddressFamily},
    {"AF_LOCAL", 1, K::kAddressFamily},
    {"AF_INET", st::kAfInet, K::kAddressFamily},
    {"AF_INET6", st::kAfInet6, K::kAddressFamily},
    {"AF_NETLINK", 16, K::kAddressFamily},
    {"AF_PACKET", 17, K::kAddressFamily},
    {"PF_UNSPEC", st::kAfUnspec, K::kAddressFamily},
    {"PF_INET", st::kAfInet, K::kAddressFamily},
    {"PF_INET6", st::kAfInet6, K::kAddressFamily},

    // include/linux/net.h, asm-generic/fcntl.h (SOCK_NONBLOCK == O_NONBLOCK)
    {"SOCK_STREAM", st::kSockStream, K::kSocketType},
    {"SOCK_DGRAM", st::kSockDgram, K::kSocketType},
    {"SOCK_RAW", 3, K::kSocketType},
    {"SOCK_RDM", 4, K::kSocketType},
    {"SOCK_SEQPACKET", 5, K::kSocketType},
    {"SOCK_NONBLOCK", st::kSockNonblock, K::kSocketFlag},
    {"SOCK_CLOEXEC", st::kSockCloexec, K::kSocketFlag},

    // include/uapi/linux/in.h, in6.h
    {"IPPROTO_IP", 0, K::kProtocol},
    {"IPPROTO_ICMP", 1, K::kProtocol},
    {"IPPROTO_TCP", st::kIpprotoTcp, K::kProtocol},
    {"IPPROTO_UDP", st::kIpprotoUdp, K::kProtocol},
    {"IPPROTO_IPV6", 41, K::kProtocol},
    {"IPPROTO_ICMPV6", 58, K::kProtocol},
    {"IPPROTO_SCTP", 132, K::kProtocol},
    {"IPPROTO_UDPLITE", 136, K::kProtocol},
    {"IPPROTO_RAW", 255, K::kProtocol},

    // include/linux/socket.h
    {"SOL_SOCKET", st::kSolSocket, K::kLevel},
    {"SOL_IP", st::kSolIp, K::kLevel},
    {"SOL_TCP", st::kSolTcp, K::kLevel},
    {"SOL_UDP", 17, K::kLevel},
    {"SOL_IPV6", st::kSolIpv6, K::kLevel},

    // include/uapi/asm-generic/socket.h
    {"SO_DEBUG", 1, K::kSocketOption},
    {"SO_REUSEADDR", st::kSoReuseaddr, K::kSocketOption},
    {"SO_TYPE", st::kSoType, K::kSocketOption},
    {"SO_ERROR", st::kSoError, K::kSocketOption},
    {"SO_DONTROUTE", 5, K::kSocketOption},
    {"SO_BROADCAST", st::kSoBroadcast, K::kSocketOption},
    {"SO_SNDBUF", st::kSoSndbuf, K::kSocketOption},
    {"SO_RCVBUF", st::kSoRcvbuf, K::kSocketOption},
    {"SO_KEEPALIVE", st::kSoKeepalive, K::kSocketOption},
    {"SO_OOBINLINE", 10, K::kSocketOption},
    {"SO_NO_CHECK", 11, K::kSocketOption},
    {"SO_PRIORITY", 12, K::kSocketOption},
    {"SO_LINGER", st::kSoLinger, K::kSocketOption},
    {"SO_BSDCOMPAT", 14, K::kSocketOption},
    {"SO_REUSEPORT", st::kSoReuseport, K::kSocketOption},
    {"SO_PASSCRED", 16, K::kSocketOption},
    {"SO_PEERCRED", 17, K::kSocketOption},
    {"SO_RCVLOWAT", st::kSoRcvlowat, K::kSocketOption},
    {"SO_SNDLOWAT", 19, K::kSocketOption},
    {"SO_RCVTIMEO", st::kSoRcvtimeo, K::kSocketOption},
    {"SO_SNDTIMEO", st::kSoSndtimeo, K::kSocketOption},
    {"SO_BINDTODEVICE", st::kSoBindtodevice, K::kSocketOption},
    {"SO_TIMESTAMP", 29, K::kSocketOption},
    {"SO_ACCEPTCONN", st::kSoAcceptconn, K::kSocketOption},
    {"SO_SNDBUFFORCE", 32, K::kSocketOption},
    {"SO_RCVBUFFORCE", 33, K::kSocketOption},
    {"SO_MARK", 36, K::kSocketOption},
    {"SO_PROTOCOL", st::kSoProtocol, K::kSocketOption},
    {"SO_DOMAIN", st::kSoDomain, K::kSocketOption},
    {"SO_BUSY_POLL", 46, K::kSocketOption},
    {"SO_MAX_PACING_RATE", 47, K::kSocketOption},
    {"SO_INCOMING_CPU", 49, K::kSocketOption},
    {"SO_ZEROCOPY", 60, K::kSocketOption},

    // include/uapi/linux/tcp.h
    {"TCP_NODELAY", st::kTcpNodelay, K::kTcpOption},
    {"TCP_MAXSEG", st::kTcpMaxseg, K::kTcpOption},
    {"TCP_CORK", st::kTcpCork, K::kTcpOption},
    {"TCP_KEEPIDLE", st::kTcpKeepidle, K::kTcpOption},
    {"TCP_KEEPINTVL", st::kTcpKeepintvl, K::kTcpOption},
    {"TCP_KEEPCNT", st::kTcpKeepcnt, K::kTcpOption},
    {"TCP_SYNCNT", st::kTcpSyncnt, K::kTcpOption},
    {"TCP_LINGER2", st::kTcpLinger2, K::kTcpOption},
    {"TCP_DEFER_ACCEPT", st::kTcpDeferAccept, K::kTcpOption},
    {"TCP_WINDOW_CLAMP", st::kTcpWindowClamp, K::kTcpOption},
    {"TCP_INFO", st::kTcpInfo, K::kTcpOption},
    {"TCP_QUICKACK", st::kTcpQuickack, K::kTcpOption},
    {"TCP_CONGESTION", st::kTcpCongestion, K::kTcpOption},
    {"TCP_MD5SIG", 14, K::kTcpOption},
    {"TCP_THIN_LINEAR_TIMEOUTS", 16, K::kTcpOption},
    {"TCP_THIN_DUPACK", 17, K::kTcpOption},
    {"TCP_USER_TIMEOUT", st::kTcpUserTimeout, K::kTcpOption},
    {"TCP_REPAIR", 19, K::kTcpOption},
    {"TCP_REPAIR_QUEUE", 20, K::kTcpOption},
    {"TCP_QUEUE_SEQ", 21, K::kTcpOption},
    {"TCP_REPAIR_OPTIONS", 22, K::kTcpOption},
    {"TCP_FASTOPEN", st::kTcpFastopen, K::kTcpOption},
    {"TCP_TIMESTAMP", 24, K::kTcpOption},
    {"TCP_NOTSENT_LOWAT", 25, K::kTcpOption},
    {"TCP_CC_INFO", 26, K::kTcpOption},
    {"TCP_SAVE_SYN", 27, K::kTcpOption},
    {"TCP_SAVED_SYN", 28, K::kTcpOption},
    {"TCP_REPAIR_WINDOW", 29, K::kTcpOption},
    {"TCP_FASTOPEN_CONNECT", st::kTcpFastopenConnect, K::kTcpOption},
    {"TCP_ULP", 31, K::kTcpOption},
    {"TCP_MD5SIG_EXT", 32, K::kTcpOption},
    {"TCP_FASTOPEN_KEY", 33, K::kTcpOption},
    {"TCP_FASTOPEN_NO_COOKIE", 34, K::kTcpOption},
    {"TCP_ZEROCOPY_RECEIVE", 35, K::kTcpOption},
    {"TCP_INQ", 36, K::kTcpOption},
    {"TCP_TX_DELAY", 37, K::kTcpOption},

    // include/net/tcp_states.h (tcp_info's tcpi_state)
    {"TCP_ESTABLISHED", 1, K::kTcpState},
    {"TCP_SYN_SENT", 2, K::kTcpState},
    {"TCP_SYN_RECV", 3, K::kTcpState},
    {"TCP_FIN_WAIT1", 4, K::kTcpState},
    {"TCP_FIN_WAIT2", 5, K::kTcpState},
    {"TCP_TIME_WAIT", 6, K::kTcpState},
    {"TCP_CLOSE", 7, K::kTcpState},
    {"TCP_CLOSE_WAIT", 8, K::kTcpState},
    {"TCP_LAST_ACK", 9, K::kTcpState},
    {"TCP_LISTEN", 10, K::kTcpState},
    {"TCP_CLOSING", 11, K::kTcpState},
    {"TCP_NEW_SYN_RECV", 12, K::kTcpState},

    // include/uapi/linux/in.h
    {"IP_TOS", st::kIpTos, K::kIpOption},
    {"IP_TTL", st::kIpTtl, K::kIpOption},
    {"IP_HDRINCL", 3, K::kIpOption},
    {"IP_OPTIONS", 4, K::kIpOption},
    {"IP_PKTINFO", 8, K::kIpOption},
    {"IP_MTU_DISCOVER", 10, K::kIpOption},
    {"IP_RECVERR", st::kIpRecverr, K::kIpOption},
    {"IP_RECVTTL", 12, K::kIpOption},
    {"IP_RECVTOS", 13, K::kIpOption},
    {"IP_MTU", 14, K::kIpOption},
    {"IP_FREEBIND", st::kIpFreebind, K::kIpOption},
    {"IP_TRANSPARENT", 19, K::kIpOption},
    {"IP_BIND_ADDRESS_NO_PORT", st::kIpBindAddressNoPort, K::kIpOption},
    {"IP_MULTICAST_TTL", 33, K::kIpOption},
    {"IP_MULTICAST_LOOP", 34, K::kIpOption},
    {"IP_ADD_MEMBERSHIP", 35, K::kIpOption},
    {"IP_DROP_MEMBERSHIP", 36, K::kIpOption},
    {"IP_LOCAL_PORT_RANGE", st::kIpLocalPortRange, K::kIpOption},
    {"IP_PMTUDISC_DONT", 0, K::kIpOption},
    {"IP_PMTUDISC_WANT", 1, K::kIpOption},
    {"IP_PMTUDISC_DO", 2, K::kIpOption},
    {"IP_PMTUDISC_PROBE", 3, K::kIpOption},

    // include/uapi/linux/in6.h
    {"IPV6_FLOWINFO", 11, K::kIpv6Option},
    {"IPV6_UNICAST_HOPS", st::kIpv6UnicastHops, K::kIpv6Option},
    {"IPV6_MULTICAST_HOPS", 18, K::kIpv6Option},
    {"IPV6_MTU_DISCOVER", 23, K::kIpv6Option},
    {"IPV6_MTU", 24, K::kIpv6Option},
    {"IPV6_RECVERR", st::kIpv6Recverr, K::kIpv6Option},
    {"IPV6_V6ONLY", st::kIpv6V6only, K::kIpv6Option},
    {"IPV6_RECVPKTINFO", 49, K::kIpv6Option},
    {"IPV6_DONTFRAG", 62, K::kIpv6Option},
    {"IPV6_TCLASS", 67, K::kIpv6Option},
    {"IPV6_AUTOFLOWLABEL", 70, K::kIpv6Option},

    // include/uapi/asm-generic/fcntl.h
    {"O_RDONLY", 0, K::kOpenFlag},
    {"O_WRONLY", 1, K::kOpenFlag},
    {"O_RDWR", st::kORdwr, K::kOpenFlag},
    {"O_CREAT", 0100, K::kOpenFlag},
    {"O_EXCL", 0200, K::kOpenFlag},
    {"O_NOCTTY", 0400, K::kOpenFlag},
    {"O_TRUNC", 01000, K::kOpenFlag},
    {"O_APPEND", 02000, K::kOpenFlag},
    {"O_NONBLOCK", st::kONonblock, K::kOpenFlag},
    {"O_NDELAY", st::kONonblock, K::kOpenFlag},
    {"O_ASYNC", 020000, K::kOpenFlag},
    {"O_CLOEXEC", 02000000, K::kOpenFlag},
    {"F_DUPFD", 0, K::kFcntlCommand},
    {"F_GETFD", st::kFGetfd, K::kFcntlCommand},
    {"F_SETFD", st::kFSetfd, K::kFcntlCommand},
    {"F_GETFL", st::kFGetfl, K::kFcntlCommand},
    {"F_SETFL", st::kFSetfl, K::kFcntlCommand},
    {"F_GETLK", 5, K::kFcntlCommand},
    {"F_SETLK", 6, K::kFcntlCommand},
    {"F_SETLKW", 7, K::kFcntlCommand},
    {"F_SETOWN", 8, K::kFcntlCommand},
    {"F_GETOWN", 9, K::kFcntlCommand},
    {"F_DUPFD_CLOEXEC", 1030, K::kFcntlCommand},
    {"FD_CLOEXEC", 1, K::kFdFlag},

    // include/linux/socket.h
    {"MSG_OOB", 0x1, K::kMsgFlag},
    {"MSG_PEEK", st::kMsgPeek, K::kMsgFlag},
    {"MSG_DONTROUTE", 0x4, K::kMsgFlag},
    {"MSG_CTRUNC", 0x8, K::kMsgFlag},
    {"MSG_TRUNC", 0x20, K::kMsgFlag},
    {"MSG_DONTWAIT", st::kMsgDontwait, K::kMsgFlag},
    {"MSG_EOR", 0x80, K::kMsgFlag},
    {"MSG_WAITALL", st::kMsgWaitall, K::kMsgFlag},
    {"MSG_ERRQUEUE", 0x2000, K::kMsgFlag},
    {"MSG_NOSIGNAL", st::kMsgNosignal, K::kMsgFlag},
    {"MSG_MORE", 0x8000, K::kMsgFlag},
    {"MSG_ZEROCOPY", 0x4000000, K::kMsgFlag},
    {"MSG_FASTOPEN", st::kMsgFastopen, K::kMsgFlag},
    {"MSG_CMSG_CLOEXEC", 0x40000000, K::kMsgFlag},

    // include/linux/net.h
    {"SHUT_RD", st::kShutRd, K::kShutdown},
    {"SHUT_WR", st::kShutWr, K::kShutdown},
    {"SHUT_RDWR", st::kShutRdwr, K::kShutdown},

    // include/uapi/asm-generic/poll.h
    {"POLLIN", st::kPollIn, K::kPoll},
    {"POLLPRI", st::kPollPri, K::kPoll},
    {"POLLOUT", st::kPollOut, K::kPoll},
    {"POLLERR", st::kPollErr, K::kPoll},
    {"POLLHUP", st::kPollHup, K::kPoll},
    {"POLLNVAL", st::kPollNval, K::kPoll},
    {"POLLRDNORM", st::kPollRdNorm, K::kPoll},
    {"POLLRDBAND", st::kPollRdBand, K::kPoll},
    {"POLLWRNORM", st::kPollWrNorm, K::kPoll},
    {"POLLWRBAND", st::kPollWrBand, K::kPoll},
    {"POLLMSG", 0x400, K::kPoll},
    {"POLLRDHUP", st::kPollRdHup, K::kPoll},

    // arch/x86/include/uapi/asm/signal.h
    {"SIGHUP", 1, K::kSignal},
    {"SIGINT", st::kSigInt, K::kSignal},
    {"SIGQUIT", 3, K::kSignal},
    {"SIGILL", 4, K::kSignal},
    {"SIGTRAP", 5, K::kSignal},
    {"SIGABRT", 6, K::kSignal},
    {"SIGBUS", 7, K::kSignal},
    {"SIGFPE", 8, K::kSignal},
    {"SIGKILL", 9, K::kSignal},
    {"SIGUSR1", st::kSigUsr1, K::kSignal},
    {"SIGSEGV", 11, K::kSignal},
    {"SIGUSR2", 12, K::kSignal},
    {"SIGPIPE", st::kSigPipe, K::kSignal},
    {"SIGALRM", st::kSigAlrm, K::kSignal},
    {"SIGTERM", st::kSigTerm, K::kSignal},
    {"SIGSTKFLT", 16, K::kSignal},
    {"SIGCHLD", 17, K::kSignal},
    {"SIGCONT", 18, K::kSignal},
    {"SIGSTOP", 19, K::kSignal},
    {"SIGTSTP", 20, K::kSignal},
    {"SIGTTIN", 21, K::kSignal},
    {"SIGTTOU", 22, K::kSignal},
    {"SIGURG", 23, K::kSignal},
    {"SIGXCPU", 24, K::kSignal},
    {"SIGXFSZ", 25, K::kSignal},
    {"SIGVTALRM", 26, K::kSignal},
    {"SIGPROF", 27, K::kSignal},
    {"SIGWINCH", 28, K::kSignal},
    {"SIGIO", 29, K::kSignal},
    {"SIGPOLL", 29, K::kSignal},
    {"SIGPWR", 30, K::kSignal},
    {"SIGSYS", 31, K::kSignal},
};

// Every Errno value except kOk and the internal kERESTARTSYS.
std::vector<st::Errno> all_errnos() {
  std::vector<st::Errno> v;
  for (int i = static_cast<int>(st::Errno::kOk) + 1; i < static_cast<int>(st::Errno::kERESTARTSYS);
       ++i) {
    v.push_back(static_cast<st::Errno>(i));
  }
  return v;
}

}  // namespace

std::optional<Symbol> find_symbol(std::string_view name) {
  for (const Symbol& s : kSymbols) {
    if (s.name == name) return s;
  }
  if (name.size() > 1 && name[0] == 'E') {
    if (auto e = st::errno_from_name(name);
        e && *e != st::Errno::kOk && *e != st::Errno::kERESTARTSYS) {
      // Aliases keep their own spelling (a static string: Symbol holds a string_view).
      if (name == "EWOULDBLOCK") return Symbol{"EWOULDBLOCK", st::linux_number(*e), K::kErrno};
      if (name == "ENOTSUP") return Symbol{"ENOTSUP", st::linux_number(*e), K::kErrno};
      return Symbol{st::name(*e), st::linux_number(*e), K::kErrno};
    }
  }
  return std::nullopt;
}

std::span<const Symbol> symbol_table() {
  return kSymbols;
}

std::vector<std::string_view> symbol_names() {
  std::vector<std::string_view> v;
  for (const Symbol& s : kSymbols) v.push_back(s.name);
  for (st::Errno e : all_errnos()) v.push_back(st::name(e));
  v.push_back("EWOULDBLOCK");
  v.push_back("ENOTSUP");
  return v;
}

std::optional<std::string_view> symbol_name(SymbolKind kind, std::int64_t value) {
  if (kind == K::kErrno) {
    if (auto e = st::errno_from_linux_number(static_cast<int>(value));
        e && value == static_cast<int>(value)) {
      return st::name(*e);
    }
    return std::nullopt;
  }
  for (const Symbol& s : kSymbols) {
    if (s.kind == kind && s.value == value) return s.name;
  }
  return std::nullopt;
}

std::string format_flags(SymbolKind kind, std::int64_t value) {
  std::string out;
  auto add = [&out](std::string_view s) {
    if (!out.empty()) out += '|';
    out += s;
  };
  std::uint64_t rest = static_cast<std::uint64_t>(value);
  if (kind == K::kSocketType) {
    // The type lives in the low 4 bits (SOCK_TYPE_MASK); the flags above.
    const std::int64_t type = value & 0xf;
    if (auto n = symbol_name(K::kSocketType, type)) {
      add(*n);
      rest &= ~std::uint64_t{0xf};
    }
    kind = K::kSocketFlag;
  }
  for (const Symbol& s : kSymbols) {
    if (s.kind != kind || s.value == 0) continue;
    const auto bits = static_cast<std::uint64_t>(s.value);
    if ((rest & bits) == bits) {
      add(s.name);
      rest &= ~bits;
    }
  }
  if (rest != 0) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(rest));
    add(buf);
  }
  if (out.empty()) return std::string(1, '0');
  return out;
}

}  // namespace synlab::harness
