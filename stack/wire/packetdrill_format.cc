#include "stack/wire/packetdrill_format.h"

#include <fmt/format.h>

namespace synlab::wire {

namespace {

void append_hex(std::string& out, Bytes b) {
  for (std::uint8_t x : b) fmt::format_to(std::back_inserter(out), "{:02x}", x);
}

// The typed rendering of one well-delimited option, or false when its length does not fit its
// kind (then the caller prints it generically).
bool append_known(std::string& out, const TcpOption& o) {
  const Bytes d = o.data;
  auto it = std::back_inserter(out);
  switch (o.kind) {
    case tcp_opt::kEol:
      out += "eol";
      return true;
    case tcp_opt::kNop:
      out += "nop";
      return true;
    case tcp_opt::kMss:
      if (d.size() != 2) return false;
      fmt::format_to(it, "mss {}", load_be16(d.data()));
      return true;
    case tcp_opt::kWindowScale:
      if (d.size() != 1) return false;
      fmt::format_to(it, "wscale {}", d[0]);
      return true;
    case tcp_opt::kSackPermitted:
      if (!d.empty()) return false;
      out += "sackOK";
      return true;
    case tcp_opt::kSack:
      if (d.empty() || d.size() % 8 != 0) return false;
      out += "sack";
      for (std::size_t i = 0; i < d.size(); i += 8) {
        fmt::format_to(it, " {}:{}", load_be32(&d[i]), load_be32(&d[i + 4]));
      }
      return true;
    case tcp_opt::kTimestamps:
      if (d.size() != 8) return false;
      fmt::format_to(it, "TS val {} ecr {}", load_be32(d.data()), load_be32(d.data() + 4));
      return true;
    case tcp_opt::kMd5:
      if (d.size() > 16) return false;
      out += "md5";
      break;  // digest printed below
    case tcp_opt::kFastOpen:
      if (d.size() > TcpFastOpen::kMaxCookie) return false;
      out += "FO";
      break;  // cookie printed below
    case tcp_opt::kExperimental:
      if (d.size() < 2 || load_be16(d.data()) != tcp_opt::kFastOpenMagic ||
          d.size() - 2 > TcpFastOpen::kMaxCookie) {
        return false;
      }
      out += "FOEXP";
      if (d.size() > 2) {
        out += ' ';
        append_hex(out, d.subspan(2));
      }
      return true;
    default:
      return false;
  }
  if (!d.empty()) {
    out += ' ';
    append_hex(out, d);
  }
  return true;
}

}  // namespace

std::string format_tcp_flags(std::uint8_t flags, std::uint8_t reserved) {
  std::string s;
  if (flags & tcp_flag::kFin) s += 'F';
  if (flags & tcp_flag::kSyn) s += 'S';
  if (flags & tcp_flag::kRst) s += 'R';
  if (flags & tcp_flag::kPsh) s += 'P';
  if (flags & tcp_flag::kUrg) s += 'U';
  if (flags & tcp_flag::kEce) s += 'E';
  if (flags & tcp_flag::kCwr) s += 'W';
  if (reserved & kTcpReservedAe) s += 'A';
  if (flags & tcp_flag::kAck) s += '.';
  if (s.empty()) s += '-';
  return s;
}

std::string format_tcp_options(const TcpOptions& options) {
  std::string s = "<";
  bool first = true;
  for (const TcpOption& o : options) {
    if (!first) s += ',';
    first = false;
    if (o.malformed) {
      s += "malformed ";
      append_hex(s, o.raw);
    } else if (!append_known(s, o)) {
      fmt::format_to(std::back_inserter(s), "kind {}", o.kind);
      if (!o.data.empty()) {
        s += ' ';
        append_hex(s, o.data);
      }
    }
  }
  s += '>';
  return s;
}

std::string format_tcp(const TcpRepr& tcp) {
  const auto len = static_cast<std::uint32_t>(tcp.payload.size());
  std::string s = format_tcp_flags(tcp.flags, tcp.reserved);
  auto it = std::back_inserter(s);
  fmt::format_to(it, " {}:{}({})", tcp.seq, tcp.seq + len, len);
  if (tcp.has(tcp_flag::kAck)) fmt::format_to(it, " ack {}", tcp.ack);
  fmt::format_to(it, " win {}", tcp.window);
  if (tcp.has(tcp_flag::kUrg) || tcp.urgent != 0) fmt::format_to(it, " urg {}", tcp.urgent);
  if (!tcp.options.empty()) {
    s += ' ';
    s += format_tcp_options(tcp.options);
  }
  return s;
}

std::string format_udp(const UdpRepr& udp) {
  return fmt::format("udp ({})", udp.payload.size());
}

}  // namespace synlab::wire
