#include "stack/tcp/tcp_fastopen.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "stack/host.h"
#include "stack/socket/wait.h"
#include "stack/tcp/tcp.h"

namespace synlab::stack {
namespace {

using wire::tcp_flag::kAck;
using wire::tcp_flag::kPsh;
using wire::tcp_flag::kSyn;

// MAX_TCP_OPTION_SPACE: tcp_send_syn_data keeps this much of the MSS free for options that
// middleboxes might add, so SYN data is at most MSS - 40 bytes.
constexpr int kMaxTcpOptionSpace = 40;
// reqsk_fastopen_remove: an accepted child that was reset holds its queue slot this long.
constexpr sim::Duration kFastopenRstHold = sim::Duration::seconds(60);

// tcp_fastopen_no_cookie: the sysctl flag, or TCP_FASTOPEN_NO_COOKIE on the socket.
bool no_cookie(const Host& h, const Sock& s, int flag) {
  return (h.personality().tcp_fastopen & flag) != 0 || s.opt.fastopen_no_cookie;
}

// tcp_fastopen_cache_get (tcp_metrics.c): the cached cookie and MSS for the peer. With no
// entry, `cookie` and `mss` are left as they are.
void cache_get(const Host& h, const Sock& s, std::uint16_t* mss, TfoCookie* cookie) {
  auto it = h.tfo_cookies.find(s.daddr);
  if (it == h.tfo_cookies.end()) return;
  const TfoCacheEntry& e = it->second;
  if (e.mss) *mss = e.mss;
  *cookie = e.cookie;
  if (cookie->len < 0) cookie->len = 0;
  // A server that ignored our kind-34 request is asked with the experimental option next.
  if (cookie->len <= 0 && e.try_exp == 1) cookie->exp = true;
}

// tcp_fastopen_cache_set.
void cache_set(Host& h, const wire::IpAddr& daddr, std::uint16_t mss, const TfoCookie& cookie,
               bool syn_lost, int try_exp) {
  TfoCacheEntry& e = h.tfo_cookies[daddr];
  if (mss) e.mss = mss;
  if (cookie.len > 0) {
    e.cookie = cookie;
  } else if (try_exp > e.try_exp && e.cookie.len <= 0 && !e.cookie.exp) {
    e.try_exp = try_exp;
  }
  if (syn_lost) {
    ++e.syn_loss;
    e.last_syn_loss = h.now();
  } else {
    e.syn_loss = 0;
  }
}

// tcp_fastopen_cookie_check: true when the SYN may carry data (a cookie is cached, or none is
// needed); `cookie` is then what the SYN offers (len -1: no option at all).
bool cookie_check(Host& h, Sock& s, std::uint16_t* mss, TfoCookie* cookie) {
  cache_get(h, s, mss, cookie);
  // The blackhole detection (tcp_fastopen_active_should_disable) is off by default since
  // Linux 5.14 (tcp_fastopen_blackhole_timeout_sec = 0), so it is not modelled.
  if (no_cookie(h, s, kTfoClientNoCookie)) {
    cookie->len = -1;
    return true;
  }
  if (cookie->len > 0) return true;
  s.tcp.fastopen.edit().client_fail = kTfoCookieUnavailable;
  return false;
}

// tcp_fastopen_queue_check: whether the listener takes another Fast Open child. Checked
// before the cookie, so a full queue looks like a server without Fast Open.
bool queue_check(Host& h, Sock& l) {
  Listener& q = *l.listener;
  if (q.fastopen_max_qlen == 0) return false;
  if (q.fastopen_qlen >= q.fastopen_max_qlen) {
    if (q.fastopen_rst_expiry.empty() || q.fastopen_rst_expiry.front() > h.now()) {
      h.counters().inc(Mib::kTCPFastOpenListenOverflow);
      return false;
    }
    // The oldest reset child's slot has expired: reuse it.
    q.fastopen_rst_expiry.erase(q.fastopen_rst_expiry.begin());
    --q.fastopen_qlen;
  }
  return true;
}

bool cookie_match(const TfoCookie& a, const TfoCookie& b) {
  return a.len == kTfoCookieSize && a.len == b.len &&
         std::equal(a.val.begin(), a.val.begin() + a.len, b.val.begin());
}

// The key when nothing set one: Linux draws 16 random bytes once per namespace
// (tcp_fastopen_init_key_once); here they come from the host's seeded secret.
TfoKey derived_key(const Host& h) {
  TfoKey k{};
  std::uint64_t x = h.tfo_secret;
  for (int half = 0; half < 2; ++half) {
    for (int i = 0; i < 8; ++i)
      k[static_cast<std::size_t>(half * 8 + i)] = static_cast<std::uint8_t>(x >> (8 * i));
    // splitmix64 step for the second half
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
  }
  return k;
}

std::optional<TfoKey> parse_one_key(std::string_view text) {
  // sscanf("%x-%x-%x-%x"): four hex words, each stored little-endian.
  TfoKey k{};
  for (int w = 0; w < 4; ++w) {
    if (w > 0) {
      if (text.empty() || text.front() != '-') return std::nullopt;
      text.remove_prefix(1);
    }
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
      text.remove_prefix(2);
    std::size_t n = 0;
    while (n < text.size() && std::isxdigit(static_cast<unsigned char>(text[n]))) ++n;
    if (n == 0 || n > 8) return std::nullopt;
    std::uint32_t v = 0;
    std::from_chars(text.data(), text.data() + n, v, 16);
    text.remove_prefix(n);
    for (int i = 0; i < 4; ++i)
      k[static_cast<std::size_t>(4 * w + i)] = static_cast<std::uint8_t>(v >> (8 * i));
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (!text.empty()) return std::nullopt;
  return k;
}

// Re-sends SYN data that the SYN-ACK did not acknowledge (tcp_mark_skb_lost +
// tcp_non_congestion_loss_retransmit): the whole range, MSS by MSS, as far as the peer's
// window allows. Each segment carries the ACK of the SYN-ACK.
void retransmit_syn_data(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  const std::uint32_t mss = std::max<std::uint32_t>(tp.mss_cache, 1);
  const std::uint32_t total = static_cast<std::uint32_t>(tp.sndq.size());
  const SeqNum wnd_end = tp.snd_una + tp.snd_wnd;
  std::uint32_t off = 0;
  while (off < total) {
    const std::uint32_t len = std::min(mss, total - off);
    if (after(tp.snd_una + off + len, wnd_end)) break;
    std::uint8_t flags = kAck;
    if (off + len == total) flags |= kPsh;
    std::string cause;
    if (h.observed()) {
      cause =
          "Fast Open: the SYN-ACK did not acknowledge the SYN's data; sending it again (RFC 7413 "
          "4.1.3)";
    }
    auto r = tcp_transmit(h, s, flags, tp.snd_una + off, tp.sndq.peek(off, len), std::move(cause));
    (void)r;
    h.counters().inc(Mib::kTcpRetransSegs);
    off += len;
  }
  tp.rtt_timing = false;  // Karn: no RTT sample from retransmitted data
  tp.retrans_stamp = h.now();
  tp.retrans_stamp_set = true;
  tcp_reset_rtx_timer(h, s, tp.rto);
}

}  // namespace

// --- Keys and cookies ----------------------------------------------------------------------

std::optional<std::vector<TfoKey>> tcp_fastopen_parse_key(std::string_view text) {
  std::vector<TfoKey> keys;
  const std::size_t comma = text.find(',');
  auto primary = parse_one_key(text.substr(0, comma));
  if (!primary) return std::nullopt;
  keys.push_back(*primary);
  if (comma != std::string_view::npos) {
    auto backup = parse_one_key(text.substr(comma + 1));
    if (!backup) return std::nullopt;
    keys.push_back(*backup);
  }
  return keys;
}

std::string tcp_fastopen_format_key(const TfoKey& key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int w = 0; w < 4; ++w) {
    if (w) out += '-';
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | key[static_cast<std::size_t>(4 * w + i)];
    for (int sh = 28; sh >= 0; sh -= 4) out += kHex[(v >> sh) & 0xf];
  }
  return out;
}

std::vector<TfoKey> tcp_fastopen_keys(const Host& h, const Sock* listener) {
  // tcp_fastopen_get_ctx: the socket's own key first, then the namespace's.
  if (listener && (listener->opt.fastopen_key.size() == kTfoKeyLength ||
                   listener->opt.fastopen_key.size() == 2 * kTfoKeyLength)) {
    std::vector<TfoKey> keys;
    for (std::size_t off = 0; off < listener->opt.fastopen_key.size(); off += kTfoKeyLength) {
      TfoKey k{};
      std::copy_n(listener->opt.fastopen_key.begin() + static_cast<std::ptrdiff_t>(off),
                  kTfoKeyLength, k.begin());
      keys.push_back(k);
    }
    return keys;
  }
  if (auto keys = tcp_fastopen_parse_key(h.personality().tcp_fastopen_key)) return *keys;
  return {derived_key(h)};
}

TfoCookie tcp_fastopen_cookie_gen(const TfoKey& key, const wire::IpAddr& saddr,
                                  const wire::IpAddr& daddr) {
  std::vector<std::uint8_t> path;
  const auto s = saddr.bytes(), d = daddr.bytes();
  path.insert(path.end(), s.begin(), s.end());
  path.insert(path.end(), d.begin(), d.end());
  const std::uint64_t hash = siphash_2_4(SipKey::from_bytes(key), path);
  TfoCookie c;
  c.len = kTfoCookieSize;
  for (int i = 0; i < kTfoCookieSize; ++i)
    c.val[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(hash >> (8 * i));
  return c;
}

TfoCookie tcp_fastopen_parse_option(const wire::TcpRepr& t) {
  TfoCookie c;
  // "Valid only in SYN or SYN-ACK with an even length."
  if (!(t.flags & kSyn)) return c;
  const auto fo = t.options.fastopen();
  if (!fo || (fo->cookie_len & 1)) return c;
  const int len = fo->cookie_len;
  if (len >= kTfoCookieMin && len <= kTfoCookieMax) {
    std::copy_n(fo->cookie_bytes.begin(), len, c.val.begin());
    c.len = len;
  } else {
    c.len = len == 0 ? 0 : -1;
  }
  c.exp = fo->experimental;
  return c;
}

std::optional<wire::TcpFastOpen> tcp_fastopen_option(const TfoCookie& c) {
  if (c.len < 0) return std::nullopt;
  wire::TcpFastOpen o;
  o.experimental = c.exp;
  o.cookie_len = static_cast<std::uint8_t>(c.len);
  std::copy_n(c.val.begin(), c.len, o.cookie_bytes.begin());
  return o;
}

// --- Client ----------------------------------------------------------------------------------

bool tcp_fastopen_defer_connect(Host& h, Sock& s) {
  if (!s.opt.fastopen_connect || s.tcp.fastopen->req) return false;
  TcpFastOpenState& fo = s.tcp.fastopen.edit();
  TfoCookie cookie{0};
  std::uint16_t mss = 0;
  if (cookie_check(h, s, &mss, &cookie)) {
    fo.defer_connect = true;
    return true;
  }
  // No cookie: a Fast Open request without data, so that the SYN asks for one.
  fo.req = true;
  fo.req_data.clear();
  fo.req_data_pending = false;
  fo.req_copied = 0;
  fo.req_cookie = cookie;
  return false;
}

void tcp_fastopen_send_syn(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  TcpFastOpenState& fo = tp.fastopen.edit();
  const Personality& p = h.personality();
  std::uint16_t mss_clamp = tp.advmss;  // "If MSS is not cached"
  std::span<const std::uint8_t> payload;
  std::string cause;
  if (cookie_check(h, s, &mss_clamp, &fo.req_cookie)) {
    // "MSS for SYN-data is based on cached MSS and bounded by PMTU and user-MSS. Reserve
    // maximum option space for middleboxes that add private TCP options."
    if (tp.user_mss && tp.user_mss < mss_clamp) mss_clamp = tp.user_mss;
    tp.mss_clamp = mss_clamp;
    int mss = tp.pmtu - (s.daddr.is_v6() ? 40 : 20) - 20;  // __tcp_mtu_to_mss
    mss = std::max(std::min<int>(mss, mss_clamp), p.tcp_min_snd_mss);
    const std::size_t room = static_cast<std::size_t>(std::max(0, mss - kMaxTcpOptionSpace));
    const std::size_t space = std::min(room, fo.req_data.size());
    // "No more data pending in inet_wait_for_connect()"
    if (space == fo.req_data.size()) fo.req_data_pending = false;
    fo.req_copied = space;
    tp.sndq.append(std::span<const std::uint8_t>(fo.req_data).first(space));
    tp.snd_nxt += static_cast<std::uint32_t>(space);
    tp.write_seq += static_cast<std::uint32_t>(space);
    payload = tp.sndq.peek(0, space);
    fo.syn_data = space > 0;
    h.counters().inc(Mib::kTCPOrigDataSent);
    if (h.observed()) {
      cause = "Fast Open SYN to " + s.daddr.to_string() + " port " + std::to_string(s.dport) +
              " with " + std::to_string(space) + " bytes of data" +
              (fo.req_cookie.len > 0 ? " and the cached cookie" : ", no cookie needed");
    }
  } else {
    // Fallback: "Send a regular SYN with Fast Open cookie request option".
    tp.mss_clamp = mss_clamp;
    if (fo.req_cookie.len > 0) fo.req_cookie.len = 0;
    if (h.observed()) {
      cause = "connect() to " + s.daddr.to_string() + " port " + std::to_string(s.dport) +
              ": SYN with a Fast Open cookie request (no cookie cached)";
    }
  }
  const auto option = tcp_fastopen_option(fo.req_cookie);
  fo.syn_fastopen = option.has_value();
  fo.syn_fastopen_exp = option && option->experimental;
  ++tp.syn_sent_count;
  auto r = tcp_transmit(h, s, kSyn, tp.iss, payload, std::move(cause));
  (void)r;
  // "Exclude Fast Open option for SYN retries"
  fo.req_cookie.len = -1;
}

std::optional<wire::TcpFastOpen> tcp_fastopen_syn_option(const Sock& s, bool synack) {
  const TcpFastOpenState& fo = *s.tcp.fastopen;
  if (synack) return tcp_fastopen_option(fo.synack_cookie);
  if (!fo.req) return std::nullopt;
  return tcp_fastopen_option(fo.req_cookie);
}

bool tcp_fastopen_synack(Host& h, Sock& s, const wire::TcpRepr& t, bool syn_retransmitted) {
  TcpCb& tp = s.tcp;
  if (!tp.fastopen->syn_fastopen && !tp.fastopen->syn_data) return false;
  TcpFastOpenState& fo = tp.fastopen.edit();
  // SYN data the SYN-ACK acknowledged leaves the send queue (tcp_ack cleaning the rtx queue).
  const std::uint32_t data_acked = static_cast<std::uint32_t>(tp.snd_una - (tp.iss + 1));
  tp.sndq.consume(std::min<std::size_t>(data_acked, tp.sndq.size()));
  const bool data_unacked = fo.syn_data && tp.snd_una != tp.snd_nxt;

  TfoCookie cookie = tcp_fastopen_parse_option(t);
  std::uint16_t mss = tp.mss_clamp;
  if (tp.user_mss && mss == tp.user_mss) {
    // "Get original SYNACK MSS value if user MSS sets mss_clamp"
    mss = t.options.mss().value_or(0);
  }
  int try_exp = 0;
  bool syn_drop = false;
  if (!fo.syn_fastopen) {
    cookie.len = -1;  // "Ignore an unsolicited cookie"
  } else if (syn_retransmitted) {
    // "SYN timed out and the SYN-ACK neither has a cookie nor acknowledges data. Presumably
    // the remote received only the retransmitted (regular) SYNs."
    syn_drop = cookie.len < 0 && data_unacked;
  } else if (cookie.len < 0 && !fo.syn_data) {
    // We asked for a cookie and got none: next time try the other option format.
    try_exp = fo.syn_fastopen_exp ? 2 : 1;
  }
  cache_set(h, s.daddr, mss, cookie, syn_drop, try_exp);

  if (data_unacked) {
    fo.client_fail = syn_retransmitted ? kTfoSynRetransmitted : kTfoDataNotAcked;
    h.counters().inc(Mib::kTCPFastOpenActiveFail);
    retransmit_syn_data(h, s);
    return true;
  }
  fo.syn_data_acked = fo.syn_data;
  if (fo.syn_data_acked) h.counters().inc(Mib::kTCPFastOpenActive);
  return false;
}

bool tcp_fastopen_write_pending(const Sock& s) {
  return s.tcp.fastopen->req && s.tcp.fastopen->req_data_pending;
}

SysResult<void> tcp_fastopen_sendmsg_begin(Host& h, Sock& s, std::span<const std::uint8_t> data,
                                           bool addr_is_unspec) {
  if (!(h.personality().tcp_fastopen & kTfoClientEnable) || addr_is_unspec)
    return fail(Errno::kEOPNOTSUPP);
  if (s.tcp.fastopen->req) return fail(Errno::kEALREADY);  // "Another Fast Open is in progress"
  TcpFastOpenState& fo = s.tcp.fastopen.edit();
  fo.req = true;
  fo.req_data.assign(data.begin(), data.end());
  fo.req_data_pending = true;  // fastopen_req->data points at the message until the SYN takes it
  fo.req_copied = 0;
  fo.req_cookie = TfoCookie{0};
  if (fo.defer_connect) tcp_connect_send(h, s);
  return {};
}

std::size_t tcp_fastopen_sendmsg_end(Sock& s) {
  // The request may already be gone: a reset or timeout disconnected the socket.
  if (!s.tcp.fastopen->req) return 0;
  TcpFastOpenState& fo = s.tcp.fastopen.edit();
  const std::size_t copied = fo.req_copied;
  fo.req = false;
  fo.req_data.clear();
  fo.req_data_pending = false;
  fo.req_copied = 0;
  fo.req_cookie = TfoCookie{0};
  fo.defer_connect = false;
  return copied;
}

// --- Server ----------------------------------------------------------------------------------

void tcp_fastopen_listen(Host& h, Sock& l, int backlog) {
  const int tfo = h.personality().tcp_fastopen;
  if ((tfo & kTfoServerWoSockopt1) && (tfo & kTfoServerEnable) &&
      l.listener->fastopen_max_qlen == 0) {
    // fastopen_queue_tune(sk, backlog): kept on the socket, as Linux keeps it in the accept
    // queue across a shutdown() and a new listen().
    const int q = std::min(backlog, h.personality().somaxconn);
    l.listener->fastopen_max_qlen = q;
    l.opt.fastopen_qlen = q;
  }
}

Sock* tcp_try_fastopen(Host& h, Sock& l, const IpMeta& m, const wire::TcpRepr& t, TfoCookie& foc,
                       const std::function<Sock*()>& make_child) {
  const int tfo = h.personality().tcp_fastopen;
  const bool syn_data = t.seq_len() != 1;
  if (foc.len == 0) h.counters().inc(Mib::kTCPFastOpenCookieReqd);
  if (!((tfo & kTfoServerEnable) && (syn_data || foc.len >= 0) && queue_check(h, l))) {
    foc.len = -1;
    return nullptr;
  }
  TfoCookie valid;  // len -1
  int ret = 0;      // which key matched: 1 primary, 2 backup
  bool create = false;
  if (no_cookie(h, l, kTfoServerCookieNotReqd)) {
    create = true;
  } else if (foc.len >= 0) {
    const auto keys = tcp_fastopen_keys(h, &l);
    // The cookie to give the client is always the primary key's (tcp_fastopen_cookie_gen).
    valid = tcp_fastopen_cookie_gen(keys.front(), m.src, m.dst);
    // A configured cookie (packetdrill's -D TFO_COOKIE, computed by Linux for addresses other
    // than the ones simulated) stands for the primary key's.
    if (const auto& fixed = h.personality().tcp_fastopen_fixed_cookie; !fixed.empty()) {
      valid.len = static_cast<int>(std::min<std::size_t>(fixed.size(), valid.val.size()));
      std::copy_n(fixed.begin(), valid.len, valid.val.begin());
    }
    if (foc.len > 0) {
      // tcp_fastopen_cookie_gen_check: the primary key, then the backup.
      for (std::size_t i = 0; i < keys.size() && !ret; ++i) {
        const TfoCookie c = i == 0 ? valid : tcp_fastopen_cookie_gen(keys[i], m.src, m.dst);
        if (cookie_match(foc, c)) ret = static_cast<int>(i) + 1;
      }
      if (!ret) {
        h.counters().inc(Mib::kTCPFastOpenPassiveFail);
        h.trace_note(
            sim::TraceKind::kNote, &l,
            "Fast Open cookie from " + m.src.to_string() + " is not valid",
            "ordinary handshake; the SYN-ACK carries a fresh cookie and acknowledges only the SYN");
      } else {
        create = true;
      }
    }
  }
  if (create) {
    // tcp_fastopen_create_child. "Create a (full) child socket to accept the data in SYN
    // before returning a SYN-ACK to ack the data."
    if (Sock* child = make_child()) {
      TcpCb& tp = child->tcp;
      TcpFastOpenState& fo = tp.fastopen.edit();
      ++l.listener->fastopen_qlen;
      fo.rsk = true;
      fo.rsk_accepted = false;
      fo.rsk_listener = l.id;
      fo.rsk_listener_trace = l.trace_id;
      // "RFC1323: The window in SYN & SYN/ACK segments is never scaled."
      tp.snd_wnd = t.window;
      tp.max_window = tp.snd_wnd;
      // tcp_fastopen_add_skb: the SYN's data is in the receive queue before any ACK.
      tp.rcv_nxt = SeqNum(t.seq) + 1;
      if (!t.payload.empty()) {
        tp.rcvq.append(t.payload);
        tp.rcv_nxt = seg_end(t);
        fo.syn_data_acked = true;
      }
      tp.rcv_wup = tp.rcv_nxt;
      // The child itself retransmits the SYN-ACK (tcp_timeout_init: 1 s).
      tp.rto = h.personality().rto_initial;
      tcp_reset_rtx_timer(h, *child, tp.rto);
      // A backup-key match gets the primary key's cookie, so the client updates its cache.
      if (ret == 2) {
        valid.exp = foc.exp;
        fo.synack_cookie = valid;
        h.counters().inc(Mib::kTCPFastOpenPassiveAltKey);
      } else {
        fo.synack_cookie = TfoCookie{};
      }
      foc = fo.synack_cookie;
      h.counters().inc(Mib::kTCPFastOpenPassive);
      h.trace_note(sim::TraceKind::kNote, child,
                   "Fast Open: child created at SYN time with " + std::to_string(t.payload.size()) +
                       " bytes of data (RFC 7413 4.2.2)",
                   "accept() can return it now, before the final ACK");
      return child;
    }
    h.counters().inc(Mib::kTCPFastOpenPassiveFail);
  }
  valid.exp = foc.exp;
  foc = valid;
  return nullptr;
}

void tcp_fastopen_send_child_synack(Host& h, Sock& child) {
  TcpCb& tp = child.tcp;
  TcpFastOpenState& fo = tp.fastopen.edit();
  fo.synack_sent = h.now();
  ++tp.syn_sent_count;
  std::string cause;
  if (h.observed()) {
    cause = "SYN-ACK: Fast Open accepted, acknowledging " +
            std::to_string(tp.rcv_nxt - (tp.irs + 1)) + " bytes of SYN data";
  }
  auto r = tcp_transmit(h, child, kSyn | kAck, tp.iss, {}, std::move(cause));
  (void)r;
  fo.synack_cookie = TfoCookie{};  // retransmitted SYN-ACKs carry no cookie (tcp_rtx_synack)
}

void tcp_fastopen_synack_timer(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  const Personality& p = h.personality();
  h.counters().inc(Mib::kTCPTimeouts);  // tcp_syn_ack_timeout
  // "Add one more retry for fastopen."
  const int max_retries = tp.syn_retries ? tp.syn_retries : p.tcp_synack_retries + 1;
  if (tp.retransmits >= max_retries) {
    // tcp_write_err.
    const Errno err = s.err_soft != Errno::kOk ? s.err_soft : Errno::kETIMEDOUT;
    h.counters().inc(Mib::kTCPAbortOnTimeout);
    h.trace_note(sim::TraceKind::kTimer, &s, "Fast Open SYN-ACK timer: giving up",
                 std::to_string(tp.retransmits) + " SYN-ACK retransmissions unanswered; error " +
                     std::string(name(err)));
    tcp_done_with_error(h, s, err, "the final ACK never came");
    return;
  }
  // inet_rtx_syn_ack: "unlike regular SYN-ACK retransmit, we ignore error returned ... to
  // make it more persistent".
  h.counters().inc(Mib::kTcpRetransSegs);
  h.counters().inc(Mib::kTCPSynRetrans);
  tcp_send_synack_sock(h, s, true);
  ++tp.retransmits;
  tp.fastopen.edit().synack_retransmitted = true;
  if (!tp.retrans_stamp_set) {
    tp.retrans_stamp = h.now();
    tp.retrans_stamp_set = true;
  }
  const sim::Duration next =
      std::min(p.rto_initial * (std::int64_t{1} << std::min(tp.retransmits, 30)), p.rto_max);
  tcp_reset_rtx_timer(h, s, next);
}

void tcp_fastopen_synrecv_done(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  if (!tp.fastopen->rsk) return;
  const TcpFastOpenState& fo = *tp.fastopen;
  // tcp_synack_rtt_meas: a sample from the SYN-ACK unless it was retransmitted (Karn).
  if (tp.srtt == sim::Duration::zero() && !fo.synack_retransmitted)
    tcp_rtt_sample(h, s, h.now() - fo.synack_sent);
  tcp_fastopen_child_gone(h, s, false);
  // tcp_rearm_rto: data sent while in SYN_RECV may be waiting for this ACK.
  if (tp.snd_una != tp.snd_nxt) tcp_reset_rtx_timer(h, s, tp.rto);
}

void tcp_fastopen_accepted(Sock& s) {
  if (s.tcp.fastopen->rsk) s.tcp.fastopen.edit().rsk_accepted = true;
}

void tcp_fastopen_child_gone(Host& h, Sock& s, bool reset) {
  if (!s.tcp.fastopen->rsk) return;
  TcpFastOpenState& fo = s.tcp.fastopen.edit();
  fo.rsk = false;
  Sock* l = h.sock(fo.rsk_listener);
  if (!l || l->trace_id != fo.rsk_listener_trace || !l->listener) return;
  Listener& q = *l->listener;
  q.fastopen_qlen = std::max(0, q.fastopen_qlen - 1);
  // "the child socket hasn't been accepted yet": nothing more.
  if (!fo.rsk_accepted) return;
  if (!reset || l->tcp.state != TcpState::kListen) return;
  // "Wait for 60secs before removing a req that has triggered RST. This is a simple defense
  // against TFO spoofing attack - by counting the req against fastopen.max_qlen".
  q.fastopen_rst_expiry.push_back(h.now() + kFastopenRstHold);
  ++q.fastopen_qlen;
}

SeqNum tcp_fastopen_icmp_snd_una(const Sock& s) {
  return s.tcp.fastopen->rsk ? s.tcp.iss : s.tcp.snd_una;
}

}  // namespace synlab::stack
