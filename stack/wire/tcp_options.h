// The TCP options area (RFC 9293 §3.1, RFC 7323 timestamps and window scale, RFC 2018 SACK,
// RFC 7413 Fast Open), kept as the raw bytes that were on the wire.
//
// Keeping bytes instead of a struct of fields is what lets a parsed segment re-emit
// byte-identically and lets a script insist on option ORDER and NOP placement, which Linux and
// every middlebox are sensitive to. Typed accessors walk the bytes on demand; builders append
// in the caller's order. Nothing here allocates.
//
// Two walks, on purpose:
//  - The typed accessors (mss(), timestamps(), ...) and well_formed() walk as Linux's
//    tcp_parse_options() does: EOL ends the list; an option whose length byte is < 2 or runs
//    past the area ends the walk without rejecting the segment (Linux ignores the rest). An
//    option of a known kind with the wrong length is skipped, and when a kind repeats the last
//    one wins, because Linux overwrites as it walks.
//  - Iteration (`for (const TcpOption& o : opts)`) visits every byte, EOLs included, and
//    reports a broken tail as one `malformed` entry; that is what printers and exact
//    comparisons need.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <span>
#include <utility>

#include "stack/wire/bytes.h"

namespace synlab::wire {

// Option kinds (IANA "TCP Option Kind Numbers").
namespace tcp_opt {
inline constexpr std::uint8_t kEol = 0;
inline constexpr std::uint8_t kNop = 1;
inline constexpr std::uint8_t kMss = 2;
inline constexpr std::uint8_t kWindowScale = 3;
inline constexpr std::uint8_t kSackPermitted = 4;
inline constexpr std::uint8_t kSack = 5;
inline constexpr std::uint8_t kTimestamps = 8;
inline constexpr std::uint8_t kMd5 = 19;            // RFC 2385
inline constexpr std::uint8_t kFastOpen = 34;       // RFC 7413
inline constexpr std::uint8_t kExperimental = 254;  // RFC 6994; Fast Open used it before 34
// RFC 6994 ExID that marks kind 254 as the pre-RFC Fast Open option (Linux TCPOPT_FASTOPEN_MAGIC,
// packetdrill's FOEXP).
inline constexpr std::uint16_t kFastOpenMagic = 0xF989;
}  // namespace tcp_opt

struct TcpTimestamps {
  std::uint32_t val = 0;
  std::uint32_t ecr = 0;
  bool operator==(const TcpTimestamps&) const = default;
};

struct SackBlock {
  std::uint32_t left = 0;
  std::uint32_t right = 0;
  bool operator==(const SackBlock&) const = default;
};

// Up to 4 SACK blocks: the most a 40-byte options area can hold (RFC 2018 §3). Fixed capacity so
// reading them never allocates.
class SackBlocks {
 public:
  static constexpr std::size_t kCapacity = 4;

  SackBlocks() = default;
  SackBlocks(std::initializer_list<SackBlock> blocks);  // at most kCapacity; extras dropped

  // False (and nothing added) when already full.
  bool push_back(SackBlock b);
  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const SackBlock& operator[](std::size_t i) const { return blocks_[i]; }
  const SackBlock* begin() const { return blocks_.data(); }
  const SackBlock* end() const { return blocks_.data() + n_; }
  bool operator==(const SackBlocks& o) const;

 private:
  std::array<SackBlock, kCapacity> blocks_{};
  std::size_t n_ = 0;
};

// A Fast Open option: kind 34 (RFC 7413 §4.1.1) or the experimental kind 254 + 0xF989. An empty
// cookie is a cookie request. The bytes are reported as received (0..16 of them); whether the
// length is valid (even, 4..16) is the stack's decision, as in Linux's tcp_parse_fastopen_option.
struct TcpFastOpen {
  static constexpr std::size_t kMaxCookie = 16;

  bool experimental = false;
  std::array<std::uint8_t, kMaxCookie> cookie_bytes{};
  std::uint8_t cookie_len = 0;

  Bytes cookie() const { return {cookie_bytes.data(), cookie_len}; }
  bool is_request() const { return cookie_len == 0; }
  bool operator==(const TcpFastOpen& o) const;
};

// One option as found by iteration. For EOL and NOP, `data` is empty and `raw` is 1 byte.
struct TcpOption {
  std::uint8_t kind = 0;
  Bytes data;              // the bytes after kind and length
  Bytes raw;               // the whole option as on the wire
  bool malformed = false;  // length < 2 or past the area: `raw` holds everything left
};

class TcpOptions {
 public:
  // RFC 9293: data offset is at most 15 words, 5 of them the fixed header.
  static constexpr std::size_t kMaxLen = 40;

  TcpOptions() = default;

  // The options area exactly as on the wire; nullopt when longer than kMaxLen.
  static std::optional<TcpOptions> from_bytes(Bytes raw);

  // The bytes as stored: as received, or as built (possibly not yet 4-aligned).
  Bytes bytes() const { return {buf_.data(), len_}; }
  std::size_t size() const { return len_; }
  bool empty() const { return len_ == 0; }
  // Bytes this area takes in a header: size() rounded up to a multiple of 4.
  std::size_t wire_len() const { return (len_ + 3u) & ~std::size_t{3}; }
  // Writes wire_len() bytes: the stored bytes, then EOL (zero) padding.
  void write(MutBytes out) const;

  // --- Reading, Linux-style (see the file comment) ---
  // True when the walk reached the end, or an EOL, without a malformed length.
  bool well_formed() const;
  std::optional<std::uint16_t> mss() const;
  // The shift as sent. RFC 7323 §2.3 caps it at 14; clamping is the receiver's job (Linux
  // clamps in tcp_parse_options and logs).
  std::optional<std::uint8_t> window_scale() const;
  bool sack_permitted() const;
  std::optional<TcpTimestamps> timestamps() const;
  SackBlocks sack_blocks() const;  // empty when absent
  // Kind 34, or else kind 254 with the Fast Open magic.
  std::optional<TcpFastOpen> fastopen() const;

  // --- Iteration over every option, unknown kinds and EOL padding included ---
  class Iterator {
   public:
    using value_type = TcpOption;
    using difference_type = std::ptrdiff_t;

    Iterator() = default;
    explicit Iterator(Bytes rest) : rest_(rest) { load(); }
    const TcpOption& operator*() const { return cur_; }
    const TcpOption* operator->() const { return &cur_; }
    Iterator& operator++();
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return done_; }

   private:
    void load();
    Bytes rest_;
    TcpOption cur_;
    bool done_ = false;
  };
  Iterator begin() const { return Iterator(bytes()); }
  std::default_sentinel_t end() const { return {}; }

  // --- Building: appends in the order called ---
  // An append that would pass kMaxLen writes nothing and sets overflowed(); check it once after
  // building. Appends return *this so they chain.
  TcpOptions& add_eol();
  TcpOptions& add_nop();
  TcpOptions& add_mss(std::uint16_t mss);
  TcpOptions& add_window_scale(std::uint8_t shift);
  TcpOptions& add_sack_permitted();
  TcpOptions& add_timestamps(std::uint32_t val, std::uint32_t ecr);
  TcpOptions& add_sack(const SackBlocks& blocks);
  // Kind 34; an empty cookie is a cookie request. Cookies longer than 16 bytes overflow.
  TcpOptions& add_fastopen(Bytes cookie);
  // Kind 254, magic 0xF989 (packetdrill's FOEXP).
  TcpOptions& add_fastopen_exp(Bytes cookie);
  // Any kind with a length byte: kind, 2 + data.size(), data.
  TcpOptions& add_raw(std::uint8_t kind, Bytes data);
  bool overflowed() const { return overflow_; }

  // Byte equality (order and NOPs matter; a padded and an unpadded area differ).
  bool operator==(const TcpOptions& o) const;

 private:
  // Reserves n bytes at the end; nullptr (and overflow_ set) when they do not fit.
  std::uint8_t* append(std::size_t n);

  std::array<std::uint8_t, kMaxLen> buf_{};
  std::uint8_t len_ = 0;
  bool overflow_ = false;
};

// The SYN / SYN-ACK options exactly as Linux lays them out (tcp_options_write() in
// net/ipv4/tcp_output.c), each option only when given:
//   MSS                          02 04 mm mm
//   sackOK with timestamps       04 02 08 0a val ecr   (sackOK takes the NOPs' place)
//   timestamps without sackOK    01 01 08 0a val ecr
//   sackOK without timestamps    01 01 04 02
//   window scale                 01 03 03 ss
// So all on: <mss,sackOK,TS,nop,wscale>; timestamps off: <mss,nop,nop,sackOK,nop,wscale>.
// A SYN-ACK uses the same writer, with each option present only when the peer offered it.
// A Fast Open option goes last (after window scale), followed by two NOPs when its length is
// not a multiple of 4: <...,wscale 8,FO,nop,nop> for a cookie request.
TcpOptions linux_syn_options(std::optional<std::uint16_t> mss, bool sack,
                             std::optional<std::pair<std::uint32_t, std::uint32_t>> ts,
                             std::optional<std::uint8_t> wscale,
                             const std::optional<TcpFastOpen>& fastopen = std::nullopt);

}  // namespace synlab::wire
