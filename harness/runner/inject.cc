#include "harness/runner/inject.h"

#include "stack/wire/ethernet.h"
#include "stack/wire/icmp_quote.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ip_protocol.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"

namespace synlab::harness {
namespace {

using wire::Bytes;
using wire::MutBytes;

std::vector<std::uint8_t> frame_around(const InjectAddressing& a, std::uint8_t proto, std::size_t l4_len,
                                       std::size_t* l4_off) {
  const bool v6 = a.dst.is_v6();
  const std::size_t ip_len = v6 ? wire::kIpv6HeaderLen : wire::kIpv4HeaderLen;
  std::vector<std::uint8_t> f(wire::kEthernetHeaderLen + ip_len + l4_len);
  wire::EthernetRepr eth{a.dst_mac, a.src_mac, v6 ? wire::kEtherTypeIpv6 : wire::kEtherTypeIpv4};
  eth.emit(MutBytes(f).first(wire::kEthernetHeaderLen));
  if (v6) {
    wire::Ipv6Repr ip;
    ip.src = a.src;
    ip.dst = a.dst;
    ip.next_header = proto;
    ip.payload_len = static_cast<std::uint16_t>(l4_len);
    ip.emit(MutBytes(f).subspan(wire::kEthernetHeaderLen, ip_len));
  } else {
    wire::Ipv4Repr ip;
    ip.src = a.src;
    ip.dst = a.dst;
    ip.protocol = proto;
    ip.payload_len = static_cast<std::uint16_t>(l4_len);
    ip.emit(MutBytes(f).subspan(wire::kEthernetHeaderLen, ip_len));
  }
  *l4_off = wire::kEthernetHeaderLen + ip_len;
  return f;
}

bool build_options(const TcpPattern& t, std::uint32_t ack_base, wire::TcpOptions* out, std::string* error) {
  using K = TcpOptionPattern::Kind;
  for (const auto& o : t.options) {
    auto need = [&](bool ok) {
      if (!ok) *error = "an injected packet's options must give every value (no '*')";
      return ok;
    };
    switch (o.kind) {
      case K::kEol: out->add_eol(); break;
      case K::kNop: out->add_nop(); break;
      case K::kMss:
        if (!need(o.value.has_value())) return false;
        out->add_mss(static_cast<std::uint16_t>(*o.value));
        break;
      case K::kWindowScale:
        if (!need(o.value.has_value())) return false;
        out->add_window_scale(static_cast<std::uint8_t>(*o.value));
        break;
      case K::kSackPermitted: out->add_sack_permitted(); break;
      case K::kTimestamps:
        if (!need(o.ts_val && o.ts_ecr)) return false;
        out->add_timestamps(*o.ts_val, *o.ts_ecr);
        break;
      case K::kSack: {
        wire::SackBlocks b;
        for (const auto& [l, r] : o.sack) b.push_back({l + ack_base, r + ack_base});
        out->add_sack(b);
        break;
      }
      case K::kFastOpen:
        if (!need(o.data.has_value())) return false;
        out->add_fastopen(*o.data);
        break;
      case K::kFastOpenExp:
        if (!need(o.data.has_value())) return false;
        out->add_fastopen_exp(*o.data);
        break;
      case K::kMd5:
      case K::kOther:
        if (!need(o.data.has_value())) return false;
        out->add_raw(o.kind_number, *o.data);
        break;
    }
  }
  if (out->overflowed()) {
    *error = "an injected packet's options do not fit in 40 bytes";
    return false;
  }
  return true;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> build_inject_frame(const PacketPattern& p, const InjectAddressing& a,
                                                            std::string* error) {
  std::size_t off = 0;
  if (const auto* t = std::get_if<TcpPattern>(&p.detail)) {
    wire::TcpRepr tcp;
    tcp.src_port = a.sport;
    tcp.dst_port = a.dport;
    tcp.flags = t->flags.bits;
    tcp.reserved = t->flags.ae ? wire::kTcpReservedAe : 0;
    tcp.seq = (t->seq ? t->seq->start : 0) + a.seq_base;
    tcp.ack = t->ack ? *t->ack + a.ack_base : 0;
    tcp.window = static_cast<std::uint16_t>(t->win.value_or(65535));
    tcp.urgent = static_cast<std::uint16_t>(t->urg.value_or(0));
    if (t->options_mode == TcpPattern::Options::kAny) {
      *error = "an injected packet cannot have '<...>' options: write them out";
      return std::nullopt;
    }
    if (!build_options(*t, a.ack_base, &tcp.options, error)) return std::nullopt;
    const std::vector<std::uint8_t> payload(t->seq ? t->seq->len : 0, 0);
    tcp.payload = payload;
    auto f = frame_around(a, wire::kIpProtoTcp, tcp.buffer_len(), &off);
    tcp.emit(MutBytes(f).subspan(off), a.src, a.dst);
    return f;
  }
  if (const auto* u = std::get_if<UdpPattern>(&p.detail)) {
    wire::UdpRepr udp;
    udp.src_port = a.sport;
    udp.dst_port = a.dport;
    const std::vector<std::uint8_t> payload(u->len.value_or(0), 0);
    udp.payload = payload;
    auto f = frame_around(a, wire::kIpProtoUdp, udp.buffer_len(), &off);
    udp.emit(MutBytes(f).subspan(off), a.src, a.dst);
    return f;
  }
  if (const auto* i = std::get_if<IcmpPattern>(&p.detail)) {
    if (i->v6 != a.dst.is_v6()) {
      *error = std::string("cannot send ") + (i->v6 ? "ICMPv6 to an IPv4" : "ICMP to an IPv6") + " address";
      return std::nullopt;
    }
    if (i->v6) {
      wire::Icmpv6Repr m;
      m.type = static_cast<wire::Icmpv6Type>(i->type);
      m.code = i->code;
      m.rest = i->mtu.value_or(0);
      const Bytes quote = wire::icmpv6_error_quote(a.quote);
      m.payload = quote;
      auto f = frame_around(a, wire::kIpProtoIcmpv6, m.buffer_len(), &off);
      m.emit(MutBytes(f).subspan(off), a.src, a.dst);
      return f;
    }
    wire::Icmpv4Repr m;
    m.type = static_cast<wire::Icmpv4Type>(i->type);
    m.code = i->code;
    m.rest = i->mtu.value_or(0) & 0xffff;
    const Bytes quote = wire::icmpv4_error_quote(a.quote);
    m.payload = quote;
    auto f = frame_around(a, wire::kIpProtoIcmp, m.buffer_len(), &off);
    m.emit(MutBytes(f).subspan(off));
    return f;
  }
  *error = "this kind of packet cannot be injected";
  return std::nullopt;
}

std::vector<std::uint8_t> wrap_raw_ip(const std::vector<std::uint8_t>& ip, const sim::MacAddr& src,
                                      const sim::MacAddr& dst) {
  std::vector<std::uint8_t> f(wire::kEthernetHeaderLen + ip.size());
  const bool v6 = !ip.empty() && (ip[0] >> 4) == 6;
  wire::EthernetRepr eth{dst, src, v6 ? wire::kEtherTypeIpv6 : wire::kEtherTypeIpv4};
  eth.emit(MutBytes(f).first(wire::kEthernetHeaderLen));
  std::copy(ip.begin(), ip.end(), f.begin() + wire::kEthernetHeaderLen);
  return f;
}

}  // namespace synlab::harness
