#include "harness/runner/runner.h"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "harness/drill/tcpinfo_expr.h"
#include "harness/runner/inject.h"
#include "harness/runner/packet_match.h"
#include "harness/scenario/symbols.h"
#include "sim/capture/capture.h"
#include "stack/compat/libowfat.h"
#include "stack/ip/neighbour.h"
#include "stack/personality/sysctl.h"
#include "stack/socket/constants.h"
#include "stack/tcp/tcp_state.h"
#include "stack/wire/describe.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/world.h"

namespace synlab::harness {

std::string Failure::to_string() const {
  std::string s = loc.to_string() + ": error: " + message + "\n";
  if (!source_line.empty()) s += "  " + source_line + "\n";
  s += "  at " + sim::format_seconds(at) + " s\n";
  if (!expected.empty()) s += "  script packet:  " + expected + "\n";
  if (!actual.empty()) s += "  actual packet:  " + actual + "\n";
  for (const auto& n : notes) s += "  " + n + "\n";
  return s;
}

namespace {

using stack::Errno;
using stack::Host;
using stack::SockAddr;
using stack::UserAddr;

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// What a call did, in a form every check can read.
struct Outcome {
  std::optional<Errno> err;
  std::int64_t value = 0;
  std::optional<SockAddr> addr;               // accept's peer, getsockname, recvfrom's source
  std::optional<std::vector<std::uint8_t>> data;  // read
  std::optional<stack::OptVal> optval;        // getsockopt
  std::vector<stack::PollFd> pollfds;         // poll
  bool address_result = false;                // getsockname/getpeername: the result is addr

  static Outcome error(Errno e) {
    Outcome o;
    o.err = e;
    o.value = -1;
    return o;
  }
  static Outcome of(std::int64_t v) {
    Outcome o;
    o.value = v;
    return o;
  }
};

std::string describe(const Outcome& o) {
  if (o.err) {
    return std::to_string(o.value) + " " + std::string(stack::name(*o.err)) + " (" +
           std::string(stack::message(*o.err)) + ")";
  }
  if (o.address_result && o.addr) return o.addr->to_string();
  return std::to_string(o.value);
}

std::string quote_bytes(const std::vector<std::uint8_t>& d) {
  std::string s = "\"";
  for (std::uint8_t c : d) {
    if (c == '"' || c == '\\') {
      s += '\\';
      s += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      s += static_cast<char>(c);
    } else if (c == '\n') {
      s += "\\n";
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      s += "\\x";
      s += kHex[c >> 4];
      s += kHex[c & 15];
    }
  }
  return s + "\"";
}

// An address argument in script syntax ("server", "10.0.0.2:80").
std::string want_text_of(const Expr& e) {
  if (const auto* ad = std::get_if<AddressExpr>(&e.v)) {
    PacketPattern tmp;
    tmp.src = ad->address;
    const std::string s = format_pattern(tmp);
    return s.substr(0, s.find(" > "));
  }
  return "?";
}

bool compare(CompareOp op, std::int64_t a, std::int64_t b) {
  switch (op) {
    case CompareOp::kEq: return a == b;
    case CompareOp::kNe: return a != b;
    case CompareOp::kLt: return a < b;
    case CompareOp::kLe: return a <= b;
    case CompareOp::kGt: return a > b;
    case CompareOp::kGe: return a >= b;
  }
  return false;
}

std::string_view op_text(CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return "==";
    case CompareOp::kNe: return "!=";
    case CompareOp::kLt: return "<";
    case CompareOp::kLe: return "<=";
    case CompareOp::kGt: return ">";
    case CompareOp::kGe: return ">=";
  }
  return "?";
}

sim::LinkConfig apply_options(sim::LinkConfig c, const LinkOptions& o) {
  if (o.delay) c.delay = *o.delay;
  if (o.jitter) c.jitter = *o.jitter;
  if (o.rate_bps) c.rate_bps = *o.rate_bps;
  if (o.loss) c.loss = *o.loss;
  if (o.duplicate) c.duplicate = *o.duplicate;
  if (o.reorder) c.reorder = *o.reorder;
  if (o.reorder_gap) c.reorder_delay = *o.reorder_gap;
  if (o.corrupt) c.corrupt = *o.corrupt;
  if (o.queue) c.queue_limit = *o.queue;
  return c;
}

// Integer value of a scalar expression (a number, a symbol, a bit-or, `[N]`).
std::optional<std::int64_t> int_value(const Expr& e) {
  return std::visit(Overloaded{
                        [](const IntExpr& i) -> std::optional<std::int64_t> { return i.value; },
                        [](const SymbolExpr& s) -> std::optional<std::int64_t> { return s.value; },
                        [](const BitOrExpr& b) -> std::optional<std::int64_t> {
                          std::int64_t v = 0;
                          for (const auto& t : b.terms) {
                            auto x = int_value(t);
                            if (!x) return std::nullopt;
                            v |= *x;
                          }
                          return v;
                        },
                        [](const ListExpr& l) -> std::optional<std::int64_t> {
                          if (l.items.size() != 1) return std::nullopt;
                          return int_value(l.items[0]);
                        },
                        [](const DurationExpr& d) -> std::optional<std::int64_t> { return d.value.ns(); },
                        [](const auto&) -> std::optional<std::int64_t> { return std::nullopt; },
                    },
                    e.v);
}

bool is_wild(const Expr& e) {
  return std::holds_alternative<WildcardExpr>(e.v) || std::holds_alternative<EllipsisExpr>(e.v);
}

// Socket option values as the kernel reads them: an int, struct linger (two ints), struct
// timeval (two longs), or bytes (SO_BINDTODEVICE's name).
void encode_value(const Expr& e, std::vector<std::uint8_t>* out) {
  auto put = [out](std::int64_t v, int n) {
    for (int i = 0; i < n; ++i) out->push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * i)));
  };
  if (const auto* s = std::get_if<StructExpr>(&e.v)) {
    for (const auto& f : s->fields) {
      const bool wide = f.name == "tv_sec" || f.name == "tv_usec";
      put(int_value(f.value).value_or(0), wide ? 8 : 4);
    }
    return;
  }
  if (const auto* str = std::get_if<StringExpr>(&e.v)) {
    out->insert(out->end(), str->bytes.begin(), str->bytes.end());
    return;
  }
  put(int_value(e).value_or(0), 4);
}

std::int64_t decode_le(const std::vector<std::uint8_t>& v, std::size_t off, std::size_t n) {
  std::uint64_t x = 0;
  for (std::size_t i = 0; i < n && off + i < v.size(); ++i) x |= static_cast<std::uint64_t>(v[off + i]) << (8 * i);
  if (n == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(x));
  return static_cast<std::int64_t>(x);
}

std::string read_source_line(const std::string& path, int line) {
  std::ifstream in(path);
  std::string s;
  for (int i = 1; std::getline(in, s); ++i) {
    if (i == line) {
      while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.pop_back();
      return s;
    }
  }
  return {};
}

class Runner final : public sim::Observer {
 public:
  Runner(const Scenario& s, const RunOptions& opt)
      : s_(s), opt_(opt), world_({.seed = opt.seed.value_or(s.seed)}) {}

  ScenarioResult run();
  void on_event(const sim::TraceEvent& ev, const sim::Packet* bytes) override;

 private:
  struct ExpectedPacket {
    std::size_t event = 0;
    bool matched = false;
  };
  struct PendingCall {
    std::size_t event = 0;
    bool done = false;
  };
  struct DropRule {
    std::shared_ptr<std::int64_t> remaining;
  };

  // Setup.
  bool build();
  Host* host(const std::string& name) { return world_.host(name); }
  std::string owner_of(const wire::IpAddr& a) const {
    auto it = owners_.find(a);
    return it == owners_.end() ? std::string() : it->second;
  }

  // The main loop.
  void run_to(sim::Time t);
  void check_deadlines(sim::Time passed);
  void execute(std::size_t i);
  void fail(const SourceLoc& loc, std::string message, std::string expected = {}, std::string actual = {},
            std::vector<std::string> notes = {});
  bool failed() const { return failure_.has_value(); }
  bool stop_requested();

  // Packets.
  void on_frame(const sim::TraceEvent& ev, const sim::Packet& bytes);
  bool checked(const DecodedFrame& f, const std::string& src_host, const std::string& dst_host) const;
  std::vector<std::size_t> candidates(sim::Time t) const;
  std::string event_time_text(const Event& e) const;
  std::string time_prefix(const Event& e) const;

  // Calls.
  void start_call(std::size_t i);
  bool start_libowfat(std::size_t i, const Syscall& c, Host& h, int tid);
  std::optional<wire::IpAddr> ip_arg(const Expr& e, bool v6);
  void finish_call(std::size_t i, Outcome o);
  void check_outcome(std::size_t i, const Outcome& o);
  std::optional<UserAddr> user_addr(const Syscall& c, const Expr& e, int fd, std::optional<std::int64_t> len);
  std::optional<SockAddr> resolve(const Address& a, int family);
  bool addr_matches(const Address& want, const SockAddr& got);
  int thread_id(const std::string& host, const std::string& thread);

  // Other events.
  void do_inject(const Event& e, const Inject& inj);
  void do_partition(const Partition& p);
  void do_drop_next(const DropNext& d);
  void do_expect(const Event& e, const Expect& x);
  void do_link_mtu(sim::Link& l, int mtu);

  // Timing windows, widened by a packetdrill tolerance (ExpectPacket::tolerance).
  static sim::Duration tolerance_of(const Event& e) {
    const auto* p = std::get_if<ExpectPacket>(&e.body);
    return p ? p->tolerance : sim::Duration();
  }
  static sim::Time earliest_of(const Event& e) {
    const sim::Duration t = tolerance_of(e);
    return e.at - t < sim::Time::zero() ? sim::Time::zero() : e.at - t;
  }
  static sim::Time latest_of(const Event& e) {
    if (e.latest == sim::Time::max()) return e.latest;
    return e.latest + tolerance_of(e);
  }
  // The largest distance between when something happened and the script's time for it.
  void note_deviation(const Event& e, sim::Time now) {
    if (e.time.kind == TimeSpec::Kind::kAny) return;
    if (now < e.at) note_deviation_at(e, e.at, now);
    else if (now > e.latest) note_deviation_at(e, e.latest, now);
  }
  void note_deviation_at(const Event& e, sim::Time want, sim::Time now) {
    const sim::Duration d = now > want ? now - want : want - now;
    if (d > max_deviation_) {
      max_deviation_ = d;
      max_deviation_line_ = e.loc.line;
    }
  }
  // packetdrill's TS val check and ecr mapping (Scenario::drill_ts_tick_usecs).
  std::string check_drill_ts(const ExpectPacket& p, const DecodedFrame& f, sim::Time now);
  // packetdrill's fd mapping: the live fd for a script fd (itself when undeclared).
  int drill_fd(std::int64_t script_fd) const {
    auto it = drill_fds_.find(static_cast<int>(script_fd));
    return it == drill_fds_.end() ? static_cast<int>(script_fd) : it->second;
  }
  std::vector<Expr> drill_map_args(const Syscall& c) const {
    std::vector<Expr> args = c.args;
    auto map_int = [this](Expr& e) {
      if (auto* iv = std::get_if<IntExpr>(&e.v)) iv->value = drill_fd(iv->value);
    };
    if (c.name == "poll") {
      if (!args.empty()) {
        if (auto* l = std::get_if<ListExpr>(&args[0].v)) {
          for (auto& item : l->items) {
            if (auto* st = std::get_if<StructExpr>(&item.v)) {
              for (auto& f : st->fields) {
                if (f.name == "fd") map_int(f.value);
              }
            }
          }
        }
      }
    } else if (c.name != "socket" && c.name != "pipe" && c.name != "open" && !args.empty()) {
      map_int(args[0]);
    }
    return args;
  }
  // packetdrill's `%{ }%` asserts over tcp_info, and its `ss ... | grep` lines.
  void do_expect_tcpinfo(Host& h, const Expect& x);
  void do_expect_listed(Host& h, const Expect& x);

  const Scenario& s_;
  const RunOptions& opt_;
  World world_;
  std::optional<Failure> failure_;
  std::map<wire::IpAddr, std::string> owners_;
  std::map<sim::NodeId, std::string> node_host_;
  std::map<std::string, std::map<std::string, int>> threads_;
  SeqTracker seqs_;
  std::vector<ExpectedPacket> expected_;  // in script order, as the cursor reaches them
  std::vector<PendingCall> calls_;        // blocking calls not yet checked
  bool injecting_ = false;
  std::size_t cursor_ = 0;                // next event to execute
  bool strict_ = false;
  std::vector<PacketPolicyDecl> ignores_;
  // Call bookkeeping: set while a call runs, so a completion can tell it did not block.
  std::optional<std::size_t> in_call_;
  bool completed_in_call_ = false;
  // Last TCP/UDP flow seen between two hosts (either direction), for `inject` without ports.
  std::map<std::pair<std::string, std::string>, std::tuple<wire::IpAddr, std::uint16_t, wire::IpAddr, std::uint16_t>>
      last_flow_;
  // The last IP packet each host sent, for the quote of an injected ICMP error.
  std::map<std::string, std::vector<std::uint8_t>> last_ip_sent_;
  std::uint64_t packets_ = 0;
  std::uint64_t events_budget_exceeded_ = 0;
  std::unique_ptr<sim::TraceRecorder> recorder_;
  int interrupted_by_ = 0;  // RunOptions::stop's signal, once seen
  sim::Duration max_deviation_;
  int max_deviation_line_ = 0;
  // packetdrill TS mapping: script TS val -> live TS val, and the first of each.
  std::map<std::uint32_t, std::uint32_t> ts_live_;
  std::map<int, int> drill_fds_;                    // script fd -> live fd
  bool drill_finishing_ = false;                    // past the last event of a packetdrill script
  bool drill_done() const {
    return drill_finishing_ && calls_.empty() &&
           std::all_of(expected_.begin(), expected_.end(), [](const ExpectedPacket& x) { return x.matched; });
  }
  // packetdrill's socket under test (its ports, local first), and the packets sent while no
  // `>` line waited, to be looked at by the next one.
  std::optional<std::pair<std::uint16_t, std::uint16_t>> drill_sut_;
  struct PendingPacket {
    DecodedFrame frame;
    std::string actual;
    sim::Time at;
  };
  // A `>` line is reached: packetdrill compares it with the oldest packet of the socket under
  // test it sniffed and has not looked at yet (a FIFO).
  void drill_take_pending(std::size_t idx);
  std::vector<PendingPacket> drill_pending_;
  // An expected packet came: a packet of the socket under test sent before it and expected by
  // no line fails it (packetdrill would have compared that one first). True when it failed.
  bool drill_pending_check(const Event& e) {
    for (const auto& pp : drill_pending_) {
      if (drill_sut_ && *drill_sut_ != std::make_pair(pp.frame.sport, pp.frame.dport)) continue;
      const auto& p = std::get<ExpectPacket>(e.body).packet;
      fail(e.loc, "unexpected packet from local before the one the script expects", time_prefix(e) + " " + format_pattern(p),
           pp.actual);
      return true;
    }
    drill_pending_.clear();
    return false;
  }
  std::vector<std::pair<int, sim::Time>> matched_at_;  // expected packets: line, when matched
  struct Aggregate {
    std::size_t event;
    DecodedFrame first;
    std::uint32_t len;
  };
  std::optional<Aggregate> aggregate_;  // segments gathered for one expected packet
  std::map<std::size_t, std::vector<Expr>> drill_args_;  // calls' arguments, fds mapped
  std::optional<std::pair<std::uint32_t, std::uint32_t>> ts_first_;  // (script, live)
};

// ------------------------------------------------------------------------------------------
// Setup
// ------------------------------------------------------------------------------------------

bool Runner::build() {
  // Hosts first (so links can name them in any order), then links, segments and attachments
  // in script order, then routes, sysctls and filters.
  const std::optional<std::string> forced = opt_.personality;
  for (const auto& d : s_.declarations) {
    const auto* h = std::get_if<HostDecl>(&d);
    if (!h) continue;
    const std::string pname = forced ? *forced : h->personality.value_or(s_.personality.value_or("linux"));
    auto p = stack::make_personality(pname);
    if (!p) {
      fail(h->loc, "unknown personality '" + pname + "'");
      return false;
    }
    std::vector<std::string> addrs;
    for (const auto& a : h->addresses) addrs.push_back(a.to_string());
    Host& host = world_.add_host(h->name, addrs, *p);
    host.privileged = !h->unprivileged;
    node_host_[host.node()] = h->name;
    threads_[h->name]["main"] = 0;
  }
  std::map<std::string, int> first_mtu;
  for (const auto& d : s_.declarations) {
    if (const auto* h = std::get_if<HostDecl>(&d)) first_mtu[h->name] = h->mtu.value_or(1500);
  }
  std::set<std::string> attached;
  auto attach = [&](Host& h, sim::Link& l, const std::vector<wire::IpPrefix>& addrs, std::optional<int> mtu) {
    std::vector<std::string> a;
    for (const auto& p : addrs) a.push_back(p.to_string());
    const int m = mtu ? *mtu : (attached.count(h.name()) ? 1500 : first_mtu[h.name()]);
    attached.insert(h.name());
    world_.attach(h, l, a, m);
  };
  for (const auto& d : s_.declarations) {
    if (const auto* l = std::get_if<LinkDecl>(&d)) {
      sim::Link& link = world_.sim().add_link(l->name, apply_options({}, l->options));
      attach(*host(l->a), link, {}, l->options.mtu);
      attach(*host(l->b), link, {}, l->options.mtu);
    } else if (const auto* sg = std::get_if<SegmentDecl>(&d)) {
      world_.sim().add_link(sg->name, apply_options({}, sg->options));
    } else if (const auto* at = std::get_if<AttachDecl>(&d)) {
      sim::Link* link = world_.sim().find_link(at->segment);
      if (!link) {
        fail(at->loc, "no segment named '" + at->segment + "'");
        return false;
      }
      std::optional<int> mtu = at->mtu;
      if (!mtu) {
        for (const auto& d2 : s_.declarations) {
          if (const auto* seg = std::get_if<SegmentDecl>(&d2); seg && seg->name == at->segment) mtu = seg->options.mtu;
        }
      }
      attach(*host(at->host), *link, at->addresses, mtu);
    }
  }
  if (!s_.drill_tfo_cookie.empty()) {
    for (const auto& hp : world_.hosts()) hp->personality().tcp_fastopen_fixed_cookie = s_.drill_tfo_cookie;
  }
  for (const auto& d : s_.declarations) {
    if (const auto* r = std::get_if<RouteDecl>(&d)) {
      Host& h = *host(r->host);
      stack::Route route;
      route.dst = r->dest;
      route.type = static_cast<stack::RouteType>(r->type);
      route.gateway = r->via;
      route.src = r->src;
      route.metric = static_cast<int>(r->metric.value_or(0));
      if (r->type == RouteDecl::Type::kUnicast) {
        if (r->dev) {
          const stack::Interface* i = h.interface_by_name(*r->dev);
          if (!i) {
            fail(r->loc, "host '" + r->host + "' has no interface '" + *r->dev + "'");
            return false;
          }
          route.ifindex = i->ifindex;
        } else if (r->via) {
          // The interface whose on-link prefix holds the gateway.
          for (const auto& i : h.interfaces) {
            for (const auto& a : i.addrs) {
              if (!i.loopback && a.prefix.contains(*r->via)) route.ifindex = i.ifindex;
            }
          }
          if (route.ifindex == 0) {
            fail(r->loc, "gateway " + r->via->to_string() + " is not on any of " + r->host + "'s networks");
            return false;
          }
        } else {
          fail(r->loc, "a unicast route needs 'via' or 'dev'");
          return false;
        }
      }
      h.add_route(route);
    } else if (const auto* sc = std::get_if<SysctlDecl>(&d)) {
      for (const auto& hp : world_.hosts()) {
        if (sc->host != "*" && hp->name() != sc->host) continue;
        if (auto set = stack::set_sysctl(hp->personality(), sc->name, sc->value); !set) {
          fail(sc->loc, set.error());
          return false;
        }
      }
    } else if (const auto* f = std::get_if<FilterDecl>(&d)) {
      stack::FilterRule rule;
      rule.chain = static_cast<stack::FilterChain>(f->chain);
      if (f->protocol) {
        static constexpr std::uint8_t kProto[] = {6, 17, 1, 58};
        rule.protocol = kProto[static_cast<int>(*f->protocol)];
      }
      rule.src = f->src;
      rule.dst = f->dst;
      rule.sport = f->sport;
      rule.dport = f->dport;
      if (f->tcp_flags_value) {
        rule.tcp_flags_value = *f->tcp_flags_value;
        rule.tcp_flags_mask = f->tcp_flags_mask;
      }
      rule.verdict = static_cast<stack::FilterVerdict>(f->verdict);
      switch (f->reject_with) {
        case FilterDecl::RejectWith::kDefault:
          // nft's plain `reject`: port unreachable, ICMPv6 for IPv6 (the filter picks by family).
          break;
        case FilterDecl::RejectWith::kTcpReset:
          rule.reject_with_tcp_reset = true;
          break;
        case FilterDecl::RejectWith::kIcmp:
        case FilterDecl::RejectWith::kIcmpv6:
          rule.icmp_type = f->icmp_type;
          rule.icmp_code = f->icmp_code;
          break;
      }
      rule.text = f->text;
      host(f->host)->filter.add(rule);
    } else if (const auto* pp = std::get_if<PacketPolicyDecl>(&d)) {
      if (pp->mode == PacketPolicyDecl::Mode::kStrict) {
        strict_ = true;
      } else {
        ignores_.push_back(*pp);
      }
    }
  }
  for (const auto& hp : world_.hosts()) {
    for (const auto& i : hp->interfaces) {
      if (i.loopback) continue;
      for (const auto& a : i.addrs) owners_.emplace(a.prefix.addr, hp->name());
    }
  }
  const bool static_neighbours = std::any_of(s_.declarations.begin(), s_.declarations.end(), [](const Declaration& d) {
    return std::holds_alternative<NeighbourDecl>(d);
  });
  if (static_neighbours) world_.add_static_neighbours();
  return true;
}

int Runner::thread_id(const std::string& h, const std::string& thread) {
  auto& m = threads_[h];
  auto it = m.find(thread);
  if (it != m.end()) return it->second;
  const int id = static_cast<int>(m.size());
  m.emplace(thread, id);
  return id;
}

// ------------------------------------------------------------------------------------------
// The loop
// ------------------------------------------------------------------------------------------

void Runner::fail(const SourceLoc& loc, std::string message, std::string expected, std::string actual,
                  std::vector<std::string> notes) {
  if (failure_) return;
  Failure f;
  f.loc = loc;
  f.at = world_.now();
  f.message = std::move(message);
  f.expected = std::move(expected);
  f.actual = std::move(actual);
  f.notes = std::move(notes);
  f.source_line = read_source_line(std::string(loc.file_name()), loc.line);
  failure_ = std::move(f);
}

// RunOptions::stop: a signal asked the run to end. It ends like a failure at this instant, at
// the script line the cursor is on, so captures are finished and the report says how far it got.
bool Runner::stop_requested() {
  const int sig = opt_.stop ? opt_.stop->load(std::memory_order_relaxed) : 0;
  if (sig == 0) return false;
  if (failed()) return true;
  interrupted_by_ = sig;
  const std::string name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal " + std::to_string(sig);
  fail(cursor_ < s_.events.size() ? s_.events[cursor_].loc : s_.loc,
       "interrupted by " + name + " at " + sim::format_seconds(world_.now()) + " s");
  return true;
}

std::string Runner::time_prefix(const Event& e) const {
  if (e.time.kind == TimeSpec::Kind::kAny) return "*";
  if (e.latest == e.at) return sim::format_seconds(e.at);
  return sim::format_seconds(e.at) + "~" + sim::format_seconds(e.latest);
}

std::string Runner::event_time_text(const Event& e) const {
  if (e.time.kind == TimeSpec::Kind::kAny) return "any time";
  if (e.latest == e.at) return sim::format_seconds(e.at) + " s";
  return "between " + sim::format_seconds(e.at) + " s and " + sim::format_seconds(e.latest) + " s";
}

void Runner::run_to(sim::Time t) {
  auto& q = world_.sim().queue();
  for (;;) {
    if (failed() || stop_requested()) return;
    // The next deadline: an expected packet's latest time or a blocking call's return. A
    // deadline is missed only once time moves past it: what happens at that very instant,
    // script actions included, still counts.
    sim::Time deadline = t;
    for (const auto& x : expected_) {
      if (!x.matched && latest_of(s_.events[x.event]) < deadline) deadline = latest_of(s_.events[x.event]);
    }
    for (const auto& c : calls_) {
      const auto& sc = std::get<Syscall>(s_.events[c.event].body);
      if (!c.done && sc.returns_at && *sc.returns_at + sc.tolerance < deadline) deadline = *sc.returns_at + sc.tolerance;
    }
    while (!failed() && !q.empty() && q.next_time() <= deadline) {
      if (stop_requested()) return;
      // packetdrill ends with the script: once every event ran and every expected packet and
      // blocking call came, nothing more is looked at.
      if (drill_done()) return;
      q.run_next();
      if (q.events_run() > opt_.max_events) {
        fail(s_.loc, "the scenario ran more than " + std::to_string(opt_.max_events) +
                         " simulator events: stopped (is something looping?)");
        return;
      }
    }
    if (failed() || drill_done()) return;
    q.run_until(deadline);
    if (deadline >= t) return;
    check_deadlines(deadline);
  }
}

void Runner::check_deadlines(sim::Time passed) {
  for (const auto& x : expected_) {
    const Event& e = s_.events[x.event];
    if (!x.matched && latest_of(e) <= passed) {
      const auto& p = std::get<ExpectPacket>(e.body);
      fail(e.loc, "expected packet was not sent (due " + event_time_text(e) + ")",
           time_prefix(e) + " " + format_pattern(p.packet));
      failure_->at = latest_of(e);
      return;
    }
  }
  for (const auto& c : calls_) {
    const Event& e = s_.events[c.event];
    const auto& sc = std::get<Syscall>(e.body);
    if (!c.done && sc.returns_at && *sc.returns_at + sc.tolerance <= passed) {
      fail(sc.loc, sc.name + "() is still blocked at " + sim::format_seconds(*sc.returns_at + sc.tolerance) +
                       " s, when the script expects it to return");
      failure_->at = *sc.returns_at + sc.tolerance;
      return;
    }
  }
}

ScenarioResult Runner::run() {
  ScenarioResult r;
  r.path = s_.path;
  r.title = s_.title;
  r.seed = opt_.seed.value_or(s_.seed);
  world_.sim().add_observer(this);
  if (opt_.keep_trace) {
    recorder_ = std::make_unique<sim::TraceRecorder>();
    world_.sim().add_observer(recorder_.get());
  }
  const bool built = build();
  r.personality = world_.hosts().empty() ? "linux" : world_.hosts().front()->personality().name;
  for (const auto& h : world_.hosts()) r.hosts.push_back({h->node(), h->name(), h->personality().name});

  std::vector<std::unique_ptr<sim::Capture>> captures;
  if (built && !opt_.capture_dir.empty()) {
    std::string name = opt_.capture_name;
    if (name.empty()) {
      name = std::filesystem::path(s_.path).stem().string();
      if (opt_.personality) name += "-" + *opt_.personality;
    }
    std::error_code ec;
    std::filesystem::create_directories(opt_.capture_dir, ec);
    auto open = [&](sim::CaptureFormat f, const char* ext) {
      const std::string path = opt_.capture_dir + "/" + name + ext;
      auto c = sim::Capture::open(world_.sim(), {.format = f, .path = path, .comment = s_.title});
      if (!c) {
        fail(s_.loc, "cannot write capture: " + c.error());
        return;
      }
      for (const auto& [addr, host] : owners_) (*c)->add_name(addr.bytes(), host);
      captures.push_back(std::move(*c));
      r.captures.push_back(path);
    };
    if (opt_.pcap) open(sim::CaptureFormat::kPcap, ".pcap");
    if (opt_.pcapng) open(sim::CaptureFormat::kPcapng, ".pcapng");
  }

  sim::Time final_time = sim::Time::zero();
  for (const auto& e : s_.events) {
    final_time = std::max(final_time, e.at);
    if (const auto* sc = std::get_if<Syscall>(&e.body); sc && sc->returns_at) {
      final_time = std::max(final_time, *sc->returns_at);
    }
  }
  const sim::Time limit = sim::Time::zero() + opt_.max_virtual_time;
  if (final_time > limit) {
    fail(s_.loc, "the scenario runs to " + sim::format_seconds(final_time) + " s, past the limit of " +
                     sim::format_seconds(limit) + " s of virtual time");
  }

  while (built && !failed() && cursor_ < s_.events.size()) {
    const Event& e = s_.events[cursor_];
    if (std::holds_alternative<ExpectPacket>(e.body)) {
      // Matched early by look-ahead (see candidates()), or now pending.
      bool already = false;
      for (const auto& x : expected_) already |= x.event == cursor_;
      if (!already) expected_.push_back({cursor_, false});
      if (!already && s_.drill) drill_take_pending(cursor_);
      ++cursor_;
      continue;
    }
    if (s_.drill && std::holds_alternative<End>(e.body)) drill_finishing_ = true;
    run_to(e.at);
    if (failed()) break;
    // The cursor moves first: packets the event makes are matched against what follows it.
    execute(cursor_++);
  }
  drill_finishing_ = s_.drill;
  if (built && !failed()) run_to(final_time);
  if (built && !failed() && !(drill_finishing_ && world_.now() < final_time)) check_deadlines(sim::Time::max());

  for (auto& c : captures) {
    if (auto f = c->finish(); !f && !failed()) fail(s_.loc, "writing capture: " + f.error());
  }
  world_.sim().remove_observer(this);
  r.end = world_.now();
  r.events = world_.sim().queue().events_run();
  r.packets = packets_;
  if (recorder_) {
    world_.sim().remove_observer(recorder_.get());
    r.trace = recorder_->events();
    r.frames = recorder_->frames();
  }
  r.failure = failure_;
  r.max_deviation = max_deviation_;
  r.matched_at = matched_at_;
  r.max_deviation_line = max_deviation_line_;
  r.interrupted_by = interrupted_by_;
  if (interrupted_by_ != 0) {
    r.passed = false;  // neither a pass nor the failure a self-test expects
  } else if (s_.expect_failure) {
    r.expected_failure = true;
    if (!failure_) {
      Failure f;
      f.loc = s_.loc;
      f.at = world_.now();
      f.message = "expected this scenario to fail with '" + *s_.expect_failure + "', but it passed";
      r.failure = f;
      r.passed = false;
    } else {
      r.passed = failure_->message.find(*s_.expect_failure) != std::string::npos;
      if (!r.passed) {
        Failure f = *failure_;
        f.notes.insert(f.notes.begin(), "(expected a failure containing '" + *s_.expect_failure + "')");
        r.failure = f;
      }
    }
  } else {
    r.passed = !failure_;
  }
  return r;
}

void Runner::execute(std::size_t i) {
  const Event& e = s_.events[i];
  std::visit(Overloaded{
                 [&](const Syscall&) { start_call(i); },
                 [&](const ExpectPacket&) {},
                 [&](const Inject& inj) { do_inject(e, inj); },
                 [&](const LinkChange& c) {
                   sim::Link* l = world_.sim().find_link(c.link);
                   if (!l) return fail(c.loc, "no link named '" + c.link + "'");
                   l->set_config(apply_options(l->config(), c.options));
                   if (c.options.mtu) do_link_mtu(*l, *c.options.mtu);
                 },
                 [&](const LinkUpDown& u) {
                   sim::Link* l = world_.sim().find_link(u.link);
                   if (!l) return fail(u.loc, "no link named '" + u.link + "'");
                   l->set_up(u.up);
                 },
                 [&](const Partition& p) { do_partition(p); },
                 [&](const Heal&) {
                   for (std::size_t k = 0; k < world_.sim().link_count(); ++k) {
                     world_.sim().link(static_cast<sim::LinkId>(k)).heal();
                   }
                 },
                 [&](const DropNext& d) { do_drop_next(d); },
                 [&](const Signal& sg) {
                   Host* h = host(sg.host);
                   const int tid = thread_id(sg.host, sg.thread);
                   if (!h->signal(tid, sg.number, sg.restart)) {
                     world_.sim().note(sim::TraceKind::kNote, h->node(), 0,
                                       sg.name + " to " + sg.host + "." + sg.thread + ": no call is blocked");
                   }
                 },
                 [&](const Expect& x) { do_expect(e, x); },
                 [&](const Note& n) { world_.sim().note(sim::TraceKind::kNote, -1, 0, n.text); },
                 [&](const End&) {},
                 [&](const SetSysctl& ss) {
                   Host* h = host(ss.host);
                   if (!h) return fail(ss.loc, "no host named '" + ss.host + "'");
                   if (auto r = stack::set_sysctl(h->personality(), ss.name, ss.value); !r) {
                     return fail(ss.loc, "sysctl " + ss.name + ": " + r.error());
                   }
                 },
             },
             e.body);
}

// ------------------------------------------------------------------------------------------
// Packets
// ------------------------------------------------------------------------------------------

void Runner::on_event(const sim::TraceEvent& ev, const sim::Packet* bytes) {
  if (ev.kind == sim::TraceKind::kFrameSent && bytes) on_frame(ev, *bytes);
}

bool Runner::checked(const DecodedFrame& f, const std::string& src_host, const std::string& dst_host) const {
  using K = DecodedFrame::Kind;
  // packetdrill sniffs only the socket under test's segments: an ICMP echo reply or an ARP
  // from the host is not the script's business.
  if (s_.drill && f.kind != K::kTcp && f.kind != K::kUdp) return false;
  if ((f.kind == K::kArp || f.kind == K::kNdp) && !strict_) return false;
  for (const auto& ig : ignores_) {
    auto in = [](const std::vector<std::string>& names, const std::string& h) {
      for (const auto& n : names) {
        if (n == "*" || n == h) return true;
      }
      return false;
    };
    if (!in(ig.from, src_host) || !in(ig.to, dst_host)) continue;
    using PK = PacketPolicyDecl::Kind;
    switch (ig.kind) {
      case PK::kAll: return false;
      case PK::kArp: if (f.kind == K::kArp) return false; break;
      case PK::kNdp: if (f.kind == K::kNdp) return false; break;
      case PK::kTcp: if (f.kind == K::kTcp) return false; break;
      case PK::kUdp: if (f.kind == K::kUdp) return false; break;
      case PK::kIcmp: if (f.kind == K::kIcmp) return false; break;
      case PK::kIcmpv6: if (f.kind == K::kIcmpv6) return false; break;
    }
  }
  return true;
}

// The expected packets a frame sent at `t` may match, in script order: those the cursor has
// reached and not matched, then, looking ahead, expected packets due by `t` that only notes
// and checks separate from the cursor (a packet the stack sends at the same instant as a
// `note` line need not wait for it).
std::vector<std::size_t> Runner::candidates(sim::Time t) const {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < expected_.size(); ++k) {
    if (!expected_[k].matched) out.push_back(expected_[k].event);
  }
  for (std::size_t i = cursor_; i < s_.events.size(); ++i) {
    const Event& e = s_.events[i];
    if (earliest_of(e) > t) break;
    if (std::holds_alternative<ExpectPacket>(e.body)) {
      bool known = false;
      for (const auto& x : expected_) known |= x.event == i;
      if (!known) out.push_back(i);
      continue;
    }
    if (!std::holds_alternative<Note>(e.body) && !std::holds_alternative<Expect>(e.body)) break;
  }
  return out;
}

void Runner::on_frame(const sim::TraceEvent& ev, const sim::Packet& bytes) {
  ++packets_;
  const wire::Bytes frame(bytes.data(), bytes.size());
  const DecodedFrame f = decode_frame(frame);
  // packetdrill numbers the remote's sequence space from its SYN to a listener or its SYN-ACK;
  // a SYN that crosses ours (simultaneous open) is taken literally.
  const bool crossing_syn = s_.drill && injecting_ && f.kind == DecodedFrame::Kind::kTcp &&
                            (f.tcp_flags & wire::tcp_flag::kSyn) && !(f.tcp_flags & wire::tcp_flag::kAck) &&
                            seqs_.receiver_isn(f) != 0;
  if (!crossing_syn) seqs_.observe(f);
  auto nh = node_host_.find(ev.node);
  const std::string src_host = nh == node_host_.end() ? std::string() : nh->second;
  const std::string dst_host = owner_of(f.dst);
  if ((f.kind == DecodedFrame::Kind::kTcp || f.kind == DecodedFrame::Kind::kUdp) && !dst_host.empty()) {
    const auto key = src_host < dst_host ? std::make_pair(src_host, dst_host) : std::make_pair(dst_host, src_host);
    last_flow_[key] = std::make_tuple(f.src, f.sport, f.dst, f.dport);
  }
  if (f.malformed.empty() && f.kind != DecodedFrame::Kind::kArp && frame.size() > wire::kEthernetHeaderLen) {
    last_ip_sent_[src_host].assign(frame.begin() + wire::kEthernetHeaderLen, frame.end());
  }
  if (failed() || injecting_) return;
  Host* sender = src_host.empty() ? nullptr : host(src_host);
  // A frame the host forwards is a router's business, not its own: only what a host
  // originates is checked (ARP and NDP have no IP source to test).
  if (sender && f.kind != DecodedFrame::Kind::kArp && f.malformed.empty() && !sender->is_local_address(f.src)) {
    return;
  }
  if (!checked(f, src_host, dst_host)) return;
  // packetdrill aggregates consecutive segments until they reach the length of the script's
  // packet (a `P. 1:11001(11000)` TSO burst matches ten 1100-byte segments): the sequence
  // number from the first, the headers from the last.
  DecodedFrame aggregated;
  const DecodedFrame* fp = &f;
  if (s_.drill && f.kind == DecodedFrame::Kind::kTcp && f.malformed.empty() && f.payload_len > 0) {
    const std::uint32_t rel = f.seq - seqs_.sender_isn(f);
    std::optional<std::size_t> first;
    for (std::size_t idx : candidates(world_.now())) {
      const auto* tp = std::get_if<TcpPattern>(&std::get<ExpectPacket>(s_.events[idx].body).packet.detail);
      if (tp) first = idx;
      break;
    }
    const TcpPattern* want =
        first ? std::get_if<TcpPattern>(&std::get<ExpectPacket>(s_.events[*first].body).packet.detail) : nullptr;
    if (want && want->seq && want->seq->len > f.payload_len) {
      if (aggregate_ && aggregate_->event == *first && rel == want->seq->start + aggregate_->len) {
        aggregate_->len += f.payload_len;
      } else if (rel == want->seq->start) {
        aggregate_ = Aggregate{*first, f, f.payload_len};
      } else {
        aggregate_.reset();
      }
      if (aggregate_ && aggregate_->len < want->seq->len) return;  // wait for the rest
      if (aggregate_) {
        aggregated = f;
        aggregated.seq = aggregate_->first.seq;
        aggregated.payload_len = aggregate_->len;
        fp = &aggregated;
        aggregate_.reset();
      }
    } else {
      aggregate_.reset();
    }
  }
  const DecodedFrame& fm = *fp;
  // packetdrill looks only at the socket under test's segments: its 4-tuple is learnt from
  // its first SYN (sent, or injected to a listener), and segments of other connections (a
  // closed socket's FIN, say) are passed over.
  if (s_.drill && fm.kind == DecodedFrame::Kind::kTcp && fm.malformed.empty()) {
    const auto ports = std::make_pair(fm.sport, fm.dport);
    if (!drill_sut_ && (fm.tcp_flags & wire::tcp_flag::kSyn)) drill_sut_ = ports;
    if (drill_sut_ && *drill_sut_ != ports) return;
  }

  const sim::Time now = world_.now();
  auto owner = [this](const wire::IpAddr& a) { return owner_of(a); };
  const std::string actual = sim::format_seconds(now) + " " + format_actual(fm, seqs_, owner);
  const auto cands = candidates(now);
  // Order between packets of one sender is kept: a frame may only match the first
  // outstanding expectation from its host (`*` lines excepted, they wait for their packet).
  std::optional<std::size_t> first_same_sender;
  for (std::size_t idx : cands) {
    const Event& e = s_.events[idx];
    const auto& p = std::get<ExpectPacket>(e.body).packet;
    const bool same_sender = p.src.kind == Address::Kind::kAnyHost ||
                             (p.src.kind == Address::Kind::kHost && p.src.host == src_host) ||
                             (p.src.kind == Address::Kind::kIp && sender && sender->is_local_address(p.src.ip));
    if (!same_sender) continue;
    if (!endpoints_match(p, fm, src_host, owner)) {
      if (!first_same_sender && e.time.kind != TimeSpec::Kind::kAny) first_same_sender = idx;
      continue;
    }
    std::string diff = compare_fields(p, fm, seqs_);
    const bool in_time = earliest_of(e) <= now && now <= latest_of(e);
    if (diff.empty() && in_time) diff = check_drill_ts(std::get<ExpectPacket>(e.body), fm, now);
    if (diff.empty() && in_time) {
      note_deviation(e, now);
      matched_at_.emplace_back(e.loc.line, now);
      if (drill_pending_check(e)) return;
      bool found = false;
      for (auto& x : expected_) {
        if (x.event == idx) {
          x.matched = found = true;
        }
      }
      if (!found) expected_.push_back({idx, true});
      return;
    }
    if (!first_same_sender || e.time.kind != TimeSpec::Kind::kAny) {
      if (!first_same_sender) first_same_sender = idx;
      if (e.time.kind != TimeSpec::Kind::kAny) break;
    }
  }
  if (!first_same_sender && s_.drill) {
    // packetdrill compares a packet only when a `>` line waits for one: an extra packet fails
    // the next `>` line, and goes unseen after the last one (drill_pending_check).
    drill_pending_.push_back({fm, actual, now});
    return;
  }
  if (!first_same_sender) {
    std::vector<std::string> notes;
    // The script's next packet from this host, if any, tells a packet sent too early.
    for (std::size_t i = cursor_; i < s_.events.size(); ++i) {
      const auto* ep = std::get_if<ExpectPacket>(&s_.events[i].body);
      if (!ep || std::find(cands.begin(), cands.end(), i) != cands.end()) continue;
      if (!endpoints_match(ep->packet, fm, src_host, owner)) continue;
      notes.push_back("the script's next packet like it is at line " + std::to_string(s_.events[i].loc.line) +
                      ", due " + event_time_text(s_.events[i]) + ": " + format_pattern(ep->packet));
      break;
    }
    for (std::size_t idx : cands) {
      notes.push_back("outstanding: line " + std::to_string(s_.events[idx].loc.line) + ": " +
                      format_pattern(std::get<ExpectPacket>(s_.events[idx].body).packet));
    }
    const SourceLoc& loc = cursor_ < s_.events.size() ? s_.events[cursor_].loc
                                                       : (s_.events.empty() ? s_.loc : s_.events.back().loc);
    fail(loc, "unexpected packet from " + (src_host.empty() ? std::string("?") : src_host) +
                  " (the script expects no packet from it here)",
         {}, actual, notes);
    return;
  }
  const Event& e = s_.events[*first_same_sender];
  const auto& p = std::get<ExpectPacket>(e.body).packet;
  const std::string expected = time_prefix(e) + " " + format_pattern(p);
  if (!endpoints_match(p, fm, src_host, owner)) {
    fail(e.loc, "packet sent to the wrong place", expected, actual);
    return;
  }
  std::string diff = compare_fields(p, fm, seqs_);
  if (diff.empty()) diff = check_drill_ts(std::get<ExpectPacket>(e.body), fm, now);
  if (!diff.empty()) {
    fail(e.loc, diff, expected, actual);
    return;
  }
  if (now < earliest_of(e)) {
    fail(e.loc, "packet sent too early: at " + sim::format_seconds(now) + " s, expected " + event_time_text(e),
         expected, actual);
  } else {
    fail(e.loc, "packet sent too late: at " + sim::format_seconds(now) + " s, expected " + event_time_text(e),
         expected, actual);
  }
}

// ------------------------------------------------------------------------------------------
// Calls
// ------------------------------------------------------------------------------------------

std::optional<SockAddr> Runner::resolve(const Address& a, int family) {
  std::optional<SockAddr> out;
  const std::uint16_t port = a.port.kind == PortSpec::Kind::kNumber ? a.port.number : 0;
  if (a.kind == Address::Kind::kIp) {
    if (a.ip.is_v4()) return SockAddr::v4(a.ip, port);
    return SockAddr::v6(a.ip, port, a.scope_id.value_or(0));
  }
  if (a.kind != Address::Kind::kHost) return std::nullopt;
  Host* h = host(a.host);
  if (!h) return std::nullopt;
  if (family == stack::kAfInet6) {
    if (auto v6 = h->primary_address(wire::IpFamily::kV6)) return SockAddr::v6(*v6, port);
    if (auto v4 = h->primary_address(wire::IpFamily::kV4)) return SockAddr::v6(wire::IpAddr::v4_mapped(*v4), port);
    return std::nullopt;
  }
  if (auto v4 = h->primary_address(wire::IpFamily::kV4)) return SockAddr::v4(*v4, port);
  if (auto v6 = h->primary_address(wire::IpFamily::kV6)) return SockAddr::v6(*v6, port);
  return std::nullopt;
}

bool Runner::addr_matches(const Address& want, const SockAddr& got) {
  if (want.port.kind == PortSpec::Kind::kNumber && want.port.number != got.port) return false;
  switch (want.kind) {
    case Address::Kind::kAnyHost:
      return true;
    case Address::Kind::kIp: {
      if (want.ip == got.addr) return true;
      return false;
    }
    case Address::Kind::kHost: {
      Host* h = host(want.host);
      if (!h) return false;
      wire::IpAddr a = got.addr;
      if (a.is_v4_mapped()) a = wire::IpAddr::from_bytes(std::span<const std::uint8_t>(a.bytes()).subspan(12, 4));
      return h->is_local_address(a) && owner_of(a) == want.host;
    }
  }
  return false;
}

std::optional<UserAddr> Runner::user_addr(const Syscall& c, const Expr& e, int fd, std::optional<std::int64_t> len) {
  int family = stack::kAfInet;
  if (Host* h = host(c.host)) {
    if (stack::Sock* sk = h->sock_of_fd(fd)) family = sk->family;
  }
  auto with_len = [&](UserAddr u) {
    if (len) u.len = static_cast<int>(*len);
    return u;
  };
  if (const auto* a = std::get_if<AddressExpr>(&e.v)) {
    auto sa = resolve(a->address, family);
    if (!sa) {
      fail(e.loc, "host '" + a->address.host + "' has no address for this socket");
      return std::nullopt;
    }
    return with_len(UserAddr::from(*sa));
  }
  if (const auto* s = std::get_if<SymbolExpr>(&e.v); s && s->name == "AF_UNSPEC") {
    return with_len(UserAddr::from(SockAddr::unspec()));
  }
  if (const auto* p = std::get_if<PointerExpr>(&e.v)) {
    const int l = static_cast<int>(len.value_or(family == stack::kAfInet6 ? stack::kSockaddrIn6Len : stack::kSockaddrInLen));
    return p->kind == PointerExpr::Kind::kNull ? UserAddr::null(l) : UserAddr::bad(l);
  }
  if (const auto* r = std::get_if<RawAddrExpr>(&e.v)) {
    UserAddr u;
    if (r->address) {
      auto sa = resolve(*r->address, family);
      if (!sa) {
        fail(e.loc, "host '" + r->address->host + "' has no address for this socket");
        return std::nullopt;
      }
      u = UserAddr::from(*sa);
      if (r->family) {
        u.bytes[0] = static_cast<std::uint8_t>(*r->family);
        u.bytes[1] = static_cast<std::uint8_t>(*r->family >> 8);
      }
    } else {
      const int l = family == stack::kAfInet6 ? stack::kSockaddrIn6Len : stack::kSockaddrInLen;
      u = r->pointer == PointerExpr::Kind::kNull ? UserAddr::null(l) : UserAddr::bad(l);
    }
    if (r->len) u.len = static_cast<int>(*r->len);
    if (len) u.len = static_cast<int>(*len);
    return u;
  }
  fail(e.loc, "expected an address here");
  return std::nullopt;
}

void Runner::start_call(std::size_t i) {
  const Event& e = s_.events[i];
  const Syscall& c = std::get<Syscall>(e.body);
  Host& h = *host(c.host);
  const int tid = thread_id(c.host, c.thread);
  // packetdrill: script fds name the live fds socket() and accept() gave (drill_fds_).
  const auto& a = s_.drill ? drill_args_[i] = drill_map_args(c) : c.args;
  auto iarg = [&](std::size_t k, std::int64_t dflt = 0) -> std::int64_t {
    if (k >= a.size()) return dflt;
    auto v = int_value(a[k]);
    return v ? *v : dflt;
  };
  auto done_void = [this, i](stack::SysResult<void> r) { finish_call(i, r ? Outcome::of(0) : Outcome::error(r.error())); };
  auto data_arg = [&](const Expr& data, std::optional<std::int64_t> n) {
    std::vector<std::uint8_t> out;
    if (const auto* s = std::get_if<StringExpr>(&data.v)) out.assign(s->bytes.begin(), s->bytes.end());
    if (n) out.resize(static_cast<std::size_t>(std::max<std::int64_t>(0, *n)));
    else if (auto v = int_value(data)) out.assign(static_cast<std::size_t>(std::max<std::int64_t>(0, *v)), 0);
    return out;
  };
  auto long_form = [&](std::size_t k) {
    return k < a.size() && (std::holds_alternative<EllipsisExpr>(a[k].v) || std::holds_alternative<StringExpr>(a[k].v));
  };

  // The call and its return are trace events (explain draws them); the detail names the script
  // line so a reader can show the call as written.
  world_.sim().note(sim::TraceKind::kSyscall, h.node(), 0, c.host + ": " + c.name + "()",
                    "line " + std::to_string(c.loc.line));
  in_call_ = i;
  completed_in_call_ = false;
  calls_.push_back({i, false});
  // A call the runner could not even make (a bad address): nothing is pending.
  auto abandon = [this, i] {
    std::erase_if(calls_, [i](const PendingCall& pc) { return pc.event == i; });
    in_call_.reset();
  };
  const int fd = static_cast<int>(iarg(0, -1));
  const std::string& n = c.name;
  // packetdrill: connect() and sendto(MSG_FASTOPEN) make the socket under test connecting again.
  if (s_.drill && (n == "connect" || (n == "sendto" && a.size() >= 4 && (iarg(3) & stack::kMsgFastopen)))) {
    const stack::Sock* sk = h.sock_of_fd(fd);
    if (!sk || !sk->is_tcp() || sk->tcp.state == stack::TcpState::kClosed) drill_sut_.reset();
  }
  if (n == "socket") {
    if (s_.drill) drill_sut_.reset();  // a new socket under test (its 4-tuple from its first SYN)
    auto r = h.socket(static_cast<int>(iarg(0)), static_cast<int>(iarg(1)), static_cast<int>(iarg(2)));
    finish_call(i, r ? Outcome::of(*r) : Outcome::error(r.error()));
  } else if (n == "bind" || n == "connect") {
    std::optional<std::int64_t> len;
    if (a.size() > 2) len = int_value(a[2]);
    auto u = user_addr(c, a[1], fd, len);
    if (!u) return abandon();
    if (n == "bind") {
      auto r = h.bind(fd, *u);
      finish_call(i, r ? Outcome::of(0) : Outcome::error(r.error()));
    } else {
      h.connect(fd, *u, done_void, tid);
    }
  } else if (n == "listen") {
    auto r = h.listen(fd, static_cast<int>(iarg(1)));
    finish_call(i, r ? Outcome::of(0) : Outcome::error(r.error()));
  } else if (n == "accept" || n == "accept4") {
    int flags = 0;
    if (n == "accept4") flags = static_cast<int>(iarg(a.size() - 1));
    h.accept(fd, flags, [this, i](stack::SysResult<stack::AcceptResult> r) {
      if (!r) return finish_call(i, Outcome::error(r.error()));
      Outcome o = Outcome::of(r->fd);
      o.addr = r->peer;
      finish_call(i, std::move(o));
    }, tid);
  } else if (n == "close") {
    h.close(fd, done_void, tid);
  } else if (n == "shutdown") {
    auto r = h.shutdown(fd, static_cast<int>(iarg(1)));
    finish_call(i, r ? Outcome::of(0) : Outcome::error(r.error()));
  } else if (n == "write" || n == "send" || n == "sendto") {
    std::vector<std::uint8_t> data;
    int flags = 0;
    std::optional<UserAddr> to;
    if (n == "write") {
      data = a.size() == 3 ? data_arg(a[1], int_value(a[2])) : data_arg(a[1], std::nullopt);
    } else if (n == "send") {
      if (a.size() == 4) {
        data = data_arg(a[1], int_value(a[2]));
        flags = static_cast<int>(iarg(3));
      } else {
        data = data_arg(a[1], std::nullopt);
        flags = static_cast<int>(iarg(2));
      }
    } else {
      std::size_t addr_k = 3;
      std::optional<std::int64_t> len;
      if (a.size() >= 5) {
        data = data_arg(a[1], int_value(a[2]));
        flags = static_cast<int>(iarg(3));
        addr_k = 4;
        if (a.size() == 6) len = int_value(a[5]);
      } else {
        data = data_arg(a[1], std::nullopt);
        flags = static_cast<int>(iarg(2));
      }
      const Expr& ae = a[addr_k];
      if (!(std::holds_alternative<PointerExpr>(ae.v) && std::get<PointerExpr>(ae.v).kind == PointerExpr::Kind::kNull &&
            !len)) {
        to = user_addr(c, ae, fd, len);
        if (!to) return abandon();
      }
    }
    h.send(fd, data, flags, to ? &*to : nullptr, [this, i](stack::SysResult<std::size_t> r) {
      finish_call(i, r ? Outcome::of(static_cast<std::int64_t>(*r)) : Outcome::error(r.error()));
    }, tid);
  } else if (n == "read" || n == "recv" || n == "recvfrom") {
    std::int64_t len = 0;
    int flags = 0;
    if (n == "read") {
      len = a.size() == 3 ? iarg(2) : iarg(1);
    } else if (long_form(1)) {
      len = iarg(2);
      flags = static_cast<int>(iarg(3));
    } else {
      len = iarg(1);
      flags = static_cast<int>(iarg(2));
    }
    const bool from = n == "recvfrom";
    h.recv(fd, static_cast<std::size_t>(std::max<std::int64_t>(0, len)), flags,
           [this, i, from](stack::SysResult<stack::RecvResult> r) {
             if (!r) return finish_call(i, Outcome::error(r.error()));
             Outcome o = Outcome::of(static_cast<std::int64_t>(r->data.size()));
             o.data = std::move(r->data);
             if (from) o.addr = r->from;
             finish_call(i, std::move(o));
           },
           tid);
  } else if (n == "getsockopt") {
    int optlen = 4;
    if (a.size() > 4) {
      optlen = static_cast<int>(iarg(4, 4));
    } else if (a.size() > 3 && !is_wild(a[3])) {
      std::vector<std::uint8_t> v;
      encode_value(a[3], &v);
      optlen = static_cast<int>(v.size());
    }
    auto r = h.getsockopt(fd, static_cast<int>(iarg(1)), static_cast<int>(iarg(2)), optlen);
    if (!r) {
      finish_call(i, Outcome::error(r.error()));
    } else {
      Outcome o = Outcome::of(0);
      o.optval = *r;
      finish_call(i, std::move(o));
    }
  } else if (n == "setsockopt") {
    std::vector<std::uint8_t> v;
    encode_value(a[3], &v);
    if (a.size() > 4) v.resize(static_cast<std::size_t>(std::max<std::int64_t>(0, iarg(4))));
    auto r = h.setsockopt(fd, static_cast<int>(iarg(1)), static_cast<int>(iarg(2)), v);
    finish_call(i, r ? Outcome::of(0) : Outcome::error(r.error()));
  } else if (n == "getsockname" || n == "getpeername") {
    auto r = n == "getsockname" ? h.getsockname(fd) : h.getpeername(fd);
    if (!r) {
      finish_call(i, Outcome::error(r.error()));
    } else {
      Outcome o = Outcome::of(0);
      o.addr = *r;
      o.address_result = std::holds_alternative<AddressExpr>(c.result.v);
      finish_call(i, std::move(o));
    }
  } else if (n == "fcntl") {
    auto r = h.fcntl(fd, static_cast<int>(iarg(1)), static_cast<long>(iarg(2)));
    finish_call(i, r ? Outcome::of(*r) : Outcome::error(r.error()));
  } else if (n == "poll") {
    std::vector<stack::PollFd> fds;
    if (const auto* l = std::get_if<ListExpr>(&a[0].v)) {
      for (const auto& item : l->items) {
        stack::PollFd p;
        if (const auto* st = std::get_if<StructExpr>(&item.v)) {
          for (const auto& f : st->fields) {
            if (f.name == "fd") p.fd = static_cast<int>(int_value(f.value).value_or(-1));
            if (f.name == "events") p.events = static_cast<short>(int_value(f.value).value_or(0));
          }
        }
        fds.push_back(p);
      }
    }
    const std::int64_t ms = iarg(2, -1);
    const sim::Duration timeout = ms < 0 ? sim::Duration::nanos(-1) : sim::Duration::millis(ms);
    h.poll(std::move(fds), timeout, [this, i](stack::SysResult<std::vector<stack::PollFd>> r) {
      if (!r) return finish_call(i, Outcome::error(r.error()));
      std::int64_t ready = 0;
      for (const auto& p : *r) ready += p.revents != 0;
      Outcome o = Outcome::of(ready);
      o.pollfds = *r;
      finish_call(i, std::move(o));
    }, tid);
  } else if (n == "dup") {
    auto r = h.dup(fd);
    finish_call(i, r ? Outcome::of(*r) : Outcome::error(r.error()));
  } else if (n == "open") {
    finish_call(i, Outcome::of(h.open_file(stack::FileKind::kRegular)));
  } else if (n == "pipe") {
    const int rd = h.open_file(stack::FileKind::kPipe);
    (void)h.open_file(stack::FileKind::kPipe);
    finish_call(i, Outcome::of(rd));
  } else if (start_libowfat(i, c, h, tid)) {
    if (failed()) return abandon();
  } else {
    fail(c.loc, c.name + "() is not supported by the runner yet");
    return abandon();
  }
  in_call_.reset();
  if (failed()) return;
  // A call that did not complete at once is blocked: the script must say so.
  if (!completed_in_call_ && !c.returns_at) {
    fail(c.loc, c.name + "() blocked, but the script expects it to return at once (write TIME...END for a "
                         "call that blocks)");
  }
}

std::optional<wire::IpAddr> Runner::ip_arg(const Expr& e, bool v6) {
  const auto* a = std::get_if<AddressExpr>(&e.v);
  if (!a) {
    fail(e.loc, "expected an IP address or a host here");
    return std::nullopt;
  }
  if (a->address.kind == Address::Kind::kIp) return a->address.ip;
  auto sa = resolve(a->address, v6 ? stack::kAfInet6 : stack::kAfInet);
  if (!sa) {
    fail(e.loc, "host '" + a->address.host + "' has no address of that family");
    return std::nullopt;
  }
  return sa->addr;
}

// libowfat's calls (stack/compat/libowfat.h): results and errno as the library returns them.
// The IP, PORT and SCOPE_ID arguments of socket_accept*, socket_local* and socket_remote*
// are what the library writes back: they are compared like a result.
bool Runner::start_libowfat(std::size_t i, const Syscall& c, Host& h, int tid) {
  namespace lo = stack::compat;
  const auto& a = c.args;
  const std::string& n = c.name;
  auto iarg = [&](std::size_t k) -> std::int64_t { return k < a.size() ? int_value(a[k]).value_or(0) : 0; };
  auto sync = [&](stack::SysResult<int> r) { finish_call(i, r ? Outcome::of(*r) : Outcome::error(r.error())); };
  auto endpoint = [this, i](stack::SysResult<lo::Endpoint> r) {
    if (!r) return finish_call(i, Outcome::error(r.error()));
    Outcome o = Outcome::of(0);
    o.addr = r->ip.is_v4() ? SockAddr::v4(r->ip, r->port) : SockAddr::v6(r->ip, r->port, r->scope_id);
    finish_call(i, std::move(o));
  };
  auto done_int = [this, i](stack::SysResult<int> r) { finish_call(i, r ? Outcome::of(*r) : Outcome::error(r.error())); };
  auto done_size = [this, i](stack::SysResult<std::size_t> r) {
    finish_call(i, r ? Outcome::of(static_cast<std::int64_t>(*r)) : Outcome::error(r.error()));
  };
  auto done_accept = [this, i](stack::SysResult<lo::AcceptedPeer> r) {
    if (!r) return finish_call(i, Outcome::error(r.error()));
    Outcome o = Outcome::of(r->fd);
    o.addr = r->peer.ip.is_v4() ? SockAddr::v4(r->peer.ip, r->peer.port)
                                : SockAddr::v6(r->peer.ip, r->peer.port, r->peer.scope_id);
    finish_call(i, std::move(o));
  };
  const int fd = static_cast<int>(iarg(0));
  auto port = [&](std::size_t k) { return static_cast<std::uint16_t>(iarg(k)); };
  auto data = [&](const Expr& e) {
    std::vector<std::uint8_t> out;
    if (const auto* str = std::get_if<StringExpr>(&e.v)) out.assign(str->bytes.begin(), str->bytes.end());
    else out.assign(static_cast<std::size_t>(std::max<std::int64_t>(0, int_value(e).value_or(0))), 0);
    return out;
  };
  if (n == "socket_tcp4") sync(lo::socket_tcp4(h));
  else if (n == "socket_tcp4b") sync(lo::socket_tcp4b(h));
  else if (n == "socket_tcp6") sync(lo::socket_tcp6(h));
  else if (n == "socket_tcp6b") sync(lo::socket_tcp6b(h));
  else if (n == "socket_udp4") sync(lo::socket_udp4(h));
  else if (n == "socket_udp4b") sync(lo::socket_udp4b(h));
  else if (n == "socket_udp6") sync(lo::socket_udp6(h));
  else if (n == "socket_udp6b") sync(lo::socket_udp6b(h));
  else if (n == "socket_bind4" || n == "socket_bind4_reuse") {
    auto ip = ip_arg(a[1], false);
    if (!ip) return true;
    sync(n == "socket_bind4" ? lo::socket_bind4(h, fd, *ip, port(2)) : lo::socket_bind4_reuse(h, fd, *ip, port(2)));
  } else if (n == "socket_bind6" || n == "socket_bind6_reuse") {
    auto ip = ip_arg(a[1], true);
    if (!ip) return true;
    const auto scope = static_cast<std::uint32_t>(iarg(3));
    sync(n == "socket_bind6" ? lo::socket_bind6(h, fd, *ip, port(2), scope)
                             : lo::socket_bind6_reuse(h, fd, *ip, port(2), scope));
  } else if (n == "socket_connect4") {
    auto ip = ip_arg(a[1], false);
    if (!ip) return true;
    lo::socket_connect4(h, fd, *ip, port(2), done_int, tid);
  } else if (n == "socket_connect6") {
    auto ip = ip_arg(a[1], true);
    if (!ip) return true;
    lo::socket_connect6(h, fd, *ip, port(2), static_cast<std::uint32_t>(iarg(3)), done_int, tid);
  } else if (n == "socket_fastopen_connect4") {
    auto ip = ip_arg(a[1], false);
    if (!ip) return true;
    lo::socket_fastopen_connect4(h, fd, *ip, port(2), data(a[3]), done_size, tid);
  } else if (n == "socket_fastopen_connect6") {
    auto ip = ip_arg(a[1], true);
    if (!ip) return true;
    lo::socket_fastopen_connect6(h, fd, *ip, port(2), static_cast<std::uint32_t>(iarg(3)), data(a[4]), done_size, tid);
  } else if (n == "socket_fastopen") {
    sync(lo::socket_fastopen(h, fd));
  } else if (n == "socket_connected") {
    // libowfat returns 0 (not -1) with errno set when there is no peer.
    auto r = lo::socket_connected(h, fd);
    Outcome o = r ? Outcome::of(*r) : Outcome::error(r.error());
    if (!r) o.value = 0;
    finish_call(i, o);
  } else if (n == "socket_listen") {
    sync(lo::socket_listen(h, fd, static_cast<unsigned>(iarg(1))));
  } else if (n == "socket_accept4") {
    lo::socket_accept4(h, fd, done_accept, tid);
  } else if (n == "socket_accept6") {
    lo::socket_accept6(h, fd, done_accept, tid);
  } else if (n == "socket_local4") {
    endpoint(lo::socket_local4(h, fd));
  } else if (n == "socket_local6") {
    endpoint(lo::socket_local6(h, fd));
  } else if (n == "socket_remote4") {
    endpoint(lo::socket_remote4(h, fd));
  } else if (n == "socket_remote6") {
    endpoint(lo::socket_remote6(h, fd));
  } else if (n == "socket_getifidx") {
    const auto* str = a.empty() ? nullptr : std::get_if<StringExpr>(&a[0].v);
    finish_call(i, Outcome::of(lo::socket_getifidx(h, str ? str->bytes : std::string())));
  } else if (n == "socket_getifname") {
    Outcome o = Outcome::of(0);
    const std::string name = lo::socket_getifname(h, static_cast<std::uint32_t>(iarg(0)));
    o.data = std::vector<std::uint8_t>(name.begin(), name.end());
    finish_call(i, std::move(o));
  } else if (n == "ndelay_on") {
    sync(lo::ndelay_on(h, fd));
  } else if (n == "ndelay_off") {
    sync(lo::ndelay_off(h, fd));
  } else {
    return false;
  }
  return true;
}

void Runner::finish_call(std::size_t i, Outcome o) {
  if (in_call_ == i) completed_in_call_ = true;
  for (auto& pc : calls_) {
    if (pc.event == i) pc.done = true;
  }
  std::erase_if(calls_, [](const PendingCall& pc) { return pc.done; });
  if (failed()) return;
  const Event& e = s_.events[i];
  const Syscall& c = std::get<Syscall>(e.body);
  if (world_.sim().wants_text()) {
    world_.sim().note(sim::TraceKind::kSyscall, host(c.host)->node(), 0,
                      c.host + ": " + c.name + "() = " + describe(o), "return line " + std::to_string(c.loc.line));
  }
  const sim::Time now = world_.now();
  const sim::Time want = c.returns_at.value_or(e.at);
  if (c.returns_at && now != want && now + c.tolerance >= want && now <= want + c.tolerance) {
    note_deviation_at(e, want, now);
  } else if (now != want) {
    const std::string got = c.name + "() returned " + describe(o) + " at " + sim::format_seconds(now) + " s";
    if (now < want) {
      fail(c.loc, got + ", but the script expects it to block until " + sim::format_seconds(want) + " s");
    } else {
      fail(c.loc, got + ", but the script expects it to return at " + sim::format_seconds(want) + " s");
    }
    return;
  }
  check_outcome(i, o);
}

void Runner::check_outcome(std::size_t i, const Outcome& o) {
  const Syscall& c = std::get<Syscall>(s_.events[i].body);
  const std::string got = describe(o);
  auto mismatch = [&](const std::string& want) {
    fail(c.loc, c.name + "(): expected " + want + " but got " + got);
  };
  auto want_text = [&]() -> std::string {
    std::string w;
    if (c.errno_name) return std::to_string(int_value(c.result).value_or(-1)) + " " + *c.errno_name;
    if (const auto* iv = std::get_if<IntExpr>(&c.result.v)) return std::to_string(iv->value);
    if (const auto* sv = std::get_if<SymbolExpr>(&c.result.v)) return sv->name;
    if (const auto* st = std::get_if<StringExpr>(&c.result.v)) {
      return quote_bytes(std::vector<std::uint8_t>(st->bytes.begin(), st->bytes.end()));
    }
    if (const auto* ad = std::get_if<AddressExpr>(&c.result.v)) {
      PacketPattern tmp;
      tmp.src = ad->address;
      const std::string s = format_pattern(tmp);
      return s.substr(0, s.find(" > "));
    }
    if (auto v = int_value(c.result)) return std::to_string(*v);
    return "?";
  };
  if (c.errno_name) {
    if (!o.err || stack::name(*o.err) != *c.errno_name) return mismatch(want_text());
    if (auto v = int_value(c.result); v && *v != o.value) return mismatch(want_text());
    return;
  }
  if (o.err) {
    if (std::holds_alternative<WildcardExpr>(c.result.v)) return;
    if (c.any_errno && int_value(c.result) == -1) return;
    return mismatch(want_text());
  }
  // packetdrill: a socket() or accept() result declares the script's fd for the live one.
  if (s_.drill && (c.name == "socket" || c.name == "accept" || c.name == "accept4")) {
    if (const auto* iv = std::get_if<IntExpr>(&c.result.v); iv && iv->value >= 0 && o.value >= 0) {
      drill_fds_[static_cast<int>(iv->value)] = static_cast<int>(o.value);
      return;
    }
  }
  // The value.
  if (const auto* st = std::get_if<StringExpr>(&c.result.v)) {
    const std::vector<std::uint8_t> want(st->bytes.begin(), st->bytes.end());
    if (!o.data || *o.data != want) {
      fail(c.loc, c.name + "(): expected " + quote_bytes(want) + " but got " + (o.data ? quote_bytes(*o.data) : got));
    }
    return;
  }
  if (const auto* ad = std::get_if<AddressExpr>(&c.result.v)) {
    if (!o.addr || !addr_matches(ad->address, *o.addr)) {
      fail(c.loc, c.name + "(): expected " + want_text() + " but got " + (o.addr ? o.addr->to_string() : got));
    }
    return;
  }
  if (!is_wild(c.result)) {
    auto v = int_value(c.result);
    if (v && *v != o.value) return mismatch(want_text());
  }
  // Values the call hands back through its arguments.
  const auto& a = c.args;
  const std::string& n = c.name;
  if ((n == "accept" || n == "accept4") && a.size() > 1) {
    if (const auto* ad = std::get_if<AddressExpr>(&a[1].v); ad && o.addr && !addr_matches(ad->address, *o.addr)) {
      fail(a[1].loc, n + "(): expected the peer " + want_text() + " but it is " + o.addr->to_string());
      return;
    }
  }
  if ((n == "getsockname" || n == "getpeername") && a.size() > 1) {
    if (const auto* ad = std::get_if<AddressExpr>(&a[1].v); ad && o.addr && !addr_matches(ad->address, *o.addr)) {
      PacketPattern tmp;
      tmp.src = ad->address;
      const std::string s = format_pattern(tmp);
      fail(a[1].loc, n + "(): expected " + s.substr(0, s.find(" > ")) + " but got " + o.addr->to_string());
      return;
    }
  }
  if (n == "recvfrom" && o.addr) {
    const std::size_t k = a.size() >= 5 && (std::holds_alternative<EllipsisExpr>(a[1].v) ||
                                             std::holds_alternative<StringExpr>(a[1].v))
                              ? 4
                              : 3;
    if (k < a.size()) {
      if (const auto* ad = std::get_if<AddressExpr>(&a[k].v); ad && !addr_matches(ad->address, *o.addr)) {
        fail(a[k].loc, "recvfrom(): expected the source " + want_text() + " but it is " + o.addr->to_string());
        return;
      }
    }
  }
  // libowfat's IP/PORT/SCOPE_ID out-arguments.
  if (o.addr && (n == "socket_accept4" || n == "socket_accept6" || n.starts_with("socket_local") ||
                 n.starts_with("socket_remote"))) {
    if (a.size() > 1 && !is_wild(a[1])) {
      if (const auto* ad = std::get_if<AddressExpr>(&a[1].v)) {
        Address want = ad->address;
        want.port = {};
        if (!addr_matches(want, *o.addr)) {
          fail(a[1].loc, n + "(): expected the address " + want_text_of(a[1]) + " but got " + o.addr->addr.to_string());
          return;
        }
      }
    }
    if (a.size() > 2 && !is_wild(a[2])) {
      if (auto want = int_value(a[2]); want && *want != o.addr->port) {
        fail(a[2].loc, n + "(): expected the port " + std::to_string(*want) + " but got " + std::to_string(o.addr->port));
        return;
      }
    }
    if (a.size() > 3 && !is_wild(a[3])) {
      if (auto want = int_value(a[3]); want && *want != o.addr->scope_id) {
        fail(a[3].loc, n + "(): expected the scope id " + std::to_string(*want) + " but got " +
                           std::to_string(o.addr->scope_id));
        return;
      }
    }
  }
  if (n == "getsockopt" && a.size() > 3 && o.optval && !is_wild(a[3])) {
    const Expr& w = a[3];
    if (const auto* st = std::get_if<StructExpr>(&w.v)) {
      std::size_t off = 0;
      for (const auto& f : st->fields) {
        const bool wide = f.name == "tv_sec" || f.name == "tv_usec";
        const std::int64_t got_v = decode_le(*o.optval, off, wide ? 8 : 4);
        off += wide ? 8 : 4;
        if (is_wild(f.value)) continue;
        if (auto want = int_value(f.value); want && *want != got_v) {
          fail(f.loc, "getsockopt(): expected " + f.name + "=" + std::to_string(*want) + " but got " + std::to_string(got_v));
          return;
        }
      }
    } else if (auto want = int_value(w)) {
      const std::int64_t got_v = decode_le(*o.optval, 0, 4);
      if (*want != got_v) {
        std::string gs = std::to_string(got_v);
        // SO_ERROR's value is an errno: name it.
        if (a.size() > 2 && int_value(a[2]) == stack::kSoError && got_v > 0) {
          if (auto en = stack::errno_from_linux_number(static_cast<int>(got_v))) gs = std::string(stack::name(*en));
        }
        std::string ws = std::to_string(*want);
        if (const auto* sym = std::get_if<SymbolExpr>(&w.v)) ws = sym->name;
        if (const auto* l = std::get_if<ListExpr>(&w.v); l && l->items.size() == 1) {
          if (const auto* sym = std::get_if<SymbolExpr>(&l->items[0].v)) ws = sym->name;
        }
        fail(w.loc, "getsockopt(): expected the value " + ws + " but got " + gs);
        return;
      }
    }
  }
  if (n == "poll") {
    if (const auto* l = std::get_if<ListExpr>(&a[0].v)) {
      for (std::size_t k = 0; k < l->items.size() && k < o.pollfds.size(); ++k) {
        const auto* st = std::get_if<StructExpr>(&l->items[k].v);
        if (!st) continue;
        for (const auto& f : st->fields) {
          if (f.name != "revents" || is_wild(f.value)) continue;
          const auto want = int_value(f.value);
          if (want && *want != o.pollfds[k].revents) {
            fail(f.loc, "poll(): expected revents " + format_flags(SymbolKind::kPoll, *want) + " for fd " +
                            std::to_string(o.pollfds[k].fd) + " but got " +
                            format_flags(SymbolKind::kPoll, o.pollfds[k].revents));
            return;
          }
        }
      }
    }
  }
}

// ------------------------------------------------------------------------------------------
// Other events
// ------------------------------------------------------------------------------------------

void Runner::do_link_mtu(sim::Link& l, int mtu) {
  for (const auto& hp : world_.hosts()) {
    for (auto& i : hp->interfaces) {
      if (i.link == &l) i.mtu = mtu;
    }
  }
}

void Runner::do_partition(const Partition& p) {
  for (std::size_t k = 0; k < world_.sim().link_count(); ++k) {
    sim::Link& l = world_.sim().link(static_cast<sim::LinkId>(k));
    if (l.port_count() < 2) continue;
    std::vector<std::vector<sim::PortId>> groups(p.groups.size() + 1);
    for (std::size_t port = 0; port < l.port_count(); ++port) {
      const auto it = node_host_.find(l.port(static_cast<sim::PortId>(port)).node);
      const std::string name = it == node_host_.end() ? std::string() : it->second;
      std::size_t g = p.groups.size();
      for (std::size_t gi = 0; gi < p.groups.size(); ++gi) {
        if (std::find(p.groups[gi].begin(), p.groups[gi].end(), name) != p.groups[gi].end()) g = gi;
      }
      groups[g].push_back(static_cast<sim::PortId>(port));
    }
    std::erase_if(groups, [](const auto& g) { return g.empty(); });
    if (groups.size() > 1) l.partition(groups);
  }
}

void Runner::do_drop_next(const DropNext& d) {
  auto remaining = std::make_shared<std::int64_t>(d.count);
  PacketPattern pattern = d.pattern;
  // A drop pattern selects packets: options it does not mention are not compared.
  if (auto* t = std::get_if<TcpPattern>(&pattern.detail); t && t->options_mode == TcpPattern::Options::kNone) {
    t->options_mode = TcpPattern::Options::kAny;
  }
  for (std::size_t k = 0; k < world_.sim().link_count(); ++k) {
    sim::Link& l = world_.sim().link(static_cast<sim::LinkId>(k));
    if (d.link && l.name() != *d.link) continue;
    sim::FaultRule rule;
    rule.count = static_cast<int>(std::min<std::int64_t>(d.count, 1 << 30));
    rule.reason = "dropped by the script (line " + std::to_string(d.loc.line) + ")";
    rule.match = [this, remaining, pattern](std::span<const std::uint8_t> bytes) {
      if (*remaining <= 0) return false;
      const DecodedFrame f = decode_frame(bytes);
      auto owner = [this](const wire::IpAddr& a) { return owner_of(a); };
      if (!endpoints_match(pattern, f, owner_of(f.src), owner)) return false;
      if (pattern.kind != PacketPattern::Kind::kAny && !compare_fields(pattern, f, seqs_).empty()) return false;
      --*remaining;
      return true;
    };
    l.add_fault(std::move(rule));
  }
}

void Runner::do_expect(const Event& e, const Expect& x) {
  Host& h = *host(x.host);
  switch (x.kind) {
    case Expect::Kind::kFdState: {
      stack::Sock* sk = h.sock_of_fd(static_cast<int>(x.fd));
      if (!sk) return fail(x.loc, x.host + " has no socket on fd " + std::to_string(x.fd));
      const auto want = stack::tcp_state_from_name(x.name);
      if (!sk->is_tcp()) return fail(x.loc, "fd " + std::to_string(x.fd) + " is not a TCP socket");
      if (!want || *want != sk->tcp.state) {
        fail(x.loc, "expected fd " + std::to_string(x.fd) + " in state " + x.name + " but it is in " +
                        std::string(stack::linux_name(sk->tcp.state)));
      }
      return;
    }
    case Expect::Kind::kFdPoll: {
      stack::Sock* sk = h.sock_of_fd(static_cast<int>(x.fd));
      if (!sk) return fail(x.loc, x.host + " has no socket on fd " + std::to_string(x.fd));
      // poll() with every event asked for; the *NORM twins and WRBAND are compared only when
      // the script names them.
      constexpr short kMain = stack::kPollIn | stack::kPollPri | stack::kPollOut | stack::kPollErr |
                              stack::kPollHup | stack::kPollNval | stack::kPollRdHup;
      const short mask = static_cast<short>((x.value & ~kMain) ? 0xffff : kMain);
      const short got = static_cast<short>(h.poll_mask(*sk) & mask);
      if (got != static_cast<short>(x.value & mask)) {
        fail(x.loc, "expected poll revents " + x.value_text + " on fd " + std::to_string(x.fd) + " but got " +
                        format_flags(SymbolKind::kPoll, got));
      }
      return;
    }
    case Expect::Kind::kCounter: {
      const auto m = stack::mib_from_name(x.name);
      if (!m) return fail(x.loc, "unknown counter '" + x.name + "'");
      const auto got = static_cast<std::int64_t>(h.counters().get(*m));
      if (!compare(x.op, got, x.value)) {
        fail(x.loc, "expected " + x.host + " counter " + x.name + " " + std::string(op_text(x.op)) + " " +
                        std::to_string(x.value) + " but it is " + std::to_string(got));
      }
      return;
    }
    case Expect::Kind::kDrops: {
      const auto r = stack::drop_reason_from_name(x.name);
      if (!r) return fail(x.loc, "unknown drop reason '" + x.name + "'");
      const auto got = static_cast<std::int64_t>(h.counters().dropped(*r));
      if (!compare(x.op, got, x.value)) {
        fail(x.loc, "expected " + x.host + " drops " + x.name + " " + std::string(op_text(x.op)) + " " +
                        std::to_string(x.value) + " but there were " + std::to_string(got));
      }
      return;
    }
    case Expect::Kind::kTcpInfo: return do_expect_tcpinfo(h, x);
    case Expect::Kind::kSocketListed: return do_expect_listed(h, x);
  }
  (void)e;
}

namespace {

// ss's state names (iproute2 misc/ss.c sstate_name).
std::string_view ss_state_name(stack::TcpState s) {
  using T = stack::TcpState;
  switch (s) {
    case T::kEstablished: return "ESTAB";
    case T::kSynSent: return "SYN-SENT";
    case T::kSynReceived: return "SYN-RECV";
    case T::kFinWait1: return "FIN-WAIT-1";
    case T::kFinWait2: return "FIN-WAIT-2";
    case T::kTimeWait: return "TIME-WAIT";
    case T::kClosed: return "UNCONN";
    case T::kCloseWait: return "CLOSE-WAIT";
    case T::kLastAck: return "LAST-ACK";
    case T::kListen: return "LISTEN";
    case T::kClosing: return "CLOSING";
  }
  return "UNKNOWN";
}

// An address as ss printed it before iproute2 put IPv6 in brackets (the 2013 scripts grep
// for that): IPv4 in an AF_INET6 socket as ::ffff:a.b.c.d.
std::string ss_addr(const wire::IpAddr& a, int family, std::uint16_t port) {
  std::string s = a.is_v4() && family == stack::kAfInet6 ? "::ffff:" + a.to_string() : a.to_string();
  if (a.is_unspecified()) s = "*";
  return s + ":" + std::to_string(port);
}

}  // namespace

std::string Runner::check_drill_ts(const ExpectPacket& p, const DecodedFrame& f, sim::Time now) {
  if (!p.script_ts_val) return {};
  const auto opts = wire::TcpOptions::from_bytes(f.tcp_options);
  const auto ts = opts ? opts->timestamps() : std::nullopt;
  if (!ts) return {};  // the options comparison reports a missing option
  const std::uint32_t live = ts->val;
  ts_live_[*p.script_ts_val] = live;
  // packetdrill keeps the first TS val per socket: a SYN or SYN-ACK starts a new base
  // (it does not follow a reincarnated connection's values across sockets).
  if (f.tcp_flags & wire::tcp_flag::kSyn) ts_first_.reset();
  if (!ts_first_) {
    ts_first_ = std::make_pair(*p.script_ts_val, live);
    return {};
  }
  if (s_.drill_ts_tick_usecs == 0) return {};
  // packetdrill: (live - first live) x tick must be within the tolerance of (script - first
  // script) x tick, both read as microseconds.
  const std::int64_t tick = s_.drill_ts_tick_usecs;
  const std::int64_t want = static_cast<std::int64_t>(static_cast<std::uint32_t>(*p.script_ts_val - ts_first_->first)) * tick;
  const std::int64_t got = static_cast<std::int64_t>(static_cast<std::uint32_t>(live - ts_first_->second)) * tick;
  const std::int64_t tol = std::max<std::int64_t>(p.tolerance.us(), tick);
  (void)now;
  if (got < want - tol || got > want + tol) {
    return "bad outbound TS val: expected " + std::to_string(*p.script_ts_val) + " (" + std::to_string(want) +
           " us after the first) but got " + std::to_string(ts_first_->first + static_cast<std::uint32_t>(got / tick)) +
           " (" + std::to_string(got) + " us after the first)";
  }
  return {};
}

void Runner::drill_take_pending(std::size_t idx) {
  const Event& e = s_.events[idx];
  const auto& ep = std::get<ExpectPacket>(e.body);
  while (!drill_pending_.empty()) {
    PendingPacket pp = drill_pending_.front();
    drill_pending_.erase(drill_pending_.begin());
    if (drill_sut_ && *drill_sut_ != std::make_pair(pp.frame.sport, pp.frame.dport)) continue;
    const std::string expected = time_prefix(e) + " " + format_pattern(ep.packet);
    std::string diff = compare_fields(ep.packet, pp.frame, seqs_);
    if (diff.empty()) diff = check_drill_ts(ep, pp.frame, pp.at);
    if (!diff.empty()) return fail(e.loc, diff, expected, pp.actual);
    if (pp.at < earliest_of(e)) {
      return fail(e.loc, "packet sent too early: at " + sim::format_seconds(pp.at) + " s, expected " + event_time_text(e),
                  expected, pp.actual);
    }
    if (pp.at > latest_of(e)) {
      return fail(e.loc, "packet sent too late: at " + sim::format_seconds(pp.at) + " s, expected " + event_time_text(e),
                  expected, pp.actual);
    }
    note_deviation(e, pp.at);
    matched_at_.emplace_back(e.loc.line, pp.at);
    for (auto& x : expected_) {
      if (x.event == idx) x.matched = true;
    }
    return;
  }
}

void Runner::do_expect_tcpinfo(Host& h, const Expect& x) {
  const int fd = drill_fd(x.fd);
  stack::Sock* sk = h.sock_of_fd(fd);
  if (!sk) return fail(x.loc, x.host + " has no socket on fd " + std::to_string(x.fd) + " for tcp_info");
  auto info = h.getsockopt(fd, stack::kSolTcp, stack::kTcpInfo, 104);
  if (!info) return fail(x.loc, "getsockopt(TCP_INFO) failed: " + std::string(stack::name(info.error())));
  const auto& v = *info;
  auto u8 = [&](std::size_t off) -> std::int64_t { return off < v.size() ? v[off] : 0; };
  auto u32 = [&](std::size_t off) -> std::int64_t { return decode_le(v, off, 4) & 0xffffffffLL; };
  const drill::NameLookup names = [&](std::string_view n) -> std::optional<std::int64_t> {
    if (n == "tcpi_state") return u8(0);
    if (n == "tcpi_ca_state") return u8(1);
    if (n == "tcpi_retransmits") return u8(2);
    if (n == "tcpi_probes") return u8(3);
    if (n == "tcpi_backoff") return u8(4);
    if (n == "tcpi_options") return u8(5);
    if (n == "tcpi_snd_wscale") return u8(6) & 0xf;
    if (n == "tcpi_rcv_wscale") return u8(6) >> 4;
    if (n == "tcpi_rto") return u32(8);
    if (n == "tcpi_ato") return u32(12);
    if (n == "tcpi_snd_mss") return u32(16);
    if (n == "tcpi_rcv_mss") return u32(20);
    if (n == "tcpi_rtt") return u32(68);
    if (n == "tcpi_rttvar") return u32(72);
    if (n == "tcpi_advmss") return u32(84);
    return drill::tcpinfo_constant(n);
  };
  const auto o = drill::run_tcpinfo_code(x.value_text, names);
  if (!o.ok) fail(x.loc, o.error);
}

void Runner::do_expect_listed(Host& h, const Expect& x) {
  // `ss -4|-6 -n [state S] ... | grep TEXT`: some socket of that family (in that state) has a
  // line containing TEXT; without `state`, ss lists every state but LISTEN.
  bool found = false;
  auto consider = [&](int family, stack::TcpState st, const std::string& line) {
    if (found) return;
    if ((x.value == 4) != (family == stack::kAfInet)) return;
    if (x.name.empty() ? st == stack::TcpState::kListen : ss_state_name(st) != x.name) return;
    bool all = true;
    std::size_t b = 0;
    for (std::size_t e = 0; e <= x.value_text.size(); ++e) {
      if (e == x.value_text.size() || x.value_text[e] == '\n') {
        if (line.find(x.value_text.substr(b, e - b)) == std::string::npos) all = false;
        b = e + 1;
      }
    }
    found = all;
  };
  h.socks.for_each([&](stack::SockId, stack::Sock& sk) {
    if (!sk.is_tcp()) return;
    const wire::IpAddr local = sk.saddr.is_unspecified() ? sk.rcv_saddr : sk.saddr;
    const std::string line = std::string(ss_state_name(sk.tcp.state)) + " " + ss_addr(local, sk.family, sk.num) + " " +
                             ss_addr(sk.daddr, sk.family, sk.dport);
    consider(sk.family, sk.tcp.state, line);
  });
  h.reqs.for_each([&](stack::ReqId, stack::RequestSock& rq) {
    stack::Sock* l = h.sock(rq.listener);
    const int family = l ? l->family : (rq.local.is_v4() ? stack::kAfInet : stack::kAfInet6);
    const std::string line = "SYN-RECV " + ss_addr(rq.local, family, rq.local_port) + " " +
                             ss_addr(rq.remote, family, rq.remote_port);
    consider(family, stack::TcpState::kSynReceived, line);
  });
  if (!found) {
    fail(x.loc, "no socket listed by ss" + std::string(x.value == 4 ? " -4" : " -6") +
                    (x.name.empty() ? "" : " state " + x.name) + " matches '" + x.value_text + "'");
  }
}

void Runner::do_inject(const Event& e, const Inject& inj) {
  const PacketPattern& p = inj.packet;
  // The sending host: named, or the owner of the source address, or (a host the scenario
  // does not simulate) the host on the path towards the destination is not known: the
  // frame leaves from the destination's first interface's link.
  std::string src_name = p.src.kind == Address::Kind::kHost ? p.src.host : p.src.host;
  if (src_name.empty() && p.src.kind == Address::Kind::kIp) src_name = owner_of(p.src.ip);
  std::string dst_name = p.dst.kind == Address::Kind::kHost ? p.dst.host : p.dst.host;
  if (dst_name.empty() && p.dst.kind == Address::Kind::kIp) dst_name = owner_of(p.dst.ip);
  Host* src = src_name.empty() ? nullptr : host(src_name);
  Host* dst = dst_name.empty() ? nullptr : host(dst_name);
  if (!src) return fail(inj.loc, "inject needs a source host that is simulated (or an address one owns)");

  // Addresses: written, else the most recent flow's, else the hosts' first addresses.
  InjectAddressing ad;
  bool have_flow = false;
  if (!dst_name.empty()) {
    const auto key = src_name < dst_name ? std::make_pair(src_name, dst_name) : std::make_pair(dst_name, src_name);
    if (auto it = last_flow_.find(key); it != last_flow_.end()) {
      const auto& [fs, fsp, fd, fdp] = it->second;
      if (owner_of(fs) == src_name) {
        ad.src = fs, ad.sport = fsp, ad.dst = fd, ad.dport = fdp;
      } else {
        ad.src = fd, ad.sport = fdp, ad.dst = fs, ad.dport = fsp;
      }
      have_flow = true;
    }
  }
  const bool is_l4 = std::holds_alternative<TcpPattern>(p.detail) || std::holds_alternative<UdpPattern>(p.detail);
  if (p.src.kind == Address::Kind::kIp) ad.src = p.src.ip;
  if (p.dst.kind == Address::Kind::kIp) ad.dst = p.dst.ip;
  if (!have_flow || !is_l4) {
    if (p.src.kind == Address::Kind::kHost || p.dst.kind == Address::Kind::kHost) {
      const wire::IpFamily fam = p.dst.kind == Address::Kind::kIp ? p.dst.ip.family()
                                 : p.src.kind == Address::Kind::kIp ? p.src.ip.family()
                                 : (dst && dst->primary_address(wire::IpFamily::kV4)) ? wire::IpFamily::kV4
                                                                                        : wire::IpFamily::kV6;
      if (p.src.kind == Address::Kind::kHost) {
        auto a = src->primary_address(fam);
        if (!a) return fail(inj.loc, src_name + " has no address of the destination's family");
        if (!have_flow || !is_l4) ad.src = *a;
      }
      if (p.dst.kind == Address::Kind::kHost) {
        auto a = dst ? dst->primary_address(fam) : std::nullopt;
        if (!a) return fail(inj.loc, dst_name + " has no address of the source's family");
        if (!have_flow || !is_l4) ad.dst = *a;
      }
    }
  }
  if (p.src.port.kind == PortSpec::Kind::kNumber) ad.sport = p.src.port.number;
  if (p.dst.port.kind == PortSpec::Kind::kNumber) ad.dport = p.dst.port.number;
  if (is_l4 && (ad.sport == 0 || ad.dport == 0) && !inj.raw) {
    return fail(inj.loc, "inject: no connection between " + src_name + " and " + dst_name +
                             " to take the ports from: write them (" + src_name + ":PORT > " + dst_name + ":PORT)");
  }
  // Egress: the route from the source host towards the destination.
  const auto rr = src->routes.lookup(ad.dst);
  const stack::Interface* out = nullptr;
  wire::IpAddr next_hop = ad.dst;
  if (rr.route && rr.route->type == stack::RouteType::kUnicast) {
    for (const auto& i : src->interfaces) {
      if (i.ifindex == rr.route->ifindex) out = &i;
    }
    if (rr.route->gateway) next_hop = *rr.route->gateway;
  }
  if (!out || !out->link) return fail(inj.loc, "inject: " + src_name + " has no route to " + ad.dst.to_string());
  ad.src_mac = out->mac;
  ad.dst_mac = sim::MacAddr::broadcast();
  for (const auto& hp : world_.hosts()) {
    for (const auto& i : hp->interfaces) {
      if (i.link == out->link && i.has_addr(next_hop)) ad.dst_mac = i.mac;
    }
  }
  std::vector<std::uint8_t> frame;
  if (inj.raw) {
    frame = wrap_raw_ip(*inj.raw, ad.src_mac, ad.dst_mac);
  } else {
    ad.seq_base = seqs_.isn(ad.src, ad.sport, ad.dst, ad.dport);
    ad.ack_base = seqs_.isn(ad.dst, ad.dport, ad.src, ad.sport);
    if (auto it = last_ip_sent_.find(dst_name); it != last_ip_sent_.end()) ad.quote = it->second;
    // `icmp ... [S:E(L)]`: the quoted TCP segment carries that (relative) sequence number.
    if (const auto* ip = std::get_if<IcmpPattern>(&p.detail); ip && ip->quoted_seq && !ad.quote.empty()) {
      auto& q = ad.quote;
      const bool v4 = (q[0] >> 4) == 4;
      const std::size_t l4 = v4 ? static_cast<std::size_t>(q[0] & 0xf) * 4 : 40;
      const std::size_t alen = v4 ? 4 : 16;
      if (q.size() >= l4 + 8 && q.size() >= (v4 ? 20u : 40u)) {
        const std::span<const std::uint8_t> b(q);
        const auto qsrc = wire::IpAddr::from_bytes(b.subspan(v4 ? 12 : 8, alen));
        const auto qdst = wire::IpAddr::from_bytes(b.subspan(v4 ? 16 : 24, alen));
        const auto sport = static_cast<std::uint16_t>(q[l4] << 8 | q[l4 + 1]);
        const auto dport = static_cast<std::uint16_t>(q[l4 + 2] << 8 | q[l4 + 3]);
        const std::uint32_t seq = seqs_.isn(qsrc, sport, qdst, dport) + ip->quoted_seq->start;
        for (int k = 0; k < 4; ++k) q[l4 + 4 + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(seq >> (24 - 8 * k));
      }
    }
    // packetdrill: an injected TS ecr names a TS val the script expected earlier; the segment
    // carries the live value that packet had.
    PacketPattern mapped;
    const PacketPattern* built = &p;
    if (inj.script_ts_ecr && *inj.script_ts_ecr != 0) {
      auto it = ts_live_.find(*inj.script_ts_ecr);
      if (it == ts_live_.end()) {
        return fail(inj.loc, "unable to infer live TS ecr: no outbound packet carried TS val " +
                                 std::to_string(*inj.script_ts_ecr));
      }
      mapped = p;
      for (auto& o : std::get<TcpPattern>(mapped.detail).options) {
        if (o.kind == TcpOptionPattern::Kind::kTimestamps) o.ts_ecr = it->second;
      }
      built = &mapped;
    }
    std::string err;
    auto f = build_inject_frame(*built, ad, &err);
    if (!f) return fail(inj.loc, "inject: " + err);
    frame = std::move(*f);
  }
  // The checker sees the frame go out (synchronously, inside transmit) and skips it.
  const std::string cause = "injected by the script (line " + std::to_string(e.loc.line) + ")";
  injecting_ = true;
  (void)out->link->transmit(out->port, sim::Packet::copy_of(frame), cause);
  injecting_ = false;
}

}  // namespace

ScenarioResult run_scenario(const Scenario& s, const RunOptions& opt) {
  // Per-personality lines (`[bsd] ...`): with a personality forced on every host, run the
  // timeline the parser resolved for it (Scenario::events_for).
  if (opt.personality && s.has_personality_lines) {
    if (!s.events_for.count(*opt.personality)) {
      ScenarioResult r;
      r.path = s.path;
      r.title = s.title;
      r.personality = *opt.personality;
      r.seed = opt.seed.value_or(s.seed);
      Failure f;
      f.loc = s.loc;
      f.message = "unknown personality '" + *opt.personality + "'";
      r.failure = std::move(f);
      return r;
    }
    Scenario forced = s;
    forced.events = events_for_run(s, opt.personality);
    Runner r(forced, opt);
    return r.run();
  }
  Runner r(s, opt);
  return r.run();
}

}  // namespace synlab::harness
