// IPv4 and IPv6: output routing and source selection, input, forwarding.
//
// Read first: RFC 1122 §3.3 (host requirements for IP), RFC 1812 §4-5 (forwarding, ICMP
// generation), RFC 8200 (IPv6), RFC 6724 (source address selection, simplified here).
//
// Hosts follow Linux's weak host model: a packet for any of the host's addresses is accepted
// on any interface, and a packet to one of its own addresses is sent through `lo`. A host
// with net.ipv4.ip_forward = 1 (or net.ipv6.conf.all.forwarding = 1) forwards, and answers
// what it cannot forward with the ICMP error Linux sends for that route type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/packet.h"
#include "stack/function_ref.h"
#include "stack/ip/route.h"
#include "stack/socket/errno.h"
#include "stack/wire/bytes.h"
#include "stack/wire/ip_address.h"

namespace synlab::stack {

class Host;

// A received IP packet as the transports see it.
struct IpMeta {
  int ifindex = 0;
  wire::IpAddr src, dst;
  std::uint8_t protocol = 0;
  std::uint8_t ttl = 0;
  std::uint8_t tos = 0;
  std::uint64_t frame = 0;
  wire::Bytes packet;  // the whole IP packet, header included (for ICMP quotes)
  bool v6() const { return src.is_v6(); }
};

struct OutRoute {
  Errno error = Errno::kOk;
  const Route* route = nullptr;
  int ifindex = 0;
  wire::IpAddr next_hop;
  wire::IpAddr src;   // the source address this route selects
  bool local = false; // to one of our own addresses, through lo
  int mtu = 1500;
};

// Where a packet to `dst` goes and from which address. `oif`: a required output interface
// (SO_BINDTODEVICE, an IPv6 scope id), 0 for any. `src`: the socket's bound address, if any.
OutRoute ip_route_output(Host& h, const wire::IpAddr& dst, int oif,
                         const std::optional<wire::IpAddr>& src);

struct IpSendArgs {
  wire::IpAddr src, dst;
  std::uint8_t protocol = 0;
  int oif = 0;
  int ttl = -1;  // -1: net.ipv4.ip_default_ttl / hop_limit
  std::uint8_t tos = 0;
  std::uint32_t flow_label = 0;
  bool df = true;
  std::uint16_t ident = 0;  // IPv4 identification
};

// Routes and sends one IP packet whose transport bytes (`l4_len` of them) `fill` writes.
// `cause` says why (a capture comment); it may be empty when nobody observes.
// Errors are what the sender's call would see: ENETUNREACH, EHOSTUNREACH, EACCES, EINVAL
// (route types), EPERM (an output filter rule), EMSGSIZE (larger than the interface MTU),
// ENOBUFS (the interface's transmit queue was full).
SysResult<void> ip_send(Host& h, const IpSendArgs& a, std::size_t l4_len,
                        FunctionRef<void(wire::MutBytes)> fill, std::string cause);

// Input of an IPv4 or IPv6 packet (the Ethernet payload) from interface `ifindex`.
void ip_rcv(Host& h, int ifindex, wire::Bytes packet, std::uint64_t frame);
void ipv6_rcv(Host& h, int ifindex, wire::Bytes packet, std::uint64_t frame);

// Sends an Ethernet frame out of `ifindex` to `next_hop` (resolving its MAC).
// ENOBUFS when the interface's transmit queue dropped it.
Errno ip_finish_output(Host& h, int ifindex, const wire::IpAddr& next_hop, sim::Packet frame,
                       std::string cause);

// The source address `ifindex` would use toward `dst` (Linux inet_select_addr /
// ipv6_dev_get_saddr, simplified: same prefix first, then the interface's first address).
std::optional<wire::IpAddr> select_source(const Host& h, int ifindex, const wire::IpAddr& dst);

}  // namespace synlab::stack
