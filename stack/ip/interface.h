// A host's network interfaces. Index 1 is always the loopback `lo` (127.0.0.1/8, ::1/128),
// as on Linux; attached interfaces get 2, 3, ... in the order they are added, so a scenario's
// first link is `eth0` with ifindex 2 and IPv6 link-local scope ids read like a real host's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/link.h"
#include "sim/mac.h"
#include "stack/wire/ip_address.h"

namespace synlab::stack {

struct IfAddr {
  wire::IpPrefix prefix;  // the address and its on-link prefix length
};

struct Interface {
  int ifindex = 0;
  std::string name;          // "lo", "eth0"
  sim::MacAddr mac;
  int mtu = 1500;
  bool up = true;
  bool loopback = false;
  sim::Link* link = nullptr;  // null only for a detached interface
  sim::PortId port = -1;
  std::vector<IfAddr> addrs;

  bool has_addr(const wire::IpAddr& a) const {
    for (const auto& ia : addrs) {
      if (ia.prefix.addr == a) return true;
    }
    return false;
  }
};

}  // namespace synlab::stack
