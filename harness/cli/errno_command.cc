#include "harness/cli/errno_command.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "harness/cli/run_command.h"
#include "harness/scenario/parser.h"
#include "harness/scenario/suggest.h"

namespace synlab::harness {

using stack::Errno;

namespace {

// The facts come from ../shared/reference/linux-oracle.md and docs/linux-measurements.md (the
// same ones docs/errno.md lists with its unit tests); the order is the connect(2) page's.
constexpr ErrnoLesson kLessons[] = {
    {Errno::kEBADF, "the fd is not an open file descriptor",
     "fd -1, an fd never opened, or one already closed; checked before anything else"},
    {Errno::kENOTSOCK, "the fd is open but is not a socket",
     "connect() on a regular file or a pipe"},
    {Errno::kEADDRNOTAVAIL, "no usable local address and port for this connection",
     "no free 4-tuple: a second SO_REUSEADDR socket on the same ip:port to the same peer (Linux "
     "says EADDRNOTAVAIL here, not EADDRINUSE), the ephemeral port range used up, or a bind() to "
     "an address the host does not have"},
    {Errno::kEAFNOSUPPORT, "the address is of a family this socket cannot use",
     "an AF_INET socket given a sockaddr_in6 (or an AF_INET6 address padded to 28 bytes)"},
    {Errno::kEISCONN, "the socket is already connected",
     "connect() again after it succeeded, on a listening socket, after shutdown(), after the "
     "peer's FIN or RST, or after a signal interrupted a connect that then completed"},
    {Errno::kEINVAL, "an argument is invalid",
     "an address length of 0, 4, 15, 129 or -1; an fe80:: address without a scope id; a "
     "`blackhole` route to the destination"},
    {Errno::kETIMEDOUT, "the peer never answered",
     "no answer to the SYNs: after tcp_syn_retries retransmissions (3 s with 1 and linear "
     "timeouts, 7 s with 2, 131 s with the defaults)"},
    {Errno::kECONNREFUSED, "nobody accepted the connection: nothing listens there",
     "an RST answers the SYN (from the peer, or a router); an ICMP port unreachable; for UDP, an "
     "ICMP port unreachable reported on the next call"},
    {Errno::kENETUNREACH, "there is no route to that network",
     "no route at all (at once, nothing is sent); an ICMP net unreachable; a link-local address "
     "with a wrong scope id; ::ffff:a.b.c.d on an IPV6_V6ONLY socket; TCP to a broadcast "
     "address"},
    {Errno::kEADDRINUSE, "the local address and port are already taken",
     "from bind(), not connect(): the ip:port is held by a socket without SO_REUSEADDR"},
    {Errno::kEFAULT, "the address pointer is invalid",
     "an invalid or NULL address pointer with a length of 16"},
    {Errno::kEINPROGRESS, "the connection has started and will finish later",
     "every non-blocking connect() (even on loopback, even to a closed port): the result comes "
     "later, through poll() and SO_ERROR"},
    {Errno::kENOBUFS, "no buffer space: the packet could not be queued",
     "never from Linux's connect() (TCP retransmits instead); sendto() on a UDP socket with "
     "IP_RECVERR when the transmit queue is full"},
    {Errno::kEINTR, "a signal interrupted the call",
     "a signal without SA_RESTART arrives during a blocking connect(); the handshake carries on "
     "(with SA_RESTART the restart is invisible)"},
    {Errno::kEOPNOTSUPP, "the operation is not supported on this kind of socket",
     "never from Linux's connect(); listen() or accept() on a UDP socket"},
    {Errno::kEALREADY, "a connection attempt is already in progress",
     "connect() again on a non-blocking socket whose handshake has not finished"},
    {Errno::kEHOSTUNREACH, "the host cannot be reached",
     "an `unreachable` route; an ICMP host unreachable or admin-prohibited (code 13); an "
     "on-link neighbour that never answers ARP or neighbour solicitation (after 3 s)"},
    {Errno::kEACCES, "permission denied by local policy",
     "a `prohibit` route; UDP to a broadcast address without SO_BROADCAST"},
    {Errno::kECONNRESET, "the peer reset the connection",
     "the peer resets an established connection (read/recv, SO_ERROR): it closed with unread "
     "data or SO_LINGER {1,0}, or its accept queue overflowed with tcp_abort_on_overflow=1"},
    {Errno::kECONNABORTED, "the connection was aborted",
     "connect() again after a refusal whose error was already read with SO_ERROR (the calls then "
     "alternate)"},
    {Errno::kENOTCONN, "the socket is not connected",
     "getpeername() during a handshake or after connect(AF_UNSPEC); send() on a TCP socket that "
     "never connected"},
    {Errno::kEPIPE, "the connection can no longer send",
     "write() after shutdown(SHUT_WR) or after the peer's reset was reported (with SIGPIPE "
     "unless MSG_NOSIGNAL)"},
    {Errno::kEDESTADDRREQ, "no destination address", "send() on an unconnected UDP socket"},
    {Errno::kEAGAIN, "nothing is ready yet; try again later",
     "not from connect(): accept() with an empty queue, recv() on a non-blocking socket with no "
     "data"},
    {Errno::kEPERM, "the operation is not permitted",
     "never came from connect() in any measurement; a firewall rule that rejects with EPERM "
     "would give it"},
    {Errno::kEMFILE, "the process has too many open files",
     "not from connect(): socket() or accept() beyond RLIMIT_NOFILE"},
};

std::string upper(std::string_view s) {
  std::string u(s);
  for (auto& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

// The scenarios whose `tags:` include errno:NAME, in path order, with their titles.
bool tagged_scenarios(const std::string& dir, std::string_view name,
                      std::vector<std::pair<std::string, std::string>>* out, std::string* error) {
  std::vector<Found> found;
  if (!find_scenarios({dir}, &found, error)) return false;
  const std::string tag = "errno:" + std::string(name);
  for (const auto& f : found) {
    auto s = parse_scenario_file(f.path);
    if (!s) continue;  // `synlab check` reports it; this command only teaches
    if (std::find(s->tags.begin(), s->tags.end(), tag) != s->tags.end()) {
      out->emplace_back(f.name, s->title);
    }
  }
  return true;
}

}  // namespace

std::optional<ErrnoLesson> errno_lesson(Errno e) {
  for (const auto& l : kLessons) {
    if (l.e == e) return l;
  }
  return std::nullopt;
}

int errno_command(const ErrnoArgs& args, std::ostream& out, std::ostream& err) {
  if (args.name.empty()) {
    out << "The errnos synlab teaches (synlab errno NAME for one of them):\n";
    for (const auto& l : kLessons) {
      std::string n(stack::name(l.e));
      n.resize(std::max<std::size_t>(n.size(), 14), ' ');
      out << "  " << n << l.meaning << "\n";
    }
    return 0;
  }
  std::optional<Errno> e;
  int number = 0;
  const auto* end = args.name.data() + args.name.size();
  if (auto [p, ec] = std::from_chars(args.name.data(), end, number); ec == std::errc() && p == end) {
    e = stack::errno_from_linux_number(number);
  } else {
    e = stack::errno_from_name(upper(args.name));
  }
  const auto lesson = e ? errno_lesson(*e) : std::nullopt;
  if (!lesson) {
    std::vector<std::string_view> names;
    for (const auto& l : kLessons) names.push_back(stack::name(l.e));
    err << "synlab: error: " << (e ? "no lesson for errno '" : "unknown errno '") << args.name << "'"
        << did_you_mean(upper(args.name), names) << " (synlab errno lists them)\n";
    return 2;
  }
  const std::string name(stack::name(lesson->e));
  out << name << " (" << stack::linux_number(lesson->e) << " on Linux): " << stack::message(lesson->e) << "\n";
  out << "  What it means:  " << lesson->meaning << "\n";
  out << "  When Linux gives it: " << lesson->on_linux << "\n";
  std::vector<std::pair<std::string, std::string>> shown;
  std::string error;
  const std::string dir = args.scenarios_dir.empty() ? bundled_scenarios_dir() : args.scenarios_dir;
  if (!tagged_scenarios(dir, name, &shown, &error)) {
    err << "synlab: error: " << error << "\n";
    return 2;
  }
  if (shown.empty()) {
    out << "  No bundled scenario is tagged errno:" << name << ".\n";
  } else {
    out << "  Scenarios that show it (synlab run --filter 'errno:" << name << "'):\n";
    std::size_t width = 0;
    for (const auto& [n, t] : shown) width = std::max(width, n.size());
    for (const auto& [n, t] : shown) {
      std::string padded = n;
      padded.resize(width + 2, ' ');
      out << "    " << padded << t << "\n";
    }
  }
  return 0;
}

}  // namespace synlab::harness
