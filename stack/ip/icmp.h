// ICMP and ICMPv6: errors generated (RFC 1122 §3.2.2, RFC 1812 §4.3, RFC 4443 §2.4) and
// consumed (handed to the transport whose packet they quote), echo, and Linux's rate limits.
//
// Linux's conversion of ICMP errors to errno (icmp_err_convert[] in net/ipv4/icmp.c and
// icmpv6_err_convert() in net/ipv6/icmp.c) is kept here as data: each error has an errno and a
// "fatal" flag. TCP aborts a connection in SYN-SENT on any unreachable; an established one
// only records a soft error. A request sock (SYN-RECEIVED on a listener) is dropped for IPv4
// net/host unreachable, time exceeded and parameter problem, and for IPv6 fatal errors only,
// which is why an ICMPv6 address unreachable does not kill a half-open connection but IPv4's
// host unreachable does (tcp_v4_err / tcp_v6_err, tcp_req_err).
#pragma once

#include <cstdint>

#include "stack/ip/filter.h"
#include "stack/ip/ip.h"
#include "stack/socket/errno.h"
#include "stack/wire/icmp_quote.h"

namespace synlab::stack {

class Host;

enum class IcmpKind : std::uint8_t {
  kNetUnreachable,        // v4 3/0, v6 1/0 (no route)
  kHostUnreachable,       // v4 3/1, v6 1/3 (address unreachable)
  kProtocolUnreachable,   // v4 3/2
  kPortUnreachable,       // v4 3/3, v6 1/4
  kFragNeeded,            // v4 3/4 with the MTU, v6 packet too big
  kAdminProhibited,       // v4 3/13, v6 1/1
  kTimeExceeded,          // v4 11/0, v6 3/0
  kParamProblemNextHeader // v6 4/1
};

// An ICMP error as a transport sees it.
struct IcmpError {
  bool v6 = false;
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint32_t info = 0;        // MTU for frag-needed / packet too big
  wire::IcmpQuote quote;         // the offending packet's addresses, ports, TCP seq
  Errno err = Errno::kOk;        // Linux's errno for it
  bool fatal = false;            // Linux's "fatal" flag for it
  bool frag_needed = false;      // a path MTU message, not a reachability error
  std::uint64_t frame = 0;
};

// Sends an ICMP error about `offending` (if the rules and the rate limits allow).
void icmp_send_error(Host& h, const IpMeta& offending, IcmpKind kind, std::uint32_t info);
// The same with an explicit ICMP type and code (filter rules: "reject with icmp type ...").
void icmp_send_error_raw(Host& h, const IpMeta& offending, std::uint8_t type, std::uint8_t code,
                         std::uint32_t info);
// A filter rule's reject: an ICMP error or a TCP reset.
void filter_reject(Host& h, const IpMeta& m, wire::Bytes l4, const FilterRule& r);

void icmp_rcv(Host& h, const IpMeta& m, wire::Bytes message);
void icmpv6_rcv(Host& h, const IpMeta& m, wire::Bytes message);

// Linux's tables.
IcmpError icmp_classify_v4(std::uint8_t type, std::uint8_t code);
IcmpError icmp_classify_v6(std::uint8_t type, std::uint8_t code);

}  // namespace synlab::stack
