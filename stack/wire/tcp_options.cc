#include "stack/wire/tcp_options.h"

#include <algorithm>
#include <cstring>

namespace synlab::wire {

namespace {

// Option lengths fixed by their RFCs (Linux TCPOLEN_*).
constexpr std::size_t kLenMss = 4;
constexpr std::size_t kLenWindowScale = 3;
constexpr std::size_t kLenSackPermitted = 2;
constexpr std::size_t kLenTimestamps = 10;
constexpr std::size_t kLenSackBase = 2;
constexpr std::size_t kLenSackPerBlock = 8;
constexpr std::size_t kLenFastOpenBase = 2;
constexpr std::size_t kLenFastOpenExpBase = 4;  // kind, length, 16-bit magic

// Walks `area` as Linux's tcp_parse_options() does and calls f(kind, data) for every option
// with a sane length byte (NOP and EOL are not reported). Returns false when the walk stopped at
// a malformed length: a kind byte with no length byte after it, a length < 2, or one running
// past the area. Linux silently stops there; we report it so callers can count it.
template <class F>
bool walk_linux(Bytes area, F&& f) {
  std::size_t i = 0;
  while (i < area.size()) {
    const std::uint8_t kind = area[i];
    if (kind == tcp_opt::kEol) return true;
    if (kind == tcp_opt::kNop) {
      ++i;
      continue;
    }
    if (area.size() - i < 2) return false;
    const std::size_t len = area[i + 1];
    if (len < 2 || len > area.size() - i) return false;
    f(kind, area.subspan(i + 2, len - 2));
    i += len;
  }
  return true;
}

// Decodes a Fast Open option's data (after kind and length) into `out`; false when it is not one.
bool decode_fastopen(std::uint8_t kind, Bytes data, TcpFastOpen& out) {
  Bytes cookie;
  if (kind == tcp_opt::kFastOpen) {
    cookie = data;
  } else if (kind == tcp_opt::kExperimental && data.size() >= kLenFastOpenExpBase - 2 &&
             load_be16(data.data()) == tcp_opt::kFastOpenMagic) {
    cookie = data.subspan(2);
  } else {
    return false;
  }
  if (cookie.size() > TcpFastOpen::kMaxCookie) return false;
  out.experimental = kind == tcp_opt::kExperimental;
  out.cookie_bytes = {};
  std::copy(cookie.begin(), cookie.end(), out.cookie_bytes.begin());
  out.cookie_len = static_cast<std::uint8_t>(cookie.size());
  return true;
}

}  // namespace

// --- SackBlocks, TcpFastOpen ---

SackBlocks::SackBlocks(std::initializer_list<SackBlock> blocks) {
  for (const SackBlock& b : blocks) {
    if (!push_back(b)) break;
  }
}

bool SackBlocks::push_back(SackBlock b) {
  if (n_ == kCapacity) return false;
  blocks_[n_++] = b;
  return true;
}

bool SackBlocks::operator==(const SackBlocks& o) const {
  return std::equal(begin(), end(), o.begin(), o.end());
}

bool TcpFastOpen::operator==(const TcpFastOpen& o) const {
  return experimental == o.experimental && std::ranges::equal(cookie(), o.cookie());
}

// --- TcpOptions: storage ---

std::optional<TcpOptions> TcpOptions::from_bytes(Bytes raw) {
  if (raw.size() > kMaxLen) return std::nullopt;
  TcpOptions o;
  std::copy(raw.begin(), raw.end(), o.buf_.begin());
  o.len_ = static_cast<std::uint8_t>(raw.size());
  return o;
}

void TcpOptions::write(MutBytes out) const {
  std::memcpy(out.data(), buf_.data(), len_);
  std::memset(out.data() + len_, tcp_opt::kEol, wire_len() - len_);
}

bool TcpOptions::operator==(const TcpOptions& o) const {
  return std::ranges::equal(bytes(), o.bytes());
}

// --- TcpOptions: Linux-style readers ---

bool TcpOptions::well_formed() const {
  return walk_linux(bytes(), [](std::uint8_t, Bytes) {});
}

std::optional<std::uint16_t> TcpOptions::mss() const {
  std::optional<std::uint16_t> r;
  walk_linux(bytes(), [&](std::uint8_t kind, Bytes d) {
    if (kind == tcp_opt::kMss && d.size() == kLenMss - 2) r = load_be16(d.data());
  });
  return r;
}

std::optional<std::uint8_t> TcpOptions::window_scale() const {
  std::optional<std::uint8_t> r;
  walk_linux(bytes(), [&](std::uint8_t kind, Bytes d) {
    if (kind == tcp_opt::kWindowScale && d.size() == kLenWindowScale - 2) r = d[0];
  });
  return r;
}

bool TcpOptions::sack_permitted() const {
  bool r = false;
  walk_linux(bytes(), [&](std::uint8_t kind, Bytes d) {
    if (kind == tcp_opt::kSackPermitted && d.size() == kLenSackPermitted - 2) r = true;
  });
  return r;
}

std::optional<TcpTimestamps> TcpOptions::timestamps() const {
  std::optional<TcpTimestamps> r;
  walk_linux(bytes(), [&](std::uint8_t kind, Bytes d) {
    if (kind == tcp_opt::kTimestamps && d.size() == kLenTimestamps - 2) {
      r = TcpTimestamps{load_be32(d.data()), load_be32(d.data() + 4)};
    }
  });
  return r;
}

SackBlocks TcpOptions::sack_blocks() const {
  SackBlocks r;
  walk_linux(bytes(), [&](std::uint8_t kind, Bytes d) {
    // Linux: at least one block and a whole number of them (tcp_parse_options).
    if (kind != tcp_opt::kSack || d.empty() || d.size() % kLenSackPerBlock != 0) return;
    r = SackBlocks{};
    for (std::size_t i = 0; i < d.size(); i += kLenSackPerBlock) {
      r.push_back({load_be32(&d[i]), load_be32(&d[i + 4])});
    }
  });
  return r;
}

std::optional<TcpFastOpen> TcpOptions::fastopen() const {
  std::optional<TcpFastOpen> r;
  walk_linux(bytes(), [&](std::uint8_t kind, Bytes d) {
    TcpFastOpen fo;
    if (decode_fastopen(kind, d, fo)) r = fo;
  });
  return r;
}

// --- TcpOptions: iteration ---

void TcpOptions::Iterator::load() {
  if (rest_.empty()) {
    done_ = true;
    return;
  }
  cur_ = TcpOption{.kind = rest_[0]};
  if (cur_.kind == tcp_opt::kEol || cur_.kind == tcp_opt::kNop) {
    cur_.raw = rest_.first(1);
    return;
  }
  const std::size_t len = rest_.size() >= 2 ? rest_[1] : 0;
  if (len < 2 || len > rest_.size()) {
    cur_.raw = rest_;
    cur_.malformed = true;
    return;
  }
  cur_.raw = rest_.first(len);
  cur_.data = cur_.raw.subspan(2);
}

TcpOptions::Iterator& TcpOptions::Iterator::operator++() {
  if (cur_.malformed) {
    rest_ = {};
    done_ = true;
    return *this;
  }
  rest_ = rest_.subspan(cur_.raw.size());
  load();
  return *this;
}

// --- TcpOptions: building ---

std::uint8_t* TcpOptions::append(std::size_t n) {
  if (overflow_ || n > kMaxLen - len_) {
    overflow_ = true;  // sticky: the area stays a prefix of what was asked for
    return nullptr;
  }
  std::uint8_t* p = buf_.data() + len_;
  len_ = static_cast<std::uint8_t>(len_ + n);
  return p;
}

TcpOptions& TcpOptions::add_eol() {
  if (std::uint8_t* p = append(1)) p[0] = tcp_opt::kEol;
  return *this;
}

TcpOptions& TcpOptions::add_nop() {
  if (std::uint8_t* p = append(1)) p[0] = tcp_opt::kNop;
  return *this;
}

TcpOptions& TcpOptions::add_mss(std::uint16_t mss) {
  if (std::uint8_t* p = append(kLenMss)) {
    p[0] = tcp_opt::kMss;
    p[1] = kLenMss;
    store_be16(p + 2, mss);
  }
  return *this;
}

TcpOptions& TcpOptions::add_window_scale(std::uint8_t shift) {
  if (std::uint8_t* p = append(kLenWindowScale)) {
    p[0] = tcp_opt::kWindowScale;
    p[1] = kLenWindowScale;
    p[2] = shift;
  }
  return *this;
}

TcpOptions& TcpOptions::add_sack_permitted() {
  if (std::uint8_t* p = append(kLenSackPermitted)) {
    p[0] = tcp_opt::kSackPermitted;
    p[1] = kLenSackPermitted;
  }
  return *this;
}

TcpOptions& TcpOptions::add_timestamps(std::uint32_t val, std::uint32_t ecr) {
  if (std::uint8_t* p = append(kLenTimestamps)) {
    p[0] = tcp_opt::kTimestamps;
    p[1] = kLenTimestamps;
    store_be32(p + 2, val);
    store_be32(p + 6, ecr);
  }
  return *this;
}

TcpOptions& TcpOptions::add_sack(const SackBlocks& blocks) {
  const std::size_t len = kLenSackBase + blocks.size() * kLenSackPerBlock;
  if (std::uint8_t* p = append(len)) {
    p[0] = tcp_opt::kSack;
    p[1] = static_cast<std::uint8_t>(len);
    p += 2;
    for (const SackBlock& b : blocks) {
      store_be32(p, b.left);
      store_be32(p + 4, b.right);
      p += kLenSackPerBlock;
    }
  }
  return *this;
}

TcpOptions& TcpOptions::add_fastopen(Bytes cookie) {
  if (cookie.size() > TcpFastOpen::kMaxCookie) {
    overflow_ = true;
    return *this;
  }
  return add_raw(tcp_opt::kFastOpen, cookie);
}

TcpOptions& TcpOptions::add_fastopen_exp(Bytes cookie) {
  if (cookie.size() > TcpFastOpen::kMaxCookie) {
    overflow_ = true;
    return *this;
  }
  const std::size_t len = kLenFastOpenExpBase + cookie.size();
  if (std::uint8_t* p = append(len)) {
    p[0] = tcp_opt::kExperimental;
    p[1] = static_cast<std::uint8_t>(len);
    store_be16(p + 2, tcp_opt::kFastOpenMagic);
    std::copy(cookie.begin(), cookie.end(), p + 4);
  }
  return *this;
}

TcpOptions& TcpOptions::add_raw(std::uint8_t kind, Bytes data) {
  if (data.size() > kMaxLen - 2) {
    overflow_ = true;
    return *this;
  }
  if (std::uint8_t* p = append(2 + data.size())) {
    p[0] = kind;
    p[1] = static_cast<std::uint8_t>(2 + data.size());
    std::copy(data.begin(), data.end(), p + 2);
  }
  return *this;
}

// --- Linux's SYN layout ---

TcpOptions linux_syn_options(std::optional<std::uint16_t> mss, bool sack,
                             std::optional<std::pair<std::uint32_t, std::uint32_t>> ts,
                             std::optional<std::uint8_t> wscale,
                             const std::optional<TcpFastOpen>& fastopen) {
  // Each block below is one 32-bit word group of tcp_options_write(); Linux pads with NOPs in
  // front, so every option after MSS starts 4-aligned except where sackOK shares TS's word.
  TcpOptions o;
  if (mss) o.add_mss(*mss);
  if (ts) {
    if (sack) {
      o.add_sack_permitted();
    } else {
      o.add_nop().add_nop();
    }
    o.add_timestamps(ts->first, ts->second);
  } else if (sack) {
    o.add_nop().add_nop().add_sack_permitted();
  }
  if (wscale) o.add_nop().add_window_scale(*wscale);
  if (fastopen) {
    if (fastopen->experimental) {
      o.add_fastopen_exp(fastopen->cookie());
    } else {
      o.add_fastopen(fastopen->cookie());
    }
    // Linux pads the Fast Open option to a word with NOPs after it, not before.
    const std::size_t len =
        (fastopen->experimental ? kLenFastOpenExpBase : kLenFastOpenBase) + fastopen->cookie_len;
    if (len % 4 == 2) o.add_nop().add_nop();
  }
  return o;
}

}  // namespace synlab::wire
