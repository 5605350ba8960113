#include "stack/personality/sysctl.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>

namespace synlab::stack {
namespace {

std::string canonical(std::string_view name) {
  constexpr std::string_view kProc = "/proc/sys/";
  if (name.substr(0, kProc.size()) == kProc) name.remove_prefix(kProc.size());
  std::string s(name);
  std::replace(s.begin(), s.end(), '/', '.');
  return s;
}

// Parses whitespace-separated integers (tabs too, as /proc prints them).
std::optional<std::vector<long long>> ints(std::string_view v) {
  std::vector<long long> out;
  std::size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n')) ++i;
    if (i >= v.size()) break;
    std::size_t j = i;
    while (j < v.size() && v[j] != ' ' && v[j] != '\t' && v[j] != '\n') ++j;
    long long x = 0;
    const std::string_view tok = v.substr(i, j - i);
    int base = 10;
    std::string_view digits = tok;
    if (tok.size() > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) {
      base = 16;
      digits = tok.substr(2);
    }
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), x, base);
    if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
    out.push_back(x);
    i = j;
  }
  return out;
}

using Setter = std::function<Result<void, std::string>(Personality&, std::string_view)>;
using Getter = std::function<std::string(const Personality&)>;

struct Entry {
  std::string_view name;
  Setter set;
  Getter get;
};

Result<void, std::string> need(std::size_t n, const std::optional<std::vector<long long>>& v) {
  if (!v || v->size() != n) {
    return fail(std::string(n == 1 ? "expects an integer" : "expects " + std::to_string(n) + " integers"));
  }
  return {};
}

template <class F>
Entry int_knob(std::string_view name, F member, long long lo, long long hi) {
  return Entry{name,
               [member, lo, hi](Personality& p, std::string_view v) -> Result<void, std::string> {
                 auto x = ints(v);
                 if (auto r = need(1, x); !r) return r;
                 if ((*x)[0] < lo || (*x)[0] > hi) {
                   return fail("out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
                 }
                 p.*member = static_cast<std::remove_reference_t<decltype(p.*member)>>((*x)[0]);
                 return {};
               },
               [member](const Personality& p) { return std::to_string(static_cast<long long>(p.*member)); }};
}

Entry duration_knob(std::string_view name, sim::Duration Personality::*member, sim::Duration unit,
                    long long lo, long long hi) {
  return Entry{name,
               [member, unit, lo, hi](Personality& p, std::string_view v) -> Result<void, std::string> {
                 auto x = ints(v);
                 if (auto r = need(1, x); !r) return r;
                 if ((*x)[0] < lo || (*x)[0] > hi) return fail(std::string("out of range"));
                 p.*member = unit * (*x)[0];
                 return {};
               },
               [member, unit](const Personality& p) { return std::to_string((p.*member) / unit); }};
}

template <std::size_t N>
Entry array_knob(std::string_view name, int (Personality::*member)[N]) {
  return Entry{name,
               [member](Personality& p, std::string_view v) -> Result<void, std::string> {
                 auto x = ints(v);
                 if (auto r = need(N, x); !r) return r;
                 for (std::size_t i = 0; i < N; ++i) (p.*member)[i] = static_cast<int>((*x)[i]);
                 return {};
               },
               [member](const Personality& p) {
                 std::string s;
                 for (std::size_t i = 0; i < N; ++i) {
                   if (i) s += '\t';
                   s += std::to_string((p.*member)[i]);
                 }
                 return s;
               }};
}

template <class F>
Entry neigh_int(std::string_view name, F member) {
  return Entry{name,
               [member](Personality& p, std::string_view v) -> Result<void, std::string> {
                 auto x = ints(v);
                 if (auto r = need(1, x); !r) return r;
                 p.neigh.*member = static_cast<int>((*x)[0]);
                 return {};
               },
               [member](const Personality& p) { return std::to_string(p.neigh.*member); }};
}

Entry neigh_ms(std::string_view name, sim::Duration NeighbourKnobs::*member, sim::Duration unit) {
  return Entry{name,
               [member, unit](Personality& p, std::string_view v) -> Result<void, std::string> {
                 auto x = ints(v);
                 if (auto r = need(1, x); !r) return r;
                 p.neigh.*member = unit * (*x)[0];
                 return {};
               },
               [member, unit](const Personality& p) { return std::to_string(p.neigh.*member / unit); }};
}

const std::vector<Entry>& table() {
  static const std::vector<Entry> t = [] {
    const auto ms = sim::Duration::millis(1);
    const auto s = sim::Duration::seconds(1);
    std::vector<Entry> table_entries = {
        int_knob("net.ipv4.tcp_syn_retries", &Personality::tcp_syn_retries, 1, 127),
        int_knob("net.ipv4.tcp_synack_retries", &Personality::tcp_synack_retries, 0, 255),
        int_knob("net.ipv4.tcp_syn_linear_timeouts", &Personality::tcp_syn_linear_timeouts, 0, 10),
        int_knob("net.ipv4.tcp_early_retrans", &Personality::tcp_early_retrans, 0, 4),
        int_knob("net.ipv4.tcp_retries1", &Personality::tcp_retries1, 0, 255),
        int_knob("net.ipv4.tcp_retries2", &Personality::tcp_retries2, 0, 255),
        int_knob("net.ipv4.tcp_orphan_retries", &Personality::tcp_orphan_retries, 0, 255),
        duration_knob("net.ipv4.tcp_fin_timeout", &Personality::tcp_fin_timeout, s, 0, 1 << 30),
        int_knob("net.ipv4.tcp_timestamps", &Personality::tcp_timestamps, 0, 2),
        int_knob("net.ipv4.tcp_sack", &Personality::tcp_sack, 0, 1),
        int_knob("net.ipv4.tcp_window_scaling", &Personality::tcp_window_scaling, 0, 1),
        array_knob("net.ipv4.tcp_rmem", &Personality::tcp_rmem),
        array_knob("net.ipv4.tcp_wmem", &Personality::tcp_wmem),
        int_knob("net.core.rmem_max", &Personality::rmem_max, 0, 1LL << 31),
        int_knob("net.core.wmem_max", &Personality::wmem_max, 0, 1LL << 31),
        int_knob("net.core.rmem_default", &Personality::rmem_default, 0, 1LL << 31),
        int_knob("net.core.wmem_default", &Personality::wmem_default, 0, 1LL << 31),
        int_knob("net.ipv4.tcp_adv_win_scale", &Personality::tcp_adv_win_scale, -31, 31),
        int_knob("net.ipv4.tcp_ecn", &Personality::tcp_ecn, 0, 2),
        int_knob("net.ipv4.tcp_base_mss", &Personality::tcp_base_mss, 1, 65535),
        int_knob("net.ipv4.tcp_min_snd_mss", &Personality::tcp_min_snd_mss, 48, 65535),
        int_knob("net.core.somaxconn", &Personality::somaxconn, 0, 1 << 30),
        int_knob("net.ipv4.tcp_max_syn_backlog", &Personality::tcp_max_syn_backlog, 0, 1 << 30),
        int_knob("net.ipv4.tcp_syncookies", &Personality::tcp_syncookies, 0, 2),
        int_knob("net.ipv4.tcp_abort_on_overflow", &Personality::tcp_abort_on_overflow, 0, 1),
        int_knob("net.ipv4.tcp_fastopen", &Personality::tcp_fastopen, 0, 0x7ffff),
        Entry{"net.ipv4.tcp_fastopen_key",
              [](Personality& p, std::string_view value) -> Result<void, std::string> {
                p.tcp_fastopen_key = std::string(value);
                return {};
              },
              [](const Personality& p) { return p.tcp_fastopen_key; }},
        array_knob("net.ipv4.ip_local_port_range", &Personality::ip_local_port_range),
        int_knob("net.ipv4.tcp_tw_reuse", &Personality::tcp_tw_reuse, 0, 2),
        int_knob("net.ipv4.tcp_tw_reuse_delay", &Personality::tcp_tw_reuse_delay_ms, 1, 600000),
        int_knob("net.ipv4.ip_unprivileged_port_start", &Personality::ip_unprivileged_port_start, 0, 65535),
        int_knob("net.ipv4.ip_nonlocal_bind", &Personality::ip_nonlocal_bind, 0, 1),
        int_knob("net.ipv4.ip_default_ttl", &Personality::ip_default_ttl, 1, 255),
        int_knob("net.ipv6.conf.default.hop_limit", &Personality::ipv6_hop_limit, 1, 255),
        int_knob("net.ipv4.ip_forward", &Personality::ip_forward, 0, 1),
        int_knob("net.ipv6.conf.all.forwarding", &Personality::ipv6_forwarding, 0, 1),
        int_knob("net.ipv6.bindv6only", &Personality::bindv6only, 0, 1),
        int_knob("net.ipv4.icmp_ratelimit", &Personality::icmp_ratelimit_ms, 0, 1 << 30),
        int_knob("net.ipv4.icmp_msgs_per_sec", &Personality::icmp_msgs_per_sec, 0, 1 << 30),
        int_knob("net.ipv4.icmp_msgs_burst", &Personality::icmp_msgs_burst, 0, 1 << 30),
        int_knob("net.ipv4.icmp_echo_ignore_all", &Personality::icmp_echo_ignore_all, 0, 1),
    };
    // IPv4 (ARP) and IPv6 (NDP) neighbour knobs share one struct: both families behave the
    // same with Linux's defaults, and scripts set both.
    for (auto name : {"net.ipv4.neigh.default.mcast_solicit", "net.ipv6.neigh.default.mcast_solicit"}) {
      table_entries.push_back(neigh_int(name, &NeighbourKnobs::mcast_solicit));
    }
    for (auto name : {"net.ipv4.neigh.default.ucast_solicit", "net.ipv6.neigh.default.ucast_solicit"}) {
      table_entries.push_back(neigh_int(name, &NeighbourKnobs::ucast_solicit));
    }
    for (auto name : {"net.ipv4.neigh.default.app_solicit", "net.ipv6.neigh.default.app_solicit"}) {
      table_entries.push_back(neigh_int(name, &NeighbourKnobs::app_solicit));
    }
    for (auto name : {"net.ipv4.neigh.default.unres_qlen_bytes", "net.ipv6.neigh.default.unres_qlen_bytes"}) {
      table_entries.push_back(neigh_int(name, &NeighbourKnobs::unres_qlen_bytes));
    }
    for (auto name : {"net.ipv4.neigh.default.gc_thresh3", "net.ipv6.neigh.default.gc_thresh3"}) {
      table_entries.push_back(neigh_int(name, &NeighbourKnobs::gc_thresh3));
    }
    for (auto name : {"net.ipv4.neigh.default.retrans_time_ms", "net.ipv6.neigh.default.retrans_time_ms"}) {
      table_entries.push_back(neigh_ms(name, &NeighbourKnobs::retrans_time, ms));
    }
    for (auto name : {"net.ipv4.neigh.default.base_reachable_time_ms", "net.ipv6.neigh.default.base_reachable_time_ms"}) {
      table_entries.push_back(neigh_ms(name, &NeighbourKnobs::base_reachable_time, ms));
    }
    for (auto name : {"net.ipv4.neigh.default.delay_first_probe_time", "net.ipv6.neigh.default.delay_first_probe_time"}) {
      table_entries.push_back(neigh_ms(name, &NeighbourKnobs::delay_first_probe_time, s));
    }
    std::sort(table_entries.begin(), table_entries.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });
    return table_entries;
  }();
  return t;
}

// Real sysctls that scripts set but that model nothing here (packetdrill's defaults.sh sets
// some of them): accepted and ignored.
constexpr std::array kIgnored = {
    std::string_view("net.core.default_qdisc"),
    std::string_view("net.ipv4.tcp_ecn_fallback"),
    std::string_view("net.ipv4.tcp_ecn_option"),
    std::string_view("net.ipv4.tcp_min_tso_segs"),
    std::string_view("net.ipv4.tcp_pacing_ss_ratio"),
    std::string_view("net.ipv4.tcp_pacing_ca_ratio"),
    std::string_view("net.ipv4.tcp_congestion_control"),
    std::string_view("net.ipv4.tcp_reordering"),
    std::string_view("net.ipv4.tcp_recovery"),
    std::string_view("net.ipv4.tcp_dsack"),
    std::string_view("net.ipv4.tcp_fack"),
    std::string_view("net.ipv4.tcp_frto"),
    std::string_view("net.ipv4.tcp_mtu_probing"),
    std::string_view("net.ipv4.tcp_no_metrics_save"),
    std::string_view("net.ipv4.tcp_slow_start_after_idle"),
    std::string_view("net.ipv4.tcp_autocorking"),
    std::string_view("net.ipv4.tcp_thin_linear_timeouts"),
    std::string_view("net.ipv4.tcp_moderate_rcvbuf"),
    std::string_view("net.ipv4.tcp_notsent_lowat"),
    std::string_view("net.ipv4.tcp_tso_win_divisor"),
    std::string_view("net.ipv4.tcp_limit_output_bytes"),
    std::string_view("net.ipv4.tcp_workaround_signed_windows"),
    std::string_view("net.ipv4.tcp_rfc1337"),
    std::string_view("net.ipv4.tcp_comp_sack_nr"),
    std::string_view("net.ipv4.tcp_comp_sack_delay_ns"),
    std::string_view("net.ipv4.tcp_shrink_window"),
    std::string_view("net.ipv4.tcp_rto_min_us"),
};

const Entry* find(std::string_view name) {
  const std::string c = canonical(name);
  for (const auto& e : table()) {
    if (e.name == c) return &e;
  }
  return nullptr;
}

}  // namespace

Result<void, std::string> set_sysctl(Personality& p, std::string_view name, std::string_view value) {
  const Entry* e = find(name);
  if (!e) {
    if (sysctl_is_ignored(name)) return {};
    return fail("unknown sysctl " + canonical(name));
  }
  auto r = e->set(p, value);
  if (!r) return fail(canonical(name) + ": " + r.error());
  return {};
}

std::optional<std::string> get_sysctl(const Personality& p, std::string_view name) {
  const Entry* e = find(name);
  if (!e) return std::nullopt;
  return e->get(p);
}

std::vector<std::string_view> sysctl_names() {
  std::vector<std::string_view> v;
  for (const auto& e : table()) v.push_back(e.name);
  return v;
}

bool sysctl_is_ignored(std::string_view name) {
  const std::string c = canonical(name);
  return std::find(kIgnored.begin(), kIgnored.end(), c) != kIgnored.end();
}

}  // namespace synlab::stack
