#include "harness/scenario/calls.h"

namespace synlab::harness {
namespace {

// Short form first, then packetdrill's where it differs. DATA is a byte count or a string;
// BUF is packetdrill's `...` (zero-filled) or a string.
constexpr CallInfo kCalls[] = {
    // BSD sockets
    {"socket", 3, 3, "socket(DOMAIN, TYPE, PROTO)"},
    {"bind", 2, 3, "bind(FD, ADDR[, LEN])"},
    {"listen", 2, 2, "listen(FD, BACKLOG)"},
    {"accept", 1, 3, "accept(FD[, PEER[, LEN]])"},
    {"accept4", 3, 4, "accept4(FD, PEER, FLAGS) | accept4(FD, PEER, LEN, FLAGS)"},
    {"connect", 2, 3, "connect(FD, ADDR[, LEN])"},
    {"close", 1, 1, "close(FD)"},
    {"shutdown", 2, 2, "shutdown(FD, HOW)"},
    {"write", 2, 3, "write(FD, DATA) | write(FD, BUF, N)"},
    {"send", 3, 4, "send(FD, DATA, FLAGS) | send(FD, BUF, N, FLAGS)"},
    {"sendto", 4, 6, "sendto(FD, DATA, FLAGS, ADDR) | sendto(FD, BUF, N, FLAGS, ADDR[, LEN])"},
    {"read", 2, 3, "read(FD, N) | read(FD, BUF, N)"},
    {"recv", 3, 4, "recv(FD, N, FLAGS) | recv(FD, BUF, N, FLAGS)"},
    {"recvfrom", 3, 6, "recvfrom(FD, N, FLAGS[, FROM]) | recvfrom(FD, BUF, N, FLAGS, FROM[, LEN])"},
    {"getsockopt", 3, 5, "getsockopt(FD, LEVEL, NAME[, VALUE[, LEN]])"},
    {"setsockopt", 4, 5, "setsockopt(FD, LEVEL, NAME, VALUE[, LEN])"},
    {"getsockname", 1, 3, "getsockname(FD[, ADDR[, LEN]])"},
    {"getpeername", 1, 3, "getpeername(FD[, ADDR[, LEN]])"},
    {"fcntl", 2, 3, "fcntl(FD, CMD[, ARG])"},
    {"poll", 3, 3, "poll([{fd=N, events=E, revents=R}, ...], NFDS, TIMEOUT_MS)"},
    {"dup", 1, 1, "dup(FD)"},
    {"open", 0, 0, "open()"},
    {"pipe", 0, 0, "pipe()"},

    // libowfat (socket/*.c): results and errno as the library documents them.
    {"socket_tcp4", 0, 0, "socket_tcp4()"},
    {"socket_tcp4b", 0, 0, "socket_tcp4b()"},
    {"socket_tcp6", 0, 0, "socket_tcp6()"},
    {"socket_tcp6b", 0, 0, "socket_tcp6b()"},
    {"socket_udp4", 0, 0, "socket_udp4()"},
    {"socket_udp6", 0, 0, "socket_udp6()"},
    {"socket_connect4", 3, 3, "socket_connect4(FD, IP, PORT)"},
    {"socket_connect6", 4, 4, "socket_connect6(FD, IP, PORT, SCOPE_ID)"},
    {"socket_connected", 1, 1, "socket_connected(FD)"},
    {"socket_bind4", 3, 3, "socket_bind4(FD, IP, PORT)"},
    {"socket_bind4_reuse", 3, 3, "socket_bind4_reuse(FD, IP, PORT)"},
    {"socket_bind6", 4, 4, "socket_bind6(FD, IP, PORT, SCOPE_ID)"},
    {"socket_bind6_reuse", 4, 4, "socket_bind6_reuse(FD, IP, PORT, SCOPE_ID)"},
    {"socket_listen", 2, 2, "socket_listen(FD, BACKLOG)"},
    {"socket_accept4", 1, 3, "socket_accept4(FD[, IP, PORT])"},
    {"socket_accept6", 1, 4, "socket_accept6(FD[, IP, PORT, SCOPE_ID])"},
    {"socket_local4", 1, 3, "socket_local4(FD[, IP, PORT])"},
    {"socket_local6", 1, 4, "socket_local6(FD[, IP, PORT, SCOPE_ID])"},
    {"socket_remote4", 1, 3, "socket_remote4(FD[, IP, PORT])"},
    {"socket_remote6", 1, 4, "socket_remote6(FD[, IP, PORT, SCOPE_ID])"},
    {"socket_udp4b", 0, 0, "socket_udp4b()"},
    {"socket_udp6b", 0, 0, "socket_udp6b()"},
    {"socket_fastopen", 1, 1, "socket_fastopen(FD)"},
    {"socket_fastopen_connect4", 4, 4, "socket_fastopen_connect4(FD, IP, PORT, DATA)"},
    {"socket_fastopen_connect6", 5, 5, "socket_fastopen_connect6(FD, IP, PORT, SCOPE_ID, DATA)"},
    {"socket_getifidx", 1, 1, "socket_getifidx(\"IFNAME\")"},
    {"socket_getifname", 1, 1, "socket_getifname(IFINDEX)"},
    {"ndelay_on", 1, 1, "ndelay_on(FD)"},
    {"ndelay_off", 1, 1, "ndelay_off(FD)"},
};

}  // namespace

std::optional<CallInfo> find_call(std::string_view name) {
  for (const CallInfo& c : kCalls) {
    if (c.name == name) return c;
  }
  return std::nullopt;
}

std::span<const CallInfo> call_table() {
  return kCalls;
}

}  // namespace synlab::harness
