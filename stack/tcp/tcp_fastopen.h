// TCP Fast Open (RFC 7413), client and server, as Linux 6.x does it.
//
// Read first: RFC 7413 §3 (the protocol), §4.1 (the option and the client's cookie cache),
// §4.2 (the server: cookie generation and checks, the Fast Open queue), §4.1.3 (what the
// client does when the server ignores the data). Linux: net/ipv4/tcp_fastopen.c (keys,
// cookies, tcp_try_fastopen, the queue), tcp_output.c (tcp_send_syn_data), tcp_input.c
// (tcp_rcv_fastopen_synack, tcp_rcv_synrecv_state_fastopen), tcp.c (tcp_sendmsg_fastopen),
// tcp_metrics.c (the cookie cache), request_sock.c (reqsk_fastopen_remove).
//
// How it goes:
//  - A client asks for a cookie with an empty option in its SYN (sendto(MSG_FASTOPEN) or
//    TCP_FASTOPEN_CONNECT with no cookie cached); the server answers with a cookie in the
//    SYN-ACK, which the client caches by peer address with the SYN-ACK's MSS.
//  - Next time the SYN carries the cookie and up to MSS - 40 bytes of data. A server that
//    checks the cookie creates the child at once (SYN_RECV, accept()able, the data readable)
//    and its SYN-ACK acknowledges the data. Otherwise the SYN-ACK acknowledges only the SYN
//    (with a fresh cookie when the one offered was wrong), and the client sends the data
//    again right after the handshake.
//  - SYN retransmissions carry neither the option nor the data.
//
// Cookies are SipHash-2-4 of the two IP addresses under a 16-byte key
// (__tcp_fastopen_cookie_gen_cipher); the key comes from net.ipv4.tcp_fastopen_key, a
// listener's TCP_FASTOPEN_KEY, or else one derived from the host's seeded secret (Linux draws
// a random one; this keeps runs reproducible).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stack/ip/ip.h"
#include "stack/socket/errno.h"
#include "stack/socket/sock.h"
#include "stack/tcp/siphash.h"
#include "stack/tcp/tcb.h"
#include "stack/wire/tcp.h"

namespace synlab::stack {

class Host;

// net.ipv4.tcp_fastopen bits (include/net/tcp.h).
inline constexpr int kTfoClientEnable = 0x1;
inline constexpr int kTfoServerEnable = 0x2;
inline constexpr int kTfoClientNoCookie = 0x4;         // data in SYN without a cookie
inline constexpr int kTfoServerCookieNotReqd = 0x200;  // accept SYN data without a cookie
inline constexpr int kTfoServerWoSockopt1 = 0x400;     // every listener, no TCP_FASTOPEN needed

inline constexpr int kTfoCookieMin = 4;           // TCP_FASTOPEN_COOKIE_MIN
inline constexpr int kTfoCookieMax = 16;          // TCP_FASTOPEN_COOKIE_MAX
inline constexpr int kTfoCookieSize = 8;          // TCP_FASTOPEN_COOKIE_SIZE: what Linux generates
inline constexpr std::size_t kTfoKeyLength = 16;  // TCP_FASTOPEN_KEY_LENGTH

// tcpi_fastopen_client_fail values (enum tfo_client_fail in linux/tcp.h).
inline constexpr std::uint8_t kTfoCookieUnavailable = 1;
inline constexpr std::uint8_t kTfoDataNotAcked = 2;
inline constexpr std::uint8_t kTfoSynRetransmitted = 3;

using TfoKey = std::array<std::uint8_t, kTfoKeyLength>;

// --- Keys and cookies ----------------------------------------------------------------------
// The sysctl's text form, as proc_tcp_fastopen_key parses it: four 32-bit hex words,
// "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4", optionally ",<backup key>". Each word is stored
// little-endian (cpu_to_le32), so "a1a1a1a1-b2b2b2b2-..." is the byte string a1 a1 a1 a1 b2 ..
// Returns the primary key first; nullopt when the text is not one or two such keys.
std::optional<std::vector<TfoKey>> tcp_fastopen_parse_key(std::string_view text);
// The same key as the sysctl prints it.
std::string tcp_fastopen_format_key(const TfoKey& key);
// The keys in force for `listener` (tcp_fastopen_get_ctx): its TCP_FASTOPEN_KEY if set, else
// net.ipv4.tcp_fastopen_key, else a key derived from the host's seeded Fast Open secret.
// Primary first, then the backup if there is one.
std::vector<TfoKey> tcp_fastopen_keys(const Host& h, const Sock* listener);
// __tcp_fastopen_cookie_gen_cipher: SipHash-2-4 over saddr then daddr of the SYN (4 + 4 or
// 16 + 16 bytes in network order), the 64-bit result stored little-endian as an 8-byte cookie.
TfoCookie tcp_fastopen_cookie_gen(const TfoKey& key, const wire::IpAddr& saddr,
                                  const wire::IpAddr& daddr);
// tcp_parse_fastopen_option: the Fast Open option of a SYN or SYN-ACK. len -1 when absent or
// invalid (an odd length, or 1..3 and 17+ bytes), 0 for a request.
TfoCookie tcp_fastopen_parse_option(const wire::TcpRepr& t);
// The option to put in a SYN or SYN-ACK for this cookie (none when len < 0).
std::optional<wire::TcpFastOpen> tcp_fastopen_option(const TfoCookie& c);

// --- Client (active open) --------------------------------------------------------------------
// tcp_fastopen_defer_connect, from connect(): with TCP_FASTOPEN_CONNECT and a cookie cached,
// no SYN is sent and connect() returns 0 (true); without one, a Fast Open request is set up so
// the SYN asks for a cookie (false).
bool tcp_fastopen_defer_connect(Host& h, Sock& s);
// tcp_send_syn_data: the first SYN of a connection with a Fast Open request. With a cookie
// (or no cookie needed) it carries the data that fits; otherwise it falls back to a SYN with a
// cookie request. Either way, later SYNs carry no Fast Open option.
void tcp_fastopen_send_syn(Host& h, Sock& s);
// The Fast Open option a SYN or SYN-ACK from this socket carries now (tcp_syn_options /
// tcp_synack_options), if any.
std::optional<wire::TcpFastOpen> tcp_fastopen_syn_option(const Sock& s, bool synack);
// tcp_rcv_fastopen_synack, once the SYN-ACK has made the connection ESTABLISHED: caches the
// cookie and MSS, and resends SYN data the SYN-ACK did not acknowledge. Returns true when it
// sent that data (the segment carries the ACK, so no separate ACK goes out).
bool tcp_fastopen_synack(Host& h, Sock& s, const wire::TcpRepr& t, bool syn_retransmitted);
// Whether a writer is waiting with data the SYN did not take (sk_write_pending's writebias):
// the ACK of the SYN-ACK is then delayed so it rides on that data.
bool tcp_fastopen_write_pending(const Sock& s);

// tcp_sendmsg_fastopen, first half: EOPNOTSUPP (client side off, or an AF_UNSPEC address),
// EALREADY (a Fast Open request is under way); else sets up the request with `data`, and for
// a deferred connect sends the SYN now.
SysResult<void> tcp_fastopen_sendmsg_begin(Host& h, Sock& s, std::span<const std::uint8_t> data,
                                           bool addr_is_unspec);
// Second half, after the connect step: the bytes the SYN carried, and the request freed.
std::size_t tcp_fastopen_sendmsg_end(Sock& s);

// --- Server (passive open) -------------------------------------------------------------------
// __inet_listen_sk: with TFO_SERVER_WO_SOCKOPT1 every listener gets a Fast Open queue of
// `backlog` unless TCP_FASTOPEN set one.
void tcp_fastopen_listen(Host& h, Sock& l, int backlog);
// tcp_try_fastopen, for a SYN to a listener (never with a SYN cookie). `foc` is the SYN's
// option on entry and, on return, the cookie to put in the SYN-ACK (len -1: none). When the
// cookie checks (or none is needed) it calls `make_child` (tcp_v4_syn_recv_sock) and returns
// the child set up as tcp_fastopen_create_child leaves it: SYN_RECV, the data queued, the
// SYN-ACK timer armed. Null means an ordinary handshake.
Sock* tcp_try_fastopen(Host& h, Sock& l, const IpMeta& m, const wire::TcpRepr& t, TfoCookie& foc,
                       const std::function<Sock*()>& make_child);
// The first SYN-ACK of a Fast Open child (tcp_conn_request with TCP_SYNACK_FASTOPEN).
void tcp_fastopen_send_child_synack(Host& h, Sock& child);
// The child's SYN-ACK timer (tcp_fastopen_synack_timer): one more retry than a request sock
// gets, then ETIMEDOUT.
void tcp_fastopen_synack_timer(Host& h, Sock& s);
// The final ACK arrived in SYN_RECV (tcp_rcv_synrecv_state_fastopen): the child leaves the
// Fast Open queue.
void tcp_fastopen_synrecv_done(Host& h, Sock& s);
// accept() took a child that is still waiting for its final ACK.
void tcp_fastopen_accepted(Sock& s);
// reqsk_fastopen_remove: the child is done (tcp_done, tcp_disconnect) or reset (an RST in
// SYN_RECV: an accepted child then keeps its queue slot for 60 s).
void tcp_fastopen_child_gone(Host& h, Sock& s, bool reset);
// The start of the send window an ICMP error is checked against: a Fast Open child in
// SYN_RECV still counts its SYN-ACK (tcp_v4_err uses the request's snt_isn).
SeqNum tcp_fastopen_icmp_snd_una(const Sock& s);

}  // namespace synlab::stack
