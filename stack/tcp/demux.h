// TCP's socket tables: connection demultiplexing, listeners, bind buckets.
//
// Like Linux's inet_hashinfo: `established` maps a 4-tuple to the connection (a full socket in
// any state but LISTEN, or a request sock for a half-open passive connection); `listeners`
// maps a port to the listening sockets on it; `bind` maps a port to every socket holding it,
// which is what bind() conflicts and ephemeral port choice look at. Lookups are hash lookups;
// nothing here is ever iterated to make a decision whose outcome depends on order.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include "stack/tcp/tcb.h"
#include "stack/wire/ip_address.h"

namespace synlab::stack {

struct FourTuple {
  wire::IpAddr laddr, raddr;
  std::uint16_t lport = 0, rport = 0;
  bool operator==(const FourTuple&) const = default;

  // Abseil's hash over the address bytes and ports. Its per-process seed only changes where
  // entries sit, never what a lookup finds, and these tables are never iterated.
  template <class H>
  friend H AbslHashValue(H h, const FourTuple& t) {
    std::uint64_t w[4];
    std::memcpy(w, t.laddr.raw().data(), 16);
    std::memcpy(w + 2, t.raddr.raw().data(), 16);
    return H::combine(std::move(h), w[0], w[1], w[2], w[3],
                      (std::uint32_t{t.lport} << 16) | t.rport);
  }
};

struct DemuxEntry {
  enum class Kind : std::uint8_t { kSock, kRequest };
  Kind kind = Kind::kSock;
  std::uint32_t id = 0;
};

struct BindBucket {
  absl::flat_hash_set<SockId> owners;  // every socket holding the port (only ever searched
                                       // for "any conflict", so its order never matters)
  bool from_connect = false;          // created by connect()'s port search (Linux fastreuse -1)
};

struct TcpTables {
  absl::flat_hash_map<FourTuple, DemuxEntry> established;
  std::map<std::uint16_t, std::vector<SockId>> listeners;
  std::map<std::uint16_t, BindBucket> bind;
  // Linux's table_perturb[] (inet_hash_connect): per-bucket offsets that make successive
  // connects to one destination walk the port range from a moving random point.
  std::array<std::uint32_t, 256> port_perturb{};
  // Linux's tcp_tw_isn: the ISN for a SYN that a TIME_WAIT socket hands to a listener (its
  // snd_nxt + 65537, tcp_timewait_state_process); 0 when there is none. Read once by the SYN.
  std::uint32_t tw_isn = 0;
};

struct UdpTables {
  std::map<std::uint16_t, std::vector<SockId>> bind;  // by local port
};

}  // namespace synlab::stack
