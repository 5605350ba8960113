#include "harness/runner/packet_match.h"

#include <sstream>

#include "stack/wire/arp.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmp_names.h"
#include "stack/wire/icmp_quote.h"
#include "stack/wire/ip_protocol.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/packetdrill_format.h"
#include "stack/wire/tcp_options.h"
#include "stack/wire/udp.h"

namespace synlab::harness {
namespace {

using wire::Bytes;

void decode_transport(DecodedFrame& d, std::uint8_t proto, Bytes payload) {
  switch (proto) {
    case wire::kIpProtoTcp: {
      auto t = wire::TcpRepr::parse(payload, d.src, d.dst, wire::ChecksumCheck::kSkip);
      if (!t) {
        d.malformed = "bad TCP header";
        return;
      }
      d.kind = DecodedFrame::Kind::kTcp;
      d.sport = t->src_port;
      d.dport = t->dst_port;
      d.tcp_flags = t->flags;
      d.tcp_reserved = t->reserved;
      d.seq = t->seq;
      d.ack = t->ack;
      d.window = t->window;
      d.urgent = t->urgent;
      d.payload_len = static_cast<std::uint32_t>(t->payload.size());
      auto ob = t->options.bytes();
      d.tcp_options.assign(ob.begin(), ob.end());
      return;
    }
    case wire::kIpProtoUdp: {
      auto u = wire::UdpRepr::parse(payload, d.src, d.dst, wire::ChecksumCheck::kSkip);
      if (!u) {
        d.malformed = "bad UDP header";
        return;
      }
      d.kind = DecodedFrame::Kind::kUdp;
      d.sport = u->src_port;
      d.dport = u->dst_port;
      d.payload_len = static_cast<std::uint32_t>(u->payload.size());
      return;
    }
    case wire::kIpProtoIcmp: {
      auto m = wire::Icmpv4Repr::parse(payload, wire::ChecksumCheck::kSkip);
      if (!m) {
        d.malformed = "bad ICMP header";
        return;
      }
      d.kind = DecodedFrame::Kind::kIcmp;
      d.icmp_type = static_cast<std::uint8_t>(m->type);
      d.icmp_code = m->code;
      d.icmp_rest = m->rest;
      if (m->is_error()) {
        if (auto q = wire::parse_ipv4_quote(m->payload)) {
          d.quoted_seq = q->tcp_seq;
          if (q->ports) d.quoted_flow = std::make_tuple(q->src, q->ports->src, q->dst, q->ports->dst);
        }
      }
      return;
    }
    case wire::kIpProtoIcmpv6: {
      auto m = wire::Icmpv6Repr::parse(payload, d.src, d.dst, wire::ChecksumCheck::kSkip);
      if (!m) {
        d.malformed = "bad ICMPv6 header";
        return;
      }
      const auto type = static_cast<std::uint8_t>(m->type);
      d.kind = type >= 133 && type <= 137 ? DecodedFrame::Kind::kNdp : DecodedFrame::Kind::kIcmpv6;
      d.icmp_type = type;
      d.icmp_code = m->code;
      d.icmp_rest = m->rest;
      if (type < 128) {
        if (auto q = wire::parse_ipv6_quote(m->payload)) {
          d.quoted_seq = q->tcp_seq;
          if (q->ports) d.quoted_flow = std::make_tuple(q->src, q->ports->src, q->dst, q->ports->dst);
        }
      }
      return;
    }
    default:
      d.malformed = "IP protocol " + std::to_string(proto);
  }
}

std::string endpoint(const wire::IpAddr& a, std::optional<std::uint16_t> port, const HostOfAddress& owner) {
  std::string name = owner ? owner(a) : std::string();
  if (name.empty()) {
    name = a.is_v6() && port ? "[" + a.to_string() + "]" : a.to_string();
  }
  if (port) name += ":" + std::to_string(*port);
  return name;
}

std::string format_address(const Address& a) {
  std::string out;
  switch (a.kind) {
    case Address::Kind::kAnyHost:
      out = "*";
      break;
    case Address::Kind::kHost:
      out = a.host;
      break;
    case Address::Kind::kIp:
      if (a.ip.is_v6() && a.port.kind != PortSpec::Kind::kNone) {
        out = "[" + a.ip.to_string() + (a.scope_id ? "%" + std::to_string(*a.scope_id) : "") + "]";
      } else {
        out = a.ip.to_string();
      }
      break;
  }
  if (a.port.kind == PortSpec::Kind::kNumber) out += ":" + std::to_string(a.port.number);
  if (a.port.kind == PortSpec::Kind::kAny) out += ":*";
  return out;
}

std::string hex(const std::vector<std::uint8_t>& v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t b : v) {
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

std::string opt_value(const std::optional<std::uint32_t>& v) { return v ? std::to_string(*v) : "*"; }

std::string format_option_pattern(const TcpOptionPattern& o) {
  using K = TcpOptionPattern::Kind;
  switch (o.kind) {
    case K::kEol: return "eol";
    case K::kNop: return "nop";
    case K::kMss: return "mss " + opt_value(o.value);
    case K::kWindowScale: return "wscale " + opt_value(o.value);
    case K::kSackPermitted: return "sackOK";
    case K::kSack: {
      std::string s = "sack";
      for (const auto& [l, r] : o.sack) s += " " + std::to_string(l) + ":" + std::to_string(r);
      return s;
    }
    case K::kTimestamps: return "TS val " + opt_value(o.ts_val) + " ecr " + opt_value(o.ts_ecr);
    case K::kFastOpen: return o.data ? (o.data->empty() ? "FO" : "FO " + hex(*o.data)) : "FO *";
    case K::kFastOpenExp: return o.data ? (o.data->empty() ? "FOEXP" : "FOEXP " + hex(*o.data)) : "FOEXP *";
    case K::kMd5: return o.data ? "md5 " + hex(*o.data) : "md5 *";
    case K::kOther:
      return "kind " + std::to_string(o.kind_number) + (o.data ? (o.data->empty() ? "" : " " + hex(*o.data)) : " *");
  }
  return "?";
}

std::string seq_range(std::uint32_t start, std::uint32_t len) {
  return std::to_string(start) + ":" + std::to_string(start + len) + "(" + std::to_string(len) + ")";
}

std::string icmp_kind_text(bool v6, std::uint8_t type, std::uint8_t code) {
  if (v6) return "icmpv6 " + wire::icmpv6_type_keyword(type) + " " + wire::icmpv6_code_keyword(type, code);
  return "icmp " + wire::icmpv4_type_keyword(type) + " " + wire::icmpv4_code_keyword(type, code);
}

bool port_matches(const PortSpec& p, std::uint16_t actual) {
  return p.kind != PortSpec::Kind::kNumber || p.number == actual;
}

bool address_matches(const Address& a, const wire::IpAddr& ip, std::uint16_t port, bool has_port,
                     const std::string& known_host, const HostOfAddress& owner) {
  switch (a.kind) {
    case Address::Kind::kAnyHost:
      break;
    case Address::Kind::kHost: {
      const std::string h = known_host.empty() ? (owner ? owner(ip) : std::string()) : known_host;
      if (h != a.host) return false;
      break;
    }
    case Address::Kind::kIp:
      if (a.ip != ip) return false;
      break;
  }
  return !has_port || port_matches(a.port, port);
}

// A compact way to collect the first difference.
struct Diff {
  std::string out;
  template <class T, class U>
  void field(const char* what, const T& want, const U& got) {
    if (!out.empty() || want == static_cast<T>(got)) return;
    std::ostringstream s;
    s << "wrong " << what << ": expected " << want << ", got " << got;
    out = s.str();
  }
  void text(const char* what, const std::string& want, const std::string& got) {
    if (!out.empty() || want == got) return;
    out = std::string("wrong ") + what + ": expected " + want + ", got " + got;
  }
};

std::string compare_options(const TcpPattern& p, const DecodedFrame& f, std::uint32_t rcv_isn) {
  using K = TcpOptionPattern::Kind;
  auto opts = wire::TcpOptions::from_bytes(f.tcp_options);
  const std::string actual_text = opts ? wire::format_tcp_options(*opts) : "<malformed>";
  std::string want_text = "<";
  for (std::size_t i = 0; i < p.options.size(); ++i) {
    if (i) want_text += ",";
    want_text += format_option_pattern(p.options[i]);
  }
  want_text += ">";
  if (p.options_mode == TcpPattern::Options::kAny) return {};
  if (p.options_mode == TcpPattern::Options::kNone) {
    if (f.tcp_options.empty()) return {};
    return "unexpected TCP options: the script gives none, the packet has " + actual_text;
  }
  auto mismatch = [&](const std::string& why) {
    return "wrong TCP options (" + why + "): expected " + want_text + ", got " + actual_text;
  };
  if (!opts) return mismatch("malformed");
  std::vector<wire::TcpOption> got;
  for (const auto& o : *opts) {
    if (o.malformed) return mismatch("malformed");
    got.push_back(o);
  }
  // Trailing EOL padding (the area is padded to a word) is not an option the script writes,
  // unless it does.
  std::size_t n = got.size();
  if (p.options.empty() || p.options.back().kind != K::kEol) {
    while (n > 0 && got[n - 1].kind == wire::tcp_opt::kEol) --n;
  }
  if (n != p.options.size()) return mismatch(std::to_string(p.options.size()) + " options vs " + std::to_string(n));
  for (std::size_t i = 0; i < n; ++i) {
    const auto& w = p.options[i];
    const auto& g = got[i];
    const std::string which = "option " + std::to_string(i + 1);
    if (g.kind != w.kind_number) return mismatch(which + " is " + std::to_string(g.kind));
    auto be = [&](std::size_t off, std::size_t len) {
      std::uint32_t v = 0;
      for (std::size_t k = 0; k < len && off + k < g.data.size(); ++k) v = (v << 8) | g.data[off + k];
      return v;
    };
    switch (w.kind) {
      case K::kEol:
      case K::kNop:
      case K::kSackPermitted:
        break;
      case K::kMss:
        if (w.value && (g.data.size() != 2 || be(0, 2) != *w.value)) return mismatch(which + ": mss");
        break;
      case K::kWindowScale:
        if (w.value && (g.data.size() != 1 || be(0, 1) != *w.value)) return mismatch(which + ": wscale");
        break;
      case K::kTimestamps:
        if (g.data.size() != 8) return mismatch(which + ": TS length");
        if (w.ts_val && be(0, 4) != *w.ts_val) return mismatch(which + ": TS val");
        if (w.ts_ecr && be(4, 4) != *w.ts_ecr) return mismatch(which + ": TS ecr");
        break;
      case K::kSack: {
        if (g.data.size() != w.sack.size() * 8) return mismatch(which + ": number of SACK blocks");
        for (std::size_t b = 0; b < w.sack.size(); ++b) {
          if (be(b * 8, 4) - rcv_isn != w.sack[b].first || be(b * 8 + 4, 4) - rcv_isn != w.sack[b].second) {
            return mismatch(which + ": SACK block " + std::to_string(b + 1));
          }
        }
        break;
      }
      case K::kFastOpenExp: {
        if (g.data.size() < 2 || be(0, 2) != wire::tcp_opt::kFastOpenMagic) return mismatch(which + ": FOEXP magic");
        if (w.data && std::vector<std::uint8_t>(g.data.begin() + 2, g.data.end()) != *w.data) {
          return mismatch(which + ": cookie");
        }
        break;
      }
      case K::kFastOpen:
      case K::kMd5:
      case K::kOther:
        if (w.data && std::vector<std::uint8_t>(g.data.begin(), g.data.end()) != *w.data) {
          return mismatch(which + ": data");
        }
        break;
    }
  }
  return {};
}

}  // namespace

DecodedFrame decode_frame(wire::Bytes frame) {
  DecodedFrame d;
  auto eth = wire::EthernetRepr::parse(frame);
  if (!eth) {
    d.malformed = "bad Ethernet header";
    return d;
  }
  Bytes rest = frame.subspan(wire::EthernetRepr::kHeaderLen);
  switch (eth->ethertype) {
    case wire::kEtherTypeArp: {
      auto a = wire::ArpRepr::parse(rest);
      if (!a) {
        d.malformed = "bad ARP packet";
        return d;
      }
      d.kind = DecodedFrame::Kind::kArp;
      d.src = a->sender_ip;
      d.dst = a->target_ip;
      d.arp_request = a->op == wire::ArpOp::kRequest;
      return d;
    }
    case wire::kEtherTypeIpv4: {
      auto ip = wire::Ipv4Repr::parse(rest, wire::ChecksumCheck::kSkip);
      if (!ip) {
        d.malformed = "bad IPv4 header";
        return d;
      }
      d.src = ip->repr.src;
      d.dst = ip->repr.dst;
      decode_transport(d, ip->repr.protocol, ip->payload);
      return d;
    }
    case wire::kEtherTypeIpv6: {
      auto ip = wire::Ipv6Repr::parse(rest);
      if (!ip) {
        d.malformed = "bad IPv6 header";
        return d;
      }
      d.src = ip->repr.src;
      d.dst = ip->repr.dst;
      decode_transport(d, ip->repr.next_header, ip->payload);
      return d;
    }
    default:
      d.malformed = "ethertype " + std::to_string(eth->ethertype);
      return d;
  }
}

void SeqTracker::observe(const DecodedFrame& f) {
  if (f.kind != DecodedFrame::Kind::kTcp) return;
  if (f.tcp_flags & wire::tcp_flag::kSyn) isn_[Key{f.src, f.sport, f.dst, f.dport}] = f.seq;
}

std::uint32_t SeqTracker::sender_isn(const DecodedFrame& f) const { return isn(f.src, f.sport, f.dst, f.dport); }

std::uint32_t SeqTracker::receiver_isn(const DecodedFrame& f) const { return isn(f.dst, f.dport, f.src, f.sport); }

std::uint32_t SeqTracker::isn(const wire::IpAddr& src, std::uint16_t sport, const wire::IpAddr& dst,
                              std::uint16_t dport) const {
  auto it = isn_.find(Key{src, sport, dst, dport});
  return it == isn_.end() ? 0 : it->second;
}

void SeqTracker::set_isn(const wire::IpAddr& src, std::uint16_t sport, const wire::IpAddr& dst,
                         std::uint16_t dport, std::uint32_t isn) {
  isn_[Key{src, sport, dst, dport}] = isn;
}

std::string format_actual(const DecodedFrame& f, const SeqTracker& seqs, const HostOfAddress& owner) {
  using K = DecodedFrame::Kind;
  const bool ports = f.kind == K::kTcp || f.kind == K::kUdp;
  std::string s = endpoint(f.src, ports ? std::optional<std::uint16_t>(f.sport) : std::nullopt, owner) + " > " +
                  endpoint(f.dst, ports ? std::optional<std::uint16_t>(f.dport) : std::nullopt, owner) + " ";
  if (!f.malformed.empty()) return s + "malformed: " + f.malformed;
  switch (f.kind) {
    case K::kTcp: {
      const std::uint32_t sisn = seqs.sender_isn(f), risn = seqs.receiver_isn(f);
      s += wire::format_tcp_flags(f.tcp_flags, f.tcp_reserved) + " " + seq_range(f.seq - sisn, f.payload_len);
      if (f.tcp_flags & wire::tcp_flag::kAck) s += " ack " + std::to_string(f.ack - risn);
      s += " win " + std::to_string(f.window);
      if ((f.tcp_flags & wire::tcp_flag::kUrg) || f.urgent) s += " urg " + std::to_string(f.urgent);
      if (!f.tcp_options.empty()) {
        if (auto o = wire::TcpOptions::from_bytes(f.tcp_options)) s += " " + wire::format_tcp_options(*o);
      }
      return s;
    }
    case K::kUdp:
      return s + "udp (" + std::to_string(f.payload_len) + ")";
    case K::kIcmp:
    case K::kIcmpv6:
    case K::kNdp: {
      s += icmp_kind_text(f.kind != K::kIcmp, f.icmp_type, f.icmp_code);
      if (f.kind == K::kIcmp && f.icmp_type == 3 && f.icmp_code == 4) s += " mtu " + std::to_string(f.icmp_rest & 0xffff);
      if (f.kind == K::kIcmpv6 && f.icmp_type == 2) s += " mtu " + std::to_string(f.icmp_rest);
      if (f.quoted_seq && f.quoted_flow) {
        const auto& [qs, qsp, qd, qdp] = *f.quoted_flow;
        const std::uint32_t isn = seqs.isn(qs, qsp, qd, qdp);
        s += " [" + std::to_string(*f.quoted_seq - isn) + "]";
      }
      return s;
    }
    case K::kArp:
      return f.arp_request ? "arp who-has " + f.dst.to_string() + " tell " + f.src.to_string()
                           : "arp reply " + f.src.to_string();
    case K::kOther:
      break;
  }
  return s + "?";
}

std::string format_pattern(const PacketPattern& p) {
  std::string s = format_address(p.src) + " > " + format_address(p.dst);
  if (const auto* t = std::get_if<TcpPattern>(&p.detail)) {
    s += " " + t->flags.text;
    if (t->seq) s += " " + seq_range(t->seq->start, t->seq->len);
    if (t->ack) s += " ack " + std::to_string(*t->ack);
    if (t->win) s += " win " + std::to_string(*t->win);
    if (t->urg) s += " urg " + std::to_string(*t->urg);
    if (t->options_mode == TcpPattern::Options::kAny) s += " <...>";
    if (t->options_mode == TcpPattern::Options::kList) {
      s += " <";
      for (std::size_t i = 0; i < t->options.size(); ++i) s += (i ? "," : "") + format_option_pattern(t->options[i]);
      s += ">";
    }
  } else if (const auto* u = std::get_if<UdpPattern>(&p.detail)) {
    s += " udp";
    if (u->len) s += " (" + std::to_string(*u->len) + ")";
  } else if (const auto* i = std::get_if<IcmpPattern>(&p.detail)) {
    s += std::string(i->v6 ? " icmpv6 " : " icmp ") + i->type_name;
    if (!i->code_name.empty()) s += " " + i->code_name;
    if (i->mtu) s += " mtu " + std::to_string(*i->mtu);
    if (i->quoted_seq) s += " [" + seq_range(i->quoted_seq->start, i->quoted_seq->len) + "]";
  } else if (const auto* a = std::get_if<ArpPattern>(&p.detail)) {
    if (a->op == ArpPattern::Op::kRequest) {
      s += " arp who-has";
      if (a->target) s += " " + a->target->to_string();
      if (a->sender) s += " tell " + a->sender->to_string();
    } else {
      s += " arp reply";
      if (a->sender) s += " " + a->sender->to_string();
    }
  }
  return s;
}

bool endpoints_match(const PacketPattern& p, const DecodedFrame& f, const std::string& src_host,
                     const HostOfAddress& owner) {
  const bool ports = f.kind == DecodedFrame::Kind::kTcp || f.kind == DecodedFrame::Kind::kUdp;
  return address_matches(p.src, f.src, f.sport, ports, src_host, owner) &&
         address_matches(p.dst, f.dst, f.dport, ports, std::string(), owner);
}

std::string compare_fields(const PacketPattern& p, const DecodedFrame& f, const SeqTracker& seqs) {
  using K = DecodedFrame::Kind;
  static constexpr const char* kKindNames[] = {"TCP", "UDP", "ICMP", "ICMPv6", "ARP", "NDP", "other"};
  const char* got_kind = f.malformed.empty() ? kKindNames[static_cast<int>(f.kind)] : "malformed";
  auto kind_mismatch = [&](const char* want) {
    return std::string("wrong protocol: expected ") + want + ", got " + got_kind;
  };
  if (const auto* t = std::get_if<TcpPattern>(&p.detail)) {
    if (f.kind != K::kTcp || !f.malformed.empty()) return kind_mismatch("TCP");
    Diff d;
    const std::uint8_t want_reserved_ae = t->flags.ae ? wire::kTcpReservedAe : 0;
    d.text("TCP flags", wire::format_tcp_flags(t->flags.bits, want_reserved_ae),
           wire::format_tcp_flags(f.tcp_flags, f.tcp_reserved & wire::kTcpReservedAe));
    const std::uint32_t sisn = seqs.sender_isn(f), risn = seqs.receiver_isn(f);
    if (t->seq) {
      d.field("TCP sequence number", t->seq->start, f.seq - sisn);
      d.field("TCP payload length", t->seq->len, f.payload_len);
    }
    if (t->ack) {
      if (d.out.empty() && !(f.tcp_flags & wire::tcp_flag::kAck)) d.out = "wrong TCP ack: the packet has no ACK flag";
      d.field("TCP ack number", *t->ack, f.ack - risn);
    }
    if (t->win) d.field("TCP window", *t->win, f.window);
    if (t->urg) d.field("TCP urgent pointer", *t->urg, f.urgent);
    if (!d.out.empty()) return d.out;
    return compare_options(*t, f, risn);
  }
  if (const auto* u = std::get_if<UdpPattern>(&p.detail)) {
    if (f.kind != K::kUdp || !f.malformed.empty()) return kind_mismatch("UDP");
    Diff d;
    if (u->len) d.field("UDP payload length", *u->len, f.payload_len);
    return d.out;
  }
  if (const auto* i = std::get_if<IcmpPattern>(&p.detail)) {
    const bool ok_kind = i->v6 ? (f.kind == K::kIcmpv6 || f.kind == K::kNdp) : f.kind == K::kIcmp;
    if (!ok_kind || !f.malformed.empty()) return kind_mismatch(i->v6 ? "ICMPv6" : "ICMP");
    Diff d;
    d.text("ICMP type", icmp_kind_text(i->v6, i->type, i->code_name.empty() ? f.icmp_code : i->code),
           icmp_kind_text(i->v6, f.icmp_type, f.icmp_code));
    if (i->mtu) d.field("ICMP mtu", *i->mtu, i->v6 ? f.icmp_rest : (f.icmp_rest & 0xffff));
    if (i->quoted_seq && d.out.empty()) {
      if (!f.quoted_seq || !f.quoted_flow) return "wrong ICMP quote: no TCP segment quoted";
      const auto& [qs, qsp, qd, qdp] = *f.quoted_flow;
      d.field("quoted TCP sequence number", i->quoted_seq->start, *f.quoted_seq - seqs.isn(qs, qsp, qd, qdp));
    }
    return d.out;
  }
  if (const auto* a = std::get_if<ArpPattern>(&p.detail)) {
    if (f.kind != K::kArp) return kind_mismatch("ARP");
    Diff d;
    const bool want_request = a->op == ArpPattern::Op::kRequest;
    d.text("ARP operation", want_request ? "request" : "reply", f.arp_request ? "request" : "reply");
    if (want_request) {
      if (a->target) d.text("ARP target", a->target->to_string(), f.dst.to_string());
      if (a->sender) d.text("ARP sender", a->sender->to_string(), f.src.to_string());
    } else if (a->sender) {
      d.text("ARP sender", a->sender->to_string(), f.src.to_string());
    }
    return d.out;
  }
  return {};  // kAny
}

}  // namespace synlab::harness
