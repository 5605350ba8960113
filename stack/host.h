// A simulated host: one network stack and its BSD-style socket API.
//
// The host is the context every layer works in, like Linux's `struct net`: interfaces,
// routes, neighbour caches, socket tables, counters and the personality live here, and the
// layers are free functions over it (stack/ip/, stack/tcp/, stack/udp/, stack/socket/). Its
// public data members are the stack's internals, open to those layers and to white-box tests;
// applications use the socket calls below.
//
// Socket calls come in two shapes. Calls that never block return their result. Calls that
// may block (connect, accept, read/recv, write/send, poll, close with SO_LINGER) take a
// `Done` continuation that runs exactly once: before the call returns when it did not block,
// or later in virtual time when the stack completes it. `ThreadId` names the simulated thread
// that is blocked, so a signal can interrupt it (EINTR) while the handshake goes on.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/packet.h"
#include "sim/rng.h"
#include "sim/simulator.h"
#include "stack/counters.h"
#include "stack/ip/filter.h"
#include "stack/ip/interface.h"
#include "stack/ip/neighbour.h"
#include "stack/ip/route.h"
#include "stack/personality/personality.h"
#include "stack/slab.h"
#include "stack/socket/errno.h"
#include "stack/socket/sock.h"
#include "stack/socket/sockaddr.h"
#include "stack/socket/wait.h"
#include "stack/tcp/demux.h"
#include "stack/tcp/tcb.h"

namespace synlab::stack {

using ThreadId = int;
template <class T>
using Done = std::function<void(SysResult<T>)>;

struct AcceptResult {
  int fd = -1;
  SockAddr peer;
};

struct RecvResult {
  std::vector<std::uint8_t> data;
  SockAddr from;  // recvfrom only
};

struct PollFd {
  int fd = -1;
  short events = 0;
  short revents = 0;
};

// Linux's poll bits (asm-generic/poll.h).
inline constexpr short kPollIn = 0x001;
inline constexpr short kPollPri = 0x002;
inline constexpr short kPollOut = 0x004;
inline constexpr short kPollErr = 0x008;
inline constexpr short kPollHup = 0x010;
inline constexpr short kPollNval = 0x020;
inline constexpr short kPollRdNorm = 0x040;
inline constexpr short kPollRdBand = 0x080;
inline constexpr short kPollWrNorm = 0x100;
inline constexpr short kPollWrBand = 0x200;
inline constexpr short kPollRdHup = 0x2000;

// Linux's values for the calls' flag arguments.
inline constexpr int kMsgPeek = 0x2;
inline constexpr int kMsgDontwait = 0x40;
inline constexpr int kMsgWaitall = 0x100;
inline constexpr int kMsgNosignal = 0x4000;
inline constexpr int kMsgFastopen = 0x20000000;
inline constexpr int kShutRd = 0, kShutWr = 1, kShutRdwr = 2;
inline constexpr int kFGetfl = 3, kFSetfl = 4, kFGetfd = 1, kFSetfd = 2;
inline constexpr int kONonblock = 04000;
inline constexpr int kORdwr = 2;

// A raw socket-option value: an int, a struct, or bytes.
using OptVal = std::vector<std::uint8_t>;

// What kind of file an fd names. Non-sockets exist so ENOTSOCK can be produced faithfully.
enum class FileKind : std::uint8_t { kSocket, kRegular, kPipe };

struct FdEntry {
  FileKind kind = FileKind::kSocket;
  SockId sock = 0;
  bool cloexec = false;
};

class Host {
 public:
  Host(sim::Simulator& sim, std::string name, Personality personality = linux_6_18());
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  const std::string& name() const { return name_; }
  sim::NodeId node() const { return node_; }
  sim::Simulator& sim() { return sim_; }
  sim::Time now() const { return sim_.now(); }
  Personality& personality() { return personality_; }
  const Personality& personality() const { return personality_; }
  Counters& counters() { return counters_; }
  const Counters& counters() const { return counters_; }

  // --- Configuration -------------------------------------------------------------------
  // The name attach() gives a host's n-th attached interface (n from 0): eth0, eth1, ...
  // The scenario parser checks `route ... dev IFNAME` against the same rule.
  static std::string default_ifname(std::size_t n) { return "eth" + std::to_string(n); }
  // Attaches a new interface to `link` (ifindex 2, 3, ...; named default_ifname(0), ...).
  int attach(sim::Link& link, std::optional<sim::MacAddr> mac = std::nullopt, int mtu = 1500,
             std::string ifname = {});
  // Adds an address and its on-link route; IPv6 interfaces also get an fe80:: link-local
  // address derived from the MAC (EUI-64) unless `no_link_local` was set.
  void add_address(int ifindex, const wire::IpPrefix& p);
  void add_route(const Route& r) { routes.add(r); }
  Interface* interface(int ifindex);
  Interface* interface_by_name(std::string_view name);
  // True when `a` is one of this host's addresses (any interface, loopback included).
  bool is_local_address(const wire::IpAddr& a) const;
  // True for 255.255.255.255 and the broadcast address of any IPv4 subnet this host is on
  // (Linux's RTN_BROADCAST routes).
  bool is_broadcast_address(const wire::IpAddr& a) const;
  // The first address of family `f` on a non-loopback interface, for reports.
  std::optional<wire::IpAddr> primary_address(wire::IpFamily f) const;

  // --- Socket API: calls that never block ---------------------------------------------
  SysResult<int> socket(int domain, int type, int protocol);
  SysResult<void> bind(int fd, const UserAddr& addr);
  SysResult<void> listen(int fd, int backlog);
  SysResult<void> shutdown(int fd, int how);
  SysResult<SockAddr> getsockname(int fd);
  SysResult<SockAddr> getpeername(int fd);
  SysResult<void> setsockopt(int fd, int level, int name, const OptVal& value);
  SysResult<OptVal> getsockopt(int fd, int level, int name, int optlen);
  SysResult<int> fcntl(int fd, int cmd, long arg);
  SysResult<int> dup(int fd);
  // A regular file or a pipe end, so a script can pass a non-socket fd.
  int open_file(FileKind kind);

  // --- Socket API: calls that may block -----------------------------------------------
  void connect(int fd, const UserAddr& addr, Done<void> done, ThreadId thread = 0);
  void accept(int fd, int flags, Done<AcceptResult> done, ThreadId thread = 0);
  void recv(int fd, std::size_t len, int flags, Done<RecvResult> done, ThreadId thread = 0);
  void send(int fd, std::span<const std::uint8_t> data, int flags, const UserAddr* to,
            Done<std::size_t> done, ThreadId thread = 0);
  void poll(std::vector<PollFd> fds, sim::Duration timeout, Done<std::vector<PollFd>> done,
            ThreadId thread = 0);  // timeout < 0: forever
  void close(int fd, Done<void> done, ThreadId thread = 0);

  // A signal to `thread`. If it is blocked in a call: EINTR, or with SA_RESTART the call
  // restarts invisibly where Linux restarts it. Returns false when the thread is not blocked.
  bool signal(ThreadId thread, int signo, bool sa_restart);
  bool blocked(ThreadId thread) const;

  // --- Inspection -----------------------------------------------------------------------
  Sock* sock_of_fd(int fd);
  Sock* sock(SockId id) { return socks.get(id); }
  // poll() revents for a socket right now (Linux's tcp_poll / udp_poll / datagram_poll).
  short poll_mask(const Sock& s) const;

  // --- Internals, for the stack's layers --------------------------------------------------
  // Frame input from an interface's link.
  void receive(int ifindex, sim::Packet frame, std::uint64_t frame_id);
  // A short name for a socket in traces: "client fd 3", "server child of fd 3".
  std::string sock_label(const Sock& s) const;
  // Records a trace line about a socket (only formats when observed).
  void trace_state(const Sock& s, TcpState from, TcpState to, std::string_view why);
  void trace_note(sim::TraceKind kind, const Sock* s, std::string text, std::string detail = {});
  // Notes on a received frame (why it was dropped), for explanations and capture comments.
  void frame_drop(std::uint64_t frame_id, DropReason r, std::string detail = {});
  // Whether anyone reads trace text (causes, drop reasons): format nothing otherwise.
  bool observed() const { return sim_.wants_text(); }
  // The frame being processed right now (0 outside frame input).
  std::uint64_t current_frame = 0;

  std::vector<Interface> interfaces;
  RoutingTable routes;
  NeighbourTable neigh;
  Filter filter;
  Slab<Sock> socks;
  Slab<RequestSock> reqs;
  TcpTables tcp;            // demultiplexing, bind buckets, ephemeral ports
  UdpTables udp_tables;     // UDP sockets by local port
  WaitTable waits;          // blocked calls
  std::vector<std::optional<FdEntry>> fds;  // index = fd; change only through the two below
  // Installs `e` at the lowest free fd (POSIX), or returns -1 when none is below max_fds
  // (unless `enforce_limit` is off). Like Linux's files->next_fd, a hint keeps this O(1) when
  // fds are opened in a row.
  int fd_install(const FdEntry& e, bool enforce_limit = true);
  void fd_release(int fd);
  // No fd is free below max_fds (EMFILE).
  bool fd_table_full() const { return fds_open_ == fds.size() && static_cast<int>(fds.size()) >= max_fds; }
  sim::Rng rng_isn;         // ISNs and TS offsets ("host:<name>:isn")
  sim::Rng rng_ports;       // ephemeral port offsets
  sim::Rng rng_misc;        // neighbour reachable time, IPv4 ident, flow labels
  std::uint64_t syncookie_secret = 0;
  std::uint64_t tfo_secret = 0;
  std::uint16_t next_ip_ident = 0;
  // ICMP rate limiting (icmp_global_allow + per-peer inet_peer_xrlim_allow).
  sim::Time icmp_global_stamp;
  std::int64_t icmp_global_credit = 0;
  std::map<wire::IpAddr, std::pair<sim::Time, std::int64_t>> icmp_peer_tokens;
  // Fast Open client cookie cache (tcp_fastopen_cache_get/set), by peer address.
  std::map<wire::IpAddr, TfoCacheEntry> tfo_cookies;
  std::uint64_t next_trace_id = 1;
  // The simulated process runs as root (CAP_NET_BIND_SERVICE) unless a scenario says not.
  bool privileged = true;
  // RLIMIT_NOFILE: socket() and accept() fail with EMFILE beyond it.
  int max_fds = 1024;

 private:
  struct Port : sim::FrameReceiver {
    Host* host = nullptr;
    int ifindex = 0;
    void receive_frame(sim::Packet frame, std::uint64_t frame_id) override {
      host->receive(ifindex, std::move(frame), frame_id);
    }
  };

  sim::Simulator& sim_;
  std::string name_;
  sim::NodeId node_;
  Personality personality_;
  Counters counters_;
  std::vector<std::unique_ptr<Port>> ports_;
  sim::Link* loopback_link_ = nullptr;
  std::size_t fd_hint_ = 0;   // no free fd below this index
  std::size_t fds_open_ = 0;  // entries of fds that are set
};

}  // namespace synlab::stack
