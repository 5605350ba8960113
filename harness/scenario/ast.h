// The scenario AST: what parse_scenario() produces and the runner executes.
//
// Plain data, no behaviour. Everything the language can say is here, already checked and
// expanded by the parser, so the runner never re-reads text:
//  - groups (`host client{1..5} 10.0.0.{11..15}/24`) are expanded into one declaration each,
//    and `repeat ... end` blocks into plain events, each keeping the location of its line in
//    the repeat body and the loop values that produced it (Event::repeat);
//  - every time is resolved to an instant on the virtual clock (Event::at), by the rules in
//    docs/scenario-language.md "Time": the runner never adds relative times up;
//  - events are in the order the runner must execute them: by time, and for equal times in
//    script order (expanded repeat iterations are merged by time);
//  - names (hosts, links, counters, drop reasons, TCP states, sysctls, errno, symbols,
//    personalities, ICMP keywords) were looked up while parsing; a name in this tree is known
//    to exist. Symbols carry their Linux values (harness/scenario/symbols.h).
//
// Every node carries a SourceLoc (file, 1-based line and column) so any later error, a
// failed expectation included, can point at the script. The file name is shared by all the
// nodes of one parse.
//
// The only non-standard types are sim::Duration / sim::Time (integer nanoseconds) and
// wire::IpAddr / wire::IpPrefix (addresses as values). Nothing here needs a running stack.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/time.h"
#include "stack/wire/ip_address.h"

namespace synlab::harness {

// ---------------------------------------------------------------------------------------
// Locations
// ---------------------------------------------------------------------------------------

struct SourceLoc {
  std::shared_ptr<const std::string> file;  // shared by every node of one parse
  int line = 0;                             // 1-based
  int col = 0;                              // 1-based, in characters (UTF-8 code points)

  std::string_view file_name() const { return file ? std::string_view(*file) : std::string_view(); }
  // "path/to/x.scn:12:3"
  std::string to_string() const {
    return std::string(file_name()) + ":" + std::to_string(line) + ":" + std::to_string(col);
  }
};

// ---------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------

// A time prefix as written. The parser also resolves it (Event::at, Event::latest), so the
// runner only needs this to print the line back.
struct TimeSpec {
  enum class Kind : std::uint8_t {
    kAbsolute,  // `0.100`, `100ms`: `value` since the start
    kRelative,  // `+0.05`: `value` after the previous event
    kAny,       // `*` (expected packets only)
    kRange,     // `A~B` (expected packets only): from `value` to `range_end`
  };
  Kind kind = Kind::kAbsolute;
  sim::Duration value;
  sim::Duration range_end;      // kRange
  bool range_relative = false;  // kRange written `+A~+B`
  // `TIME...END` (socket calls only): the call blocks and returns at END.
  struct BlockingEnd {
    sim::Duration value;
    bool relative = false;  // `...+D`: D after the call's start; else absolute
  };
  std::optional<BlockingEnd> end;
  SourceLoc loc;
};

// ---------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------

// A port as written after an address: none, a number, or `*` (any port, patterns only).
struct PortSpec {
  enum class Kind : std::uint8_t { kNone, kNumber, kAny };
  Kind kind = Kind::kNone;
  std::uint16_t number = 0;
};

// An address as scripts write it in call arguments and packet endpoints:
//   10.0.0.2:8080   [fd00::2]:8080   [fe80::2%2]:80   10.0.0.2   fd00::2   server:80   server:*
//   server   (a declared host: its first address of the family the context needs)
//   *        (packet endpoints only: any host)
struct Address {
  enum class Kind : std::uint8_t { kIp, kHost, kAnyHost };
  Kind kind = Kind::kIp;
  wire::IpAddr ip;                        // kIp
  std::string host;                       // kHost; for kIp, the declared host owning `ip`, if any
  std::optional<std::uint32_t> scope_id;  // `%N` in a bracketed IPv6 literal
  PortSpec port;
  SourceLoc loc;
};

// ---------------------------------------------------------------------------------------
// Expressions: syscall arguments and results (packetdrill's syntax)
// ---------------------------------------------------------------------------------------

struct Expr;
struct StructField;

struct IntExpr {
  std::int64_t value = 0;  // `42`, `-1`, `0x2a`
};
// `AF_INET`, `POLLOUT`, `ECONNREFUSED`: a name from harness/scenario/symbols.h, with Linux's
// value. `AF_UNSPEC` in an address argument means an AF_UNSPEC sockaddr.
struct SymbolExpr {
  std::string name;
  std::int64_t value = 0;
};
// `SOCK_STREAM|SOCK_NONBLOCK`: two or more terms (each an IntExpr or SymbolExpr).
struct BitOrExpr {
  std::vector<Expr> terms;
};
// `[1]`, `[{fd=3, events=POLLOUT}]`: a value passed by pointer, or an array.
struct ListExpr {
  std::vector<Expr> items;
};
// `{onoff=1, linger=0}`: fields in the order written (names are unique).
struct StructExpr {
  std::vector<StructField> fields;
};
// `"GET / HTTP/1.0\r\n"`: bytes, escapes decoded.
struct StringExpr {
  std::string bytes;
};
// `...`: packetdrill's "whatever is natural here" (a zero-filled buffer, the default address).
struct EllipsisExpr {};
// `*`: accept any value (results and expected values only).
struct WildcardExpr {};
// `NULL` or `BAD` (an invalid pointer, EFAULT): a pointer argument that points nowhere.
struct PointerExpr {
  enum class Kind : std::uint8_t { kNull, kBad };
  Kind kind = Kind::kNull;
};
// A socket address: `10.0.0.2:80`, `[fd00::2]:80`, `server:80`, `10.0.0.1:*` (patterns).
struct AddressExpr {
  Address address;
};
// `addr(10.0.0.2:80, len=15)`, `addr(NULL, len=16)`, `addr(10.0.0.2:80, family=AF_INET6)`:
// a sockaddr argument with a declared length, family or pointer that differs from the natural
// one, to provoke EINVAL / EFAULT / EAFNOSUPPORT.
struct RawAddrExpr {
  PointerExpr::Kind pointer = PointerExpr::Kind::kNull;  // meaningful when !address
  std::optional<Address> address;                        // else a NULL or BAD pointer
  std::optional<std::int64_t> len;                       // declared addrlen; else natural
  std::optional<std::int64_t> family;                    // overrides sa_family
};
// `100ms`, `1.5s`: a number with a time unit.
struct DurationExpr {
  sim::Duration value;
};

struct Expr {
  std::variant<IntExpr, SymbolExpr, BitOrExpr, ListExpr, StructExpr, StringExpr, EllipsisExpr,
               WildcardExpr, PointerExpr, AddressExpr, RawAddrExpr, DurationExpr>
      v;
  SourceLoc loc;
};

struct StructField {
  std::string name;
  Expr value;
  SourceLoc loc;
};

// ---------------------------------------------------------------------------------------
// Packets
// ---------------------------------------------------------------------------------------

// TCP flag bits as in the header (RFC 9293 §3.1; CWR/ECE RFC 3168), `A` is AE (RFC 9768),
// carried in the reserved bits.
namespace tcp_flag {
inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kPsh = 0x08;
inline constexpr std::uint8_t kAck = 0x10;
inline constexpr std::uint8_t kUrg = 0x20;
inline constexpr std::uint8_t kEce = 0x40;
inline constexpr std::uint8_t kCwr = 0x80;
}  // namespace tcp_flag

// `S.`, `FP.`, `SEW`, `-` (no flags): letters F S R P U E W A and `.` for ACK, any order.
struct TcpFlags {
  std::string text;       // as written
  std::uint8_t bits = 0;  // tcp_flag::k*
  bool ae = false;        // `A`
  bool none = false;      // written `-`: no flag at all (bits == 0, !ae)
};

// `START:END(LEN)`: relative sequence numbers; LEN == END - START (checked).
struct SeqRange {
  std::uint32_t start = 0;
  std::uint32_t end = 0;
  std::uint32_t len = 0;
};

// One entry of `<...>`. Numeric values are nullopt when written `*` (any value).
struct TcpOptionPattern {
  enum class Kind : std::uint8_t {
    kEol,            // eol
    kNop,            // nop
    kMss,            // mss N
    kWindowScale,    // wscale N
    kSackPermitted,  // sackOK
    kSack,           // sack L:R [L:R ...]
    kTimestamps,     // TS val V ecr E
    kFastOpen,       // FO [COOKIE]      (kind 34)
    kFastOpenExp,    // FOEXP [COOKIE]   (kind 254, magic 0xF989)
    kMd5,            // md5 [DIGEST]     (kind 19)
    kOther,          // kind K [HEX]     (any kind number)
  };
  Kind kind = Kind::kNop;
  std::uint8_t kind_number = 1;                               // IANA kind (wire::tcp_opt::k*)
  std::optional<std::uint32_t> value;                         // mss, wscale
  std::optional<std::uint32_t> ts_val;                        // TS
  std::optional<std::uint32_t> ts_ecr;                        // TS
  std::vector<std::pair<std::uint32_t, std::uint32_t>> sack;  // relative left:right edges
  // FO / FOEXP cookie, md5 digest, kOther data: nullopt when written `*`; empty for `FO`
  // alone (a cookie request) or a kind with no data.
  std::optional<std::vector<std::uint8_t>> data;
  SourceLoc loc;
};

struct TcpPattern {
  TcpFlags flags;
  std::optional<SeqRange> seq;       // absent: not checked
  std::optional<std::uint32_t> ack;  // `ack N`
  std::optional<std::uint32_t> win;  // `win N` (the raw 16-bit field)
  std::optional<std::uint32_t> urg;  // `urg N`
  enum class Options : std::uint8_t {
    kNone,  // no `<...>` written: the packet must carry no options
    kAny,   // `<...>`: options not checked
    kList,  // `<a,b,...>` (possibly empty `<>`): exactly these, in this order
  };
  Options options_mode = Options::kNone;
  std::vector<TcpOptionPattern> options;
};

struct UdpPattern {
  std::optional<std::uint32_t> len;  // `udp (LEN)`: payload length
};

// `icmp unreachable frag_needed mtu 1400`, `icmpv6 packet_too_big mtu 1280`, `icmp type_42`.
// Keywords are stack/wire/icmp_names.h's (packetdrill's). A missing code is code 0.
struct IcmpPattern {
  bool v6 = false;
  std::string type_name;  // as written
  std::uint8_t type = 0;
  std::string code_name;  // as written; empty when omitted
  std::uint8_t code = 0;
  std::optional<std::uint32_t> mtu;    // `mtu N` (frag_needed / packet_too_big)
  std::optional<SeqRange> quoted_seq;  // `[S:E(L)]`: the quoted TCP segment's sequence range
};

// `arp who-has 10.0.0.2 [tell 10.0.0.1]`, `arp reply 10.0.0.2`.
struct ArpPattern {
  enum class Op : std::uint8_t { kRequest, kReply };
  Op op = Op::kRequest;
  std::optional<wire::IpAddr> target;  // request: the address asked for
  std::optional<wire::IpAddr> sender;  // request: `tell A`; reply: the address answered for
};

// `SRC > DST PACKET`. Which fields are set follows `kind`; a field left out is not checked.
struct PacketPattern {
  enum class Kind : std::uint8_t { kAny, kTcp, kUdp, kIcmp, kIcmpv6, kArp };
  Address src;
  Address dst;
  Kind kind = Kind::kAny;  // kAny: only in `drop next` (any packet between SRC and DST)
  // kTcp: TcpPattern, kUdp: UdpPattern, kIcmp and kIcmpv6: IcmpPattern, kArp: ArpPattern.
  std::variant<std::monostate, TcpPattern, UdpPattern, IcmpPattern, ArpPattern> detail;
  SourceLoc loc;
};

// ---------------------------------------------------------------------------------------
// Link options (declarations and `link NAME ...` events)
// ---------------------------------------------------------------------------------------

// Each field is set only when written, so a change event says exactly what it changes.
// Probabilities are fractions (the script's `1%` is 0.01). Maps onto sim::LinkConfig, plus
// the interface MTU.
struct LinkOptions {
  std::optional<sim::Duration> delay;
  std::optional<sim::Duration> jitter;
  std::optional<std::uint64_t> rate_bps;
  std::optional<double> loss;
  std::optional<double> duplicate;
  std::optional<double> reorder;
  std::optional<sim::Duration> reorder_gap;  // `reorder P gap D`: LinkConfig::reorder_delay
  std::optional<double> corrupt;
  std::optional<int> mtu;
  std::optional<int> queue;  // `queue N`: transmit queue limit in frames (LinkConfig::queue_limit)
};

// ---------------------------------------------------------------------------------------
// Declarations (not timed: all take effect before time 0, in this order)
// ---------------------------------------------------------------------------------------

// `host NAME [ADDR/LEN ...] [personality NAME] [mtu N] [unprivileged]`
struct HostDecl {
  std::string name;
  std::vector<wire::IpPrefix> addresses;   // on the first interface, as written (host bits kept)
  std::optional<std::string> personality;  // else the scenario's, else "linux"
  std::optional<int> mtu;                  // first interface's MTU
  bool unprivileged = false;               // no CAP_NET_BIND_SERVICE
  SourceLoc loc;
};

// `link [NAME] A B [options]`: a point-to-point cable. NAME defaults to "A-B".
struct LinkDecl {
  std::string name;
  std::string a;
  std::string b;
  LinkOptions options;
  SourceLoc loc;
};

// `segment NAME [options]`: a shared segment (a switch); hosts join with `attach`.
struct SegmentDecl {
  std::string name;
  LinkOptions options;
  SourceLoc loc;
};

// `attach HOST SEGMENT [ADDR/LEN ...] [mtu N]`
struct AttachDecl {
  std::string host;
  std::string segment;
  std::vector<wire::IpPrefix> addresses;
  std::optional<int> mtu;
  SourceLoc loc;
};

// `route HOST DEST [via GW] [dev IF] [src ADDR] [metric N]`,
// `route HOST unreachable|prohibit|blackhole|throw DEST`
struct RouteDecl {
  enum class Type : std::uint8_t { kUnicast, kUnreachable, kProhibit, kBlackhole, kThrow };
  std::string host;
  Type type = Type::kUnicast;
  wire::IpPrefix dest;        // `default` is 0.0.0.0/0 (or ::/0 when via/src is IPv6)
  bool dest_default = false;  // written `default`
  std::optional<wire::IpAddr> via;
  std::optional<std::string> dev;
  std::optional<wire::IpAddr> src;
  std::optional<std::uint32_t> metric;
  SourceLoc loc;
  SourceLoc dev_loc;  // where `dev IFNAME` names the interface
};

// `sysctl HOST NAME = VALUE`, `sysctl * NAME = VALUE`. Checked with stack::set_sysctl.
struct SysctlDecl {
  std::string host;   // "*": every host
  std::string name;   // as written ("net.ipv4.tcp_syn_retries", "/proc/sys/...")
  std::string value;  // words joined by single spaces: "4096 131072 6291456"
  SourceLoc loc;
};

// `filter HOST CHAIN [PROTO] [src P] [dst P] [sport N] [dport N] [flags F[/M]] VERDICT`
// Rules of one host apply in declaration order, first match wins, default accept.
struct FilterDecl {
  enum class Chain : std::uint8_t { kInput, kOutput, kForward };
  enum class Protocol : std::uint8_t { kTcp, kUdp, kIcmp, kIcmpv6 };
  enum class Verdict : std::uint8_t { kAccept, kDrop, kReject };
  enum class RejectWith : std::uint8_t {
    kDefault,   // `reject`: ICMP port unreachable (ICMPv6 for IPv6), as nft does
    kTcpReset,  // `with tcp-reset`
    kIcmp,      // `with icmp TYPE [CODE]`
    kIcmpv6,    // `with icmpv6 TYPE [CODE]`
  };
  std::string host;
  Chain chain = Chain::kInput;
  std::optional<Protocol> protocol;
  std::optional<wire::IpPrefix> src;
  std::optional<wire::IpPrefix> dst;
  std::optional<std::uint16_t> sport;
  std::optional<std::uint16_t> dport;
  // `flags S/SA`: match when (flags & mask) == value; `flags S` alone: mask is all 8 bits.
  std::optional<std::uint8_t> tcp_flags_value;
  std::uint8_t tcp_flags_mask = 0;
  Verdict verdict = Verdict::kDrop;
  RejectWith reject_with = RejectWith::kDefault;
  std::uint8_t icmp_type = 0;  // kIcmp / kIcmpv6
  std::uint8_t icmp_code = 0;
  std::string text;  // the rule as written after HOST, for traces
  SourceLoc loc;
};

// `packets strict`, `packets ignore HOSTS > HOSTS [arp|ndp|tcp|udp|icmp|icmpv6]`
struct PacketPolicyDecl {
  enum class Mode : std::uint8_t { kStrict, kIgnore };
  enum class Kind : std::uint8_t { kAll, kArp, kNdp, kTcp, kUdp, kIcmp, kIcmpv6 };
  Mode mode = Mode::kStrict;
  std::vector<std::string> from;  // host names; "*" for any host
  std::vector<std::string> to;
  Kind kind = Kind::kAll;
  SourceLoc loc;
};

// `neighbours static` (or `neighbors static`): every host starts with a permanent neighbour
// entry for every address on its links (`ip neigh add ... nud permanent`), so no ARP or NDP
// is sent and a first packet leaves at once, as on packetdrill's tun device.
struct NeighbourDecl {
  SourceLoc loc;
};

using Declaration = std::variant<HostDecl, LinkDecl, SegmentDecl, AttachDecl, RouteDecl, SysctlDecl,
                                 FilterDecl, PacketPolicyDecl, NeighbourDecl>;

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

// `HOST[.THREAD]: NAME(ARGS) = RESULT [ERRNO] [(text)]`. Names and arities are those of
// harness/scenario/calls.h. The call must return at Event::at unless `returns_at` is set.
struct Syscall {
  std::string host;
  std::string thread = "main";
  std::string name;
  std::vector<Expr> args;
  Expr result;                            // `*` (WildcardExpr) accepts anything
  std::optional<std::string> errno_name;  // canonical name ("EAGAIN" for EWOULDBLOCK too)
  std::string errno_text;                 // the parenthesised text after it, unchecked
  std::optional<sim::Time> returns_at;    // `TIME...END`: a blocking call returning at END
  // packetdrill front end (harness/drill): how far the return may be from its time, and a bare
  // `= -1` (packetdrill: any errno).
  sim::Duration tolerance;
  bool any_errno = false;
  SourceLoc loc;
};

// `SRC > DST PACKET`: SRC's stack hands this packet to its link between at and latest.
struct ExpectPacket {
  PacketPattern packet;
  // packetdrill front end (harness/drill): the packet may come this much before `at` or after
  // `latest` (packetdrill's --tolerance_usecs / --tolerance_percent), and the TS val the script
  // wrote (the pattern then has `TS val *`): checked against the live value scaled by
  // Scenario::drill_ts_tick_usecs when that is set, and remembered so an injected `ecr` naming
  // it carries the live value.
  sim::Duration tolerance;
  std::optional<std::uint32_t> script_ts_val;
  SourceLoc loc;
};

// `inject SRC > DST PACKET` (fully specified: no `*`, no `<...>`) or
// `inject SRC > DST raw "HEX"`: a packet built and sent from SRC's interface. Ports left out
// mean the ports of the most recent connection between the two hosts.
struct Inject {
  PacketPattern packet;                          // kind kAny when raw
  std::optional<std::vector<std::uint8_t>> raw;  // an IP packet, as is (may be malformed)
  // packetdrill front end: the TS ecr as written, a script TS val of an earlier expected
  // packet, replaced by the live value that packet carried (packetdrill's ecr mapping).
  std::optional<std::uint32_t> script_ts_ecr;
  SourceLoc loc;
};

// `link NAME OPTIONS...`: changes only the options written.
struct LinkChange {
  std::string link;
  LinkOptions options;
  SourceLoc loc;
};

// `link NAME down` / `link NAME up`.
struct LinkUpDown {
  std::string link;
  bool up = false;
  SourceLoc loc;
};

// `partition A B [| C D ...]`: each group is cut off from the others; hosts not listed form
// one more group together. Applies to every link and segment.
struct Partition {
  std::vector<std::vector<std::string>> groups;
  SourceLoc loc;
};

// `heal`: ends any partition.
struct Heal {
  SourceLoc loc;
};

// `drop next N SRC > DST [PACKET] [on LINK]`: the next N packets matching the pattern, on
// LINK or on any link, are lost.
struct DropNext {
  std::int64_t count = 1;
  PacketPattern pattern;
  std::optional<std::string> link;
  SourceLoc loc;
};

// `signal HOST[.THREAD] SIGNAME [restart]`
struct Signal {
  std::string host;
  std::string thread = "main";
  std::string name;      // "SIGALRM"
  int number = 0;        // Linux's (14)
  bool restart = false;  // SA_RESTART
  SourceLoc loc;
};

enum class CompareOp : std::uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

// `expect HOST fd FD state STATE` / `... fd FD poll REVENTS` / `... counter NAME OP N` /
// `... drops REASON OP N`.
// kTcpInfo and kSocketListed come from the packetdrill front end (harness/drill), which has
// no text form for them in the scenario language: `%{ assert tcpi_x == N }%` (value_text, the
// Python statements; fd, the socket under test) and `ss ... | grep TEXT` (value_text = TEXT,
// name = the `state` filter or empty, value = 4 or 6 for `ss -4` / `ss -6`).
struct Expect {
  enum class Kind : std::uint8_t { kFdState, kFdPoll, kCounter, kDrops, kTcpInfo, kSocketListed };
  std::string host;
  Kind kind = Kind::kFdState;
  std::int64_t fd = -1;  // kFdState, kFdPoll
  // kFdState: the state as written (stack::tcp_state_from_name accepts it); kCounter: the
  // counter (stack::mib_from_name); kDrops: the reason (stack::drop_reason_from_name).
  std::string name;
  CompareOp op = CompareOp::kEq;  // kFdPoll and kFdState: kEq
  std::int64_t value = 0;         // kCounter, kDrops: N; kFdPoll: the revents mask
  std::string value_text;         // kFdPoll: as written ("POLLOUT|POLLERR")
  SourceLoc loc;
};

// A sysctl set while the scenario runs (packetdrill's timed `sysctl -q NAME=VALUE` line; the
// scenario language sets sysctls only in declarations).
struct SetSysctl {
  std::string host;
  std::string name;
  std::string value;
  SourceLoc loc;
};

// `note TEXT`: a line for the lesson and the ladder diagram.
struct Note {
  std::string text;
  SourceLoc loc;
};

// `end`: the scenario runs until this instant; nothing may happen between the last
// expectation and it that the script does not expect. Always the last event.
struct End {
  SourceLoc loc;
};

// The loop variable values that produced an expanded event (outermost first).
struct RepeatBinding {
  std::string name;
  std::int64_t value = 0;
  SourceLoc loc;  // the `repeat` line
};

struct Event {
  TimeSpec time;  // as written
  // Resolved: the instant the event happens (for a window, its start; for `*`, the previous
  // event's time) and the latest instant it may happen (== at except for windows and `*`,
  // where `*` gives sim::Time::max()).
  sim::Time at;
  sim::Time latest;
  std::vector<RepeatBinding> repeat;
  std::variant<Syscall, ExpectPacket, Inject, LinkChange, LinkUpDown, Partition, Heal, DropNext,
               Signal, Expect, Note, End, SetSysctl>
      body;
  SourceLoc loc;  // the line (its time prefix)
  // `[bsd]`, `[linux,bsd]`: the personalities the line is for, as written (empty: every one).
  // Only lines that apply are in an event list; this is kept to print the line back.
  std::vector<std::string> personalities;
};

// ---------------------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------------------

struct Scenario {
  std::string path;
  std::string title;
  std::vector<std::string> about;  // paragraphs
  std::uint64_t seed = 1;
  std::optional<std::string> personality;  // `personality:` (default for every host)
  std::vector<std::string> tags;
  std::optional<std::string> expect_failure;
  std::vector<Declaration> declarations;  // in script order, groups expanded
  std::vector<Event> events;              // in execution order, repeats expanded
  SourceLoc loc;                          // 1:1, for errors about the whole file
  // Per-personality lines (`[bsd] +0 client: ...`). A line applies when the personality of the
  // host it is about (a call's or expectation's host, a packet's sender; for other lines the
  // scenario's) is one it names, or a variant of one (`linux` covers `linux-3.11`). `events`
  // holds the lines for the declared personalities; when the script has any prefix,
  // `events_for[P]` holds them, times resolved along them, for a run where every host has
  // personality P (`synlab run --personality P`), for each P in stack::personality_names().
  bool has_personality_lines = false;
  std::map<std::string, std::vector<Event>, std::less<>> events_for;
  // Set by the packetdrill front end (harness/drill): its --tcp_ts_tick_usecs (0: outbound TS
  // values are not checked), and that it runs packetdrill's model (packets of other
  // connections than the script's are not checked).
  bool drill = false;
  std::uint32_t drill_ts_tick_usecs = 0;
  // -D TFO_COOKIE: the Fast Open cookie every host's server side gives and accepts.
  std::vector<std::uint8_t> drill_tfo_cookie;
};

// The events of a run: `events_for[forced]` when the script has per-personality lines and a
// personality is forced on every host, else `events`.
inline const std::vector<Event>& events_for_run(const Scenario& s, const std::optional<std::string>& forced) {
  if (forced && s.has_personality_lines) {
    if (auto it = s.events_for.find(*forced); it != s.events_for.end()) return it->second;
  }
  return s.events;
}

// Does personality `name` match prefix entry `entry`? `linux` matches "linux" and its variants
// ("linux-3.11"): equal, or `entry` followed by '-'.
inline bool personality_matches(std::string_view entry, std::string_view name) {
  return name == entry || (name.size() > entry.size() && name.substr(0, entry.size()) == entry &&
                           name[entry.size()] == '-');
}

}  // namespace synlab::harness
