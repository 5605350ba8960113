// A socket: what an fd refers to.
//
// Linux keeps two states per socket and connect(2)'s behaviour depends on both: the BSD
// socket's `sock->state` (SS_UNCONNECTED, SS_CONNECTING, SS_CONNECTED, SS_DISCONNECTING) and the
// protocol's `sk->sk_state` (the TCP state). `SockState` is the first, `TcpCb::state` the
// second. For example, after a non-blocking connect completes in the background the TCP state
// is ESTABLISHED while the socket is still SS_CONNECTING, which is why the next connect()
// returns 0 and only the one after EISCONN (net/ipv4/af_inet.c __inet_stream_connect).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/time.h"
#include "stack/socket/errno.h"
#include "stack/socket/sockaddr.h"
#include "stack/tcp/tcb.h"
#include "stack/wire/ip_address.h"

namespace synlab::stack {

enum class SockState : std::uint8_t { kUnconnected, kConnecting, kConnected, kDisconnecting };

// Linux's values (include/linux/net.h).
inline constexpr int kSockStream = 1;
inline constexpr int kSockDgram = 2;
inline constexpr int kSockNonblock = 04000;
inline constexpr int kSockCloexec = 02000000;
inline constexpr int kIpprotoTcp = 6;
inline constexpr int kIpprotoUdp = 17;

inline constexpr std::uint8_t kRcvShutdown = 1;
inline constexpr std::uint8_t kSendShutdown = 2;

struct SockOpts {
  bool reuseaddr = false;
  bool reuseport = false;
  bool keepalive = false;
  bool broadcast = false;
  bool v6only = false;
  bool freebind = false;
  bool bind_address_no_port = false;
  bool recverr = false;
  bool linger_on = false;
  int linger_seconds = 0;
  sim::Duration sndtimeo;  // 0: wait forever
  sim::Duration rcvtimeo;
  int rcvbuf = 0;  // as set (Linux stores twice the value asked for)
  int sndbuf = 0;
  bool rcvbuf_locked = false;
  bool sndbuf_locked = false;
  int bound_dev_if = 0;
  int ttl = -1;    // IP_TTL / IPV6_UNICAST_HOPS (-1: the sysctl)
  int tos = 0;
  int local_port_lo = 0, local_port_hi = 0;  // IP_LOCAL_PORT_RANGE
  // TCP level.
  bool nodelay = false;
  bool cork = false;
  bool quickack = false;
  bool fastopen_connect = false;  // TCP_FASTOPEN_CONNECT
  int fastopen_qlen = 0;          // TCP_FASTOPEN on a listener
  bool fastopen_no_cookie = false;             // TCP_FASTOPEN_NO_COOKIE
  std::vector<std::uint8_t> fastopen_key;      // TCP_FASTOPEN_KEY: 16 or 32 bytes (primary, backup)
  int defer_accept = 0;
  int keepidle = 7200, keepintvl = 75, keepcnt = 9;
};

struct UdpCb {
  struct Datagram {
    SockAddr from;
    std::vector<std::uint8_t> data;
  };
  std::vector<Datagram> rxq;   // oldest first
  std::size_t rx_bytes = 0;
  bool connected = false;      // connect() set a default peer (sk_state ESTABLISHED)
};

struct Sock {
  SockId id = 0;
  int family = kAfInet;  // kAfInet or kAfInet6
  int type = kSockStream;
  int protocol = 0;
  SockState ss = SockState::kUnconnected;
  bool nonblocking = false;  // O_NONBLOCK on the open file
  int fd_refs = 0;           // fds referring to this socket (dup)
  int fd = -1;               // the fd socket() or accept() returned (labels in traces)
  bool orphan = false;       // closed by the application, still alive in the stack

  // Addresses (inet_sock). For AF_INET6 sockets talking IPv4 these hold IPv4 addresses and
  // `v4_on_v6` is set; getsockname/getpeername map them back (::ffff:a.b.c.d).
  wire::IpAddr rcv_saddr;  // bound local address (unspecified = any)
  wire::IpAddr saddr;      // source address in use
  wire::IpAddr daddr;
  std::uint16_t num = 0;   // local port (0: not bound)
  std::uint16_t sport = 0; // inet_sport: what getsockname reports; not cleared when a failed
                           // connect releases the port (measured: the old port still shows)
  std::uint16_t dport = 0;
  std::uint32_t scope_id = 0;  // IPv6 link-local scope (ifindex)
  bool v4_on_v6 = false;
  bool bound = false;            // has a local port (explicit bind or implicit)
  bool port_locked = false;      // the port came from bind() (SOCK_BINDPORT_LOCK)
  bool addr_locked = false;      // the address came from bind() (SOCK_BINDADDR_LOCK)
  bool in_bind_table = false;
  bool in_demux = false;
  std::uint16_t inet_id = 0;     // IPv4 identification counter (random start per connection)
  std::uint32_t flow_label = 0;  // IPv6 automatic flow label (from the socket's tx hash)

  Errno err = Errno::kOk;       // sk_err: reported once by SO_ERROR / the next call
  // 4.4BSD (Personality::failed_connect_can_retry false): a connection attempt failed and the
  // PCB is gone, so every later connect() is EINVAL.
  bool connect_failed = false;
  Errno err_soft = Errno::kOk;  // sk_err_soft: reported if the connection times out
  std::uint8_t shutdown = 0;    // kRcvShutdown | kSendShutdown
  SockOpts opt;

  TcpCb tcp;
  std::unique_ptr<Listener> listener;  // set while in LISTEN
  // UDP's state, allocated by the first UDP call that writes it: a TCP socket never pays for
  // it (a million-connection world is sized by sizeof(Sock); docs/performance.md).
  UdpCb& udp() {
    if (!udp_) udp_ = std::make_unique<UdpCb>();
    return *udp_;
  }
  const UdpCb& udp() const {
    static const UdpCb kNone;
    return udp_ ? *udp_ : kNone;
  }
  std::unique_ptr<UdpCb> udp_;

  // Blocked calls waiting on this socket (ids into the host's waiter table).
  std::vector<std::uint32_t> waiters;
  // For traces: a short stable name, "client:3" / "server:child 4".
  std::uint64_t trace_id = 0;

  bool is_tcp() const { return type == kSockStream; }
  bool is_udp() const { return type == kSockDgram; }
};

}  // namespace synlab::stack
