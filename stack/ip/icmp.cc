#include "stack/ip/icmp.h"

#include <algorithm>
#include <array>

#include "stack/host.h"
#include "stack/ip/neighbour.h"
#include "stack/tcp/tcp.h"
#include "stack/udp/udp.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ip_protocol.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/tcp.h"

namespace synlab::stack {
namespace {

struct ErrEntry {
  Errno err;
  bool fatal;
};

// net/ipv4/icmp.c icmp_err_convert[], indexed by destination-unreachable code.
constexpr std::array<ErrEntry, 16> kIcmpUnreach = {{
    {Errno::kENETUNREACH, false},   // 0 net unreachable
    {Errno::kEHOSTUNREACH, false},  // 1 host unreachable
    {Errno::kENOPROTOOPT, true},    // 2 protocol unreachable
    {Errno::kECONNREFUSED, true},   // 3 port unreachable
    {Errno::kEMSGSIZE, false},      // 4 fragmentation needed
    {Errno::kEOPNOTSUPP, false},    // 5 source route failed
    {Errno::kENETUNREACH, true},    // 6 net unknown
    {Errno::kEHOSTDOWN, true},      // 7 host unknown
    {Errno::kENONET, true},         // 8 host isolated
    {Errno::kENETUNREACH, true},    // 9 net administratively prohibited
    {Errno::kEHOSTUNREACH, true},   // 10 host administratively prohibited
    {Errno::kENETUNREACH, false},   // 11 net unreachable for TOS
    {Errno::kEHOSTUNREACH, false},  // 12 host unreachable for TOS
    {Errno::kEHOSTUNREACH, true},   // 13 communication administratively prohibited
    {Errno::kEHOSTUNREACH, true},   // 14 host precedence violation
    {Errno::kEHOSTUNREACH, true},   // 15 precedence cutoff
}};

// net/ipv6/icmp.c tab_unreach[], indexed by ICMPv6 destination-unreachable code.
constexpr std::array<ErrEntry, 7> kIcmpv6Unreach = {{
    {Errno::kENETUNREACH, false},   // 0 no route
    {Errno::kEACCES, true},         // 1 administratively prohibited
    {Errno::kEHOSTUNREACH, false},  // 2 beyond scope
    {Errno::kEHOSTUNREACH, false},  // 3 address unreachable
    {Errno::kECONNREFUSED, true},   // 4 port unreachable
    {Errno::kEACCES, true},         // 5 policy failure
    {Errno::kEACCES, true},         // 6 reject route
}};

std::pair<std::uint8_t, std::uint8_t> v4_type_code(IcmpKind k) {
  switch (k) {
    case IcmpKind::kNetUnreachable: return {3, 0};
    case IcmpKind::kHostUnreachable: return {3, 1};
    case IcmpKind::kProtocolUnreachable: return {3, 2};
    case IcmpKind::kPortUnreachable: return {3, 3};
    case IcmpKind::kFragNeeded: return {3, 4};
    case IcmpKind::kAdminProhibited: return {3, 13};
    case IcmpKind::kTimeExceeded: return {11, 0};
    case IcmpKind::kParamProblemNextHeader: return {12, 0};
  }
  return {3, 1};
}

std::pair<std::uint8_t, std::uint8_t> v6_type_code(IcmpKind k) {
  switch (k) {
    case IcmpKind::kNetUnreachable: return {1, 0};
    case IcmpKind::kHostUnreachable: return {1, 3};
    case IcmpKind::kProtocolUnreachable: return {4, 1};
    case IcmpKind::kPortUnreachable: return {1, 4};
    case IcmpKind::kFragNeeded: return {2, 0};
    case IcmpKind::kAdminProhibited: return {1, 1};
    case IcmpKind::kTimeExceeded: return {3, 0};
    case IcmpKind::kParamProblemNextHeader: return {4, 1};
  }
  return {1, 3};
}

bool is_v4_error_type(std::uint8_t t) { return t == 3 || t == 4 || t == 5 || t == 11 || t == 12; }

// Linux's icmp_global_allow (a token bucket of icmp_msgs_per_sec with icmp_msgs_burst) and
// inet_peer_xrlim_allow (per destination: one message per icmp_ratelimit after a burst of 6,
// XRLIM_BURST_FACTOR). Loopback is exempt. Only errors are limited (icmp_ratemask 0x1818).
bool icmp_rate_allow(Host& h, const wire::IpAddr& dst, bool to_loopback) {
  if (to_loopback) return true;
  const Personality& p = h.personality();
  const sim::Time now = h.now();
  // Global bucket, in millitokens.
  if (p.icmp_msgs_per_sec > 0) {
    const std::int64_t cap = std::int64_t{p.icmp_msgs_burst} * 1000;
    if (h.icmp_global_stamp == sim::Time::zero() && h.icmp_global_credit == 0) h.icmp_global_credit = cap;
    const std::int64_t elapsed_ms = (now - h.icmp_global_stamp).ms();
    h.icmp_global_credit = std::min(cap, h.icmp_global_credit + elapsed_ms * p.icmp_msgs_per_sec);
    h.icmp_global_stamp = now;
    if (h.icmp_global_credit < 1000) {
      h.counters().inc(Mib::kIcmpOutRateLimitGlobal);
      return false;
    }
    h.icmp_global_credit -= 1000;
  }
  if (p.icmp_ratelimit_ms <= 0) return true;
  std::int64_t timeout = p.icmp_ratelimit_ms;
  if (dst.is_v6()) timeout >>= 2;  // icmpv6_xrlim_allow: a /64 route gets a quarter
  auto it = h.icmp_peer_tokens.find(dst);
  if (it == h.icmp_peer_tokens.end()) {
    // inet_getpeer starts a new peer 60 s in the past: a full burst is available.
    it = h.icmp_peer_tokens.emplace(dst, std::make_pair(now, 6 * timeout)).first;
  }
  auto& [last, tokens] = it->second;
  tokens = std::min<std::int64_t>(6 * timeout, tokens + (now - last).ms());
  last = now;
  if (tokens >= timeout) {
    tokens -= timeout;
    return true;
  }
  h.counters().inc(Mib::kIcmpOutRateLimitHost);
  return false;
}

void send_icmpv4(Host& h, const IpMeta& off, std::uint8_t type, std::uint8_t code, std::uint32_t info) {
  const wire::Bytes quote = wire::icmpv4_error_quote(off.packet);
  wire::Icmpv4Repr r;
  r.type = static_cast<wire::Icmpv4Type>(type);
  r.code = code;
  r.rest = type == 3 && code == 4 ? (info & 0xffff) : 0;
  if (type == 12) r.rest = info << 24;
  r.payload = quote;
  IpSendArgs a;
  a.dst = off.src;
  // The offending packet's destination when it was ours, else the route's choice.
  if (h.is_local_address(off.dst)) a.src = off.dst;
  else a.src = wire::IpAddr::any(wire::IpFamily::kV4);
  a.protocol = wire::kIpProtoIcmp;
  // __icmp_send: errors carry IPTOS_PREC_INTERNETCONTROL (0xc0) and no DF; the ident comes
  // from the global generator (random).
  a.tos = static_cast<std::uint8_t>(0xc0 | (off.tos & 0x1e));
  a.df = false;
  a.ident = static_cast<std::uint16_t>(h.rng_misc.next_u32());
  std::string cause;
  if (h.observed()) cause = "ICMP " + wire::to_string(r) + ": reply to a packet from " + off.src.to_string();
  h.counters().inc(Mib::kIcmpOutMsgs);
  if (type == 3) h.counters().inc(Mib::kIcmpOutDestUnreachs);
  auto res = ip_send(h, a, r.buffer_len(), [&](wire::MutBytes out) { r.emit(out); }, std::move(cause));
  (void)res;
}

void send_icmpv6(Host& h, const IpMeta& off, std::uint8_t type, std::uint8_t code, std::uint32_t info) {
  const wire::Bytes quote = wire::icmpv6_error_quote(off.packet);
  wire::Icmpv6Repr r;
  r.type = static_cast<wire::Icmpv6Type>(type);
  r.code = code;
  r.rest = type == 2 ? info : (type == 4 ? (code == 1 ? 6u : info) : 0);
  r.payload = quote;
  IpSendArgs a;
  a.dst = off.src;
  a.src = h.is_local_address(off.dst) ? off.dst : wire::IpAddr::any(wire::IpFamily::kV6);
  a.protocol = wire::kIpProtoIcmpv6;
  a.oif = off.src.is_link_local() ? off.ifindex : 0;
  const OutRoute rt = ip_route_output(h, a.dst, a.oif, std::nullopt);
  if (rt.error != Errno::kOk) return;
  if (a.src.is_unspecified()) a.src = rt.src;
  std::string cause;
  if (h.observed()) cause = "ICMPv6 " + wire::to_string(r) + ": reply to a packet from " + off.src.to_string();
  h.counters().inc(Mib::kIcmpOutMsgs);
  if (type == 1) h.counters().inc(Mib::kIcmpOutDestUnreachs);
  const wire::IpAddr src = a.src, dst = a.dst;
  auto res = ip_send(h, a, r.buffer_len(), [&](wire::MutBytes out) { r.emit(out, src, dst); },
                     std::move(cause));
  (void)res;
}

// RFC 1122 §3.2.2 / RFC 4443 §2.4 (e): never answer an error with an error, a non-unicast
// source, or a broadcast/multicast destination.
bool may_answer(const Host& h, const IpMeta& off) {
  if (off.src.is_unspecified() || off.src.is_multicast() || off.src.is_broadcast()) return false;
  if (off.dst.is_multicast() || off.dst.is_broadcast()) return false;
  if (off.v6()) {
    if (off.protocol == wire::kIpProtoIcmpv6) {
      const std::size_t hl = wire::kIpv6HeaderLen;
      if (off.packet.size() > hl && off.packet[hl] < 128) return false;
    }
  } else if (off.protocol == wire::kIpProtoIcmp) {
    const std::size_t hl = off.packet.empty() ? 0 : (off.packet[0] & 0x0fu) * 4u;
    if (off.packet.size() > hl && is_v4_error_type(off.packet[hl])) return false;
  }
  (void)h;
  return true;
}

void icmp_deliver_error(Host& h, IcmpError& e, std::uint8_t quoted_protocol) {
  // Errors are only about packets we sent.
  if (!h.is_local_address(e.quote.src) && !e.quote.src.is_loopback()) {
    h.frame_drop(e.frame, DropReason::kIcmpInvalid, "quotes a packet this host did not send");
    return;
  }
  switch (quoted_protocol) {
    case wire::kIpProtoTcp: tcp_err(h, e); return;
    case wire::kIpProtoUdp: udp_err(h, e); return;
    default: return;
  }
}

}  // namespace

IcmpError icmp_classify_v4(std::uint8_t type, std::uint8_t code) {
  IcmpError e;
  e.type = type;
  e.code = code;
  switch (type) {
    case 3:
      if (code < kIcmpUnreach.size()) {
        e.err = kIcmpUnreach[code].err;
        e.fatal = kIcmpUnreach[code].fatal;
      } else {
        e.err = Errno::kEHOSTUNREACH;
      }
      e.frag_needed = code == 4;
      break;
    case 11:
      e.err = Errno::kEHOSTUNREACH;
      break;
    case 12:
      e.err = Errno::kEPROTO;
      e.fatal = true;
      break;
    default:
      e.err = Errno::kOk;  // source quench and the rest: ignored
      break;
  }
  return e;
}

IcmpError icmp_classify_v6(std::uint8_t type, std::uint8_t code) {
  IcmpError e;
  e.v6 = true;
  e.type = type;
  e.code = code;
  e.err = Errno::kEPROTO;
  switch (type) {
    case 1:
      e.fatal = true;
      if (code < kIcmpv6Unreach.size()) {
        e.err = kIcmpv6Unreach[code].err;
        e.fatal = kIcmpv6Unreach[code].fatal;
      }
      break;
    case 2:
      e.err = Errno::kEMSGSIZE;
      e.frag_needed = true;
      break;
    case 3:
      e.err = Errno::kEHOSTUNREACH;
      break;
    case 4:
      e.err = Errno::kEPROTO;
      e.fatal = true;
      break;
    default:
      e.err = Errno::kOk;
      break;
  }
  return e;
}

void icmp_send_error_raw(Host& h, const IpMeta& off, std::uint8_t type, std::uint8_t code,
                         std::uint32_t info) {
  if (!may_answer(h, off)) return;
  const OutRoute back = ip_route_output(h, off.src, off.v6() && off.src.is_link_local() ? off.ifindex : 0, std::nullopt);
  if (!icmp_rate_allow(h, off.src, back.error == Errno::kOk && back.local)) {
    h.trace_note(sim::TraceKind::kNote, nullptr, "ICMP error to " + off.src.to_string() + " rate-limited");
    return;
  }
  if (off.v6()) {
    send_icmpv6(h, off, type, code, info);
  } else {
    send_icmpv4(h, off, type, code, info);
  }
}

void icmp_send_error(Host& h, const IpMeta& off, IcmpKind kind, std::uint32_t info) {
  const auto [t, c] = off.v6() ? v6_type_code(kind) : v4_type_code(kind);
  icmp_send_error_raw(h, off, t, c, info);
}

void filter_reject(Host& h, const IpMeta& m, wire::Bytes l4, const FilterRule& r) {
  if (r.reject_with_tcp_reset && m.protocol == wire::kIpProtoTcp) {
    tcp_send_reset_for(h, m, l4, "rejected by a filter rule: " + r.text);
    return;
  }
  icmp_send_error_raw(h, m, r.icmp_type, r.icmp_code, 0);
}

void icmp_rcv(Host& h, const IpMeta& m, wire::Bytes message) {
  h.counters().inc(Mib::kIcmpInMsgs);
  auto parsed = wire::Icmpv4Repr::parse(message, wire::ChecksumCheck::kVerify);
  if (!parsed) {
    h.counters().inc(Mib::kIcmpInErrors);
    if (parsed.error() == wire::WireError::kBadChecksum) {
      h.counters().inc(Mib::kIcmpInCsumErrors);
      h.frame_drop(m.frame, DropReason::kIcmpCsum);
    } else {
      h.frame_drop(m.frame, DropReason::kIcmpInvalid, std::string(wire::to_string(parsed.error())));
    }
    return;
  }
  const wire::Icmpv4Repr& r = *parsed;
  const auto type = static_cast<std::uint8_t>(r.type);
  if (r.type == wire::Icmpv4Type::kEchoRequest) {
    if (h.personality().icmp_echo_ignore_all || m.dst.is_broadcast() || m.dst.is_multicast()) return;
    wire::Icmpv4Repr reply = wire::Icmpv4Repr::echo_reply(r.echo_id(), r.echo_seq(), r.payload);
    IpSendArgs a;
    a.src = m.dst;
    a.dst = m.src;
    a.protocol = wire::kIpProtoIcmp;
    a.df = false;
    a.ident = static_cast<std::uint16_t>(h.rng_misc.next_u32());
    std::string cause;
    if (h.observed()) cause = "echo reply to " + m.src.to_string();
    h.counters().inc(Mib::kIcmpOutMsgs);
    auto res = ip_send(h, a, reply.buffer_len(), [&](wire::MutBytes out) { reply.emit(out); }, std::move(cause));
    (void)res;
    return;
  }
  if (!is_v4_error_type(type) || type == 5) return;  // replies and redirects: nothing to do
  if (type == 3) h.counters().inc(Mib::kIcmpInDestUnreachs);
  auto q = wire::parse_ipv4_quote(r.payload);
  if (!q) {
    h.counters().inc(Mib::kIcmpInErrors);
    h.frame_drop(m.frame, DropReason::kIcmpInvalid, "unreadable quote");
    return;
  }
  IcmpError e = icmp_classify_v4(type, r.code);
  if (e.err == Errno::kOk) return;
  e.info = r.rest & 0xffff;
  e.quote = *q;
  e.frame = m.frame;
  icmp_deliver_error(h, e, q->protocol);
}

void icmpv6_rcv(Host& h, const IpMeta& m, wire::Bytes message) {
  h.counters().inc(Mib::kIcmpInMsgs);
  auto parsed = wire::Icmpv6Repr::parse(message, m.src, m.dst, wire::ChecksumCheck::kVerify);
  if (!parsed) {
    h.counters().inc(Mib::kIcmpInErrors);
    if (parsed.error() == wire::WireError::kBadChecksum) {
      h.counters().inc(Mib::kIcmpInCsumErrors);
      h.frame_drop(m.frame, DropReason::kIcmpCsum);
    } else {
      h.frame_drop(m.frame, DropReason::kIcmpInvalid, std::string(wire::to_string(parsed.error())));
    }
    return;
  }
  const wire::Icmpv6Repr& r = *parsed;
  if (r.is_neighbor_discovery()) {
    if (m.ttl != 255) {  // RFC 4861 §7.1.1: must come from the link itself
      h.frame_drop(m.frame, DropReason::kIcmpInvalid, "NDP with hop limit " + std::to_string(m.ttl));
      return;
    }
    ndisc_rcv(h, m.ifindex, m.src, m.dst, message, m.frame);
    return;
  }
  if (r.type == wire::Icmpv6Type::kEchoRequest) {
    if (m.dst.is_multicast()) return;
    wire::Icmpv6Repr reply = wire::Icmpv6Repr::echo_reply(r.echo_id(), r.echo_seq(), r.payload);
    IpSendArgs a;
    a.src = m.dst;
    a.dst = m.src;
    a.protocol = wire::kIpProtoIcmpv6;
    a.oif = m.src.is_link_local() ? m.ifindex : 0;
    std::string cause;
    if (h.observed()) cause = "echo reply to " + m.src.to_string();
    h.counters().inc(Mib::kIcmpOutMsgs);
    auto res = ip_send(h, a, reply.buffer_len(), [&](wire::MutBytes out) { reply.emit(out, a.src, a.dst); },
                       std::move(cause));
    (void)res;
    return;
  }
  if (!r.is_error()) return;
  if (r.type == wire::Icmpv6Type::kDestUnreachable) h.counters().inc(Mib::kIcmpInDestUnreachs);
  auto q = wire::parse_ipv6_quote(r.payload);
  if (!q) {
    h.counters().inc(Mib::kIcmpInErrors);
    h.frame_drop(m.frame, DropReason::kIcmpInvalid, "unreadable quote");
    return;
  }
  IcmpError e = icmp_classify_v6(static_cast<std::uint8_t>(r.type), r.code);
  if (e.err == Errno::kOk) return;
  e.info = r.rest;
  e.quote = *q;
  e.frame = m.frame;
  icmp_deliver_error(h, e, q->protocol);
}

}  // namespace synlab::stack
