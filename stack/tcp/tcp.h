// TCP: the functions the rest of the stack calls, and those the TCP files call each other.
//
// Read first: RFC 9293 (TCP), RFC 5961 (blind-attack defences: challenge ACKs), RFC 6298
// (RTO), RFC 7323 (timestamps, window scale), RFC 7413 (Fast Open), RFC 4987 (SYN cookies).
// The behaviour is Linux's; each decision point names the Linux function it follows
// (net/ipv4/tcp_input.c, tcp_output.c, tcp_minisocks.c, tcp_timer.c, tcp_ipv4.c,
// inet_connection_sock.c, inet_hashtables.c).
//
// Files: tcp_proto.cc (state changes, connect, listen, close, send/recv), tcp_input.cc
// (segment arrival per state), tcp_listen.cc (SYN and request socks, SYN cookies, the accept
// queue), tcp_output.cc (building and sending segments, windows), tcp_timer.cc (every timer),
// tcp_ports.cc (socket tables, bind, ephemeral ports), tcp_fastopen.cc (RFC 7413 Fast Open).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/ip/icmp.h"
#include "stack/ip/ip.h"
#include "stack/personality/personality.h"
#include "stack/socket/errno.h"
#include "stack/socket/sock.h"
#include "stack/tcp/demux.h"
#include "stack/wire/tcp.h"

namespace synlab::stack {

class Host;

// --- State (tcp_proto.cc) ---------------------------------------------------------------
// Every TCP state change goes through here: it records a trace event with the reason.
void tcp_set_state(Host& h, Sock& s, TcpState to, std::string_view why);
// Defaults for a new TCP socket (buffers, MSS, RTO).
void tcp_init_sock(Host& h, Sock& s);
// The connection is over (tcp_done): CLOSED, timers off, waiters woken; the socket is freed
// when no fd refers to it.
void tcp_done(Host& h, Sock& s);
// tcp_done with sk_err set (tcp_done_with_error / tcp_reset / tcp_write_err).
void tcp_done_with_error(Host& h, Sock& s, Errno err, std::string_view why);
// Frees an orphaned, closed socket (inet_csk_destroy_sock).
void tcp_destroy(Host& h, Sock& s);

// --- Calls (tcp_proto.cc) -----------------------------------------------------------------
// tcp_v4_connect / tcp_v6_connect + tcp_connect: route, source address, local port, SYN.
// With TCP_FASTOPEN_CONNECT and a cached cookie the SYN is deferred (tcp_fastopen_defer_connect).
SysResult<void> tcp_connect(Host& h, Sock& s, const SockAddr& dst);
// tcp_connect (tcp_output.c): tcp_connect_init and the first SYN (with Fast Open data when a
// request is under way), for a socket that tcp_connect left in SYN-SENT.
void tcp_connect_send(Host& h, Sock& s);
// __inet_listen_sk: CLOSE or LISTEN only; binds a port if there is none.
SysResult<void> tcp_listen(Host& h, Sock& s, int backlog);
// tcp_disconnect: back to CLOSE (AF_UNSPEC connect, a failed connect's cleanup), sending an
// RST from states that need one.
void tcp_disconnect(Host& h, Sock& s);
// tcp_close: the application closed its last fd.
void tcp_close(Host& h, Sock& s);
// tcp_shutdown: SEND_SHUTDOWN sends a FIN (after queued data).
void tcp_shutdown(Host& h, Sock& s, int how);
// Appends data to the send queue and transmits what the windows allow.
SysResult<std::size_t> tcp_sendmsg(Host& h, Sock& s, std::span<const std::uint8_t> data, int flags);
// Reads up to `len` bytes; 0 at end of stream. EAGAIN when nothing is there yet.
SysResult<std::vector<std::uint8_t>> tcp_recvmsg(Host& h, Sock& s, std::size_t len, int flags);
// Takes the oldest connection from a listener's accept queue; EAGAIN when empty.
SysResult<SockId> tcp_accept(Host& h, Sock& listener);
// Whether the send queue can take more data now.
bool tcp_writable(const Sock& s);
// tcp_set_xmit_timer: after new data went out or was acknowledged, the retransmission timer
// runs as a tail loss probe when tcp_schedule_loss_probe allows it, else as the RTO.
void tcp_set_xmit_timer(Host& h, Sock& s);
// tcp_send_loss_probe: the probe timer fired.
void tcp_send_loss_probe(Host& h, Sock& s);
// secure_tcp_ts_off: the TS offset of every connection between two addresses (a keyed hash
// of the pair, from the host's seeded secret; Linux keys it with a random boot secret).
std::uint32_t tcp_ts_offset(const Host& h, const wire::IpAddr& local, const wire::IpAddr& remote);
// TCP_INFO-style snapshot fields.
std::uint32_t tcp_rto_ms(const Sock& s);

// --- Input (tcp_input.cc) -------------------------------------------------------------------
void tcp_rcv(Host& h, const IpMeta& m, wire::Bytes segment);
// A segment for a full socket in any state but LISTEN (tcp_rcv_state_process).
void tcp_sock_rcv(Host& h, Sock& s, const IpMeta& m, const wire::TcpRepr& t);
// An ICMP error quoting one of our TCP segments (tcp_v4_err / tcp_v6_err).
void tcp_err(Host& h, const IcmpError& e);

// --- Listeners (tcp_listen.cc) ------------------------------------------------------------
void tcp_listen_rcv(Host& h, Sock& listener, const IpMeta& m, const wire::TcpRepr& t);
void tcp_reqsk_rcv(Host& h, ReqId id, const IpMeta& m, const wire::TcpRepr& t);
void tcp_reqsk_drop(Host& h, ReqId id, std::string_view why);
// Closing a listener: every queued child is reset, every request sock dropped
// (inet_csk_listen_stop).
void tcp_listen_stop(Host& h, Sock& listener);
// A request sock's SYN-ACK timer (reqsk_timer_handler).
void tcp_reqsk_timer(Host& h, ReqId id);

// --- Output (tcp_output.cc) ---------------------------------------------------------------
// Sends one segment from a full socket. `seq` is its sequence number; `payload` its data.
// Returns the IP layer's error (ignored by most callers, as Linux ignores tcp_transmit_skb's).
SysResult<void> tcp_transmit(Host& h, Sock& s, std::uint8_t flags, SeqNum seq,
                             std::span<const std::uint8_t> payload, std::string cause);
// The SYN of an active open (first or retransmitted).
void tcp_send_syn(Host& h, Sock& s, bool retransmit);
// A SYN-ACK from a socket in SYN-RECEIVED (simultaneous open).
void tcp_send_synack_sock(Host& h, Sock& s, bool retransmit);
void tcp_send_ack(Host& h, Sock& s, std::string_view why = {});
// tcp_send_active_reset: RST|ACK from a full socket (abort, close with unread data, linger 0).
void tcp_send_active_reset(Host& h, Sock& s, std::string_view why);
// tcp_v4_send_reset: the RST a host sends for a segment no socket wants.
void tcp_send_reset_for(Host& h, const IpMeta& m, wire::Bytes segment, std::string why);
void tcp_send_reset_reply(Host& h, const IpMeta& m, const wire::TcpRepr& t, std::string why);
// tcp_write_xmit: send queued data and the FIN as far as the windows allow.
void tcp_push(Host& h, Sock& s);
// The window to advertise now, unscaled as on the wire, and updates rcv_wnd / rcv_wup
// (tcp_select_window).
std::uint16_t tcp_select_window(Host& h, Sock& s);
// tcp_select_initial_window: (window, wscale) for a SYN or SYN-ACK.
std::pair<std::uint32_t, std::uint8_t> tcp_initial_window(const Host& h, int rcvbuf, int mss,
                                                          bool wscale_ok);
// Our MSS for a route MTU and family (dst_metric_advmss: MTU - 40 or - 60).
std::uint16_t tcp_advmss(int mtu, bool v6);
// The TS value a socket sends now.
std::uint32_t tcp_ts_now(const Host& h, std::uint32_t ts_off);
// Schedule a delayed ACK or send one now (__tcp_ack_snd_check).
void tcp_ack_snd_check(Host& h, Sock& s);
// The ACK Linux sends for a request sock (out-of-window segment in SYN-RECEIVED).
void tcp_reqsk_send_ack(Host& h, const RequestSock& r, const IpMeta& m);
// `fastopen`: a Fast Open cookie for the first SYN-ACK (tcp_synack_options), when len >= 0.
void tcp_send_synack_req(Host& h, RequestSock& r, bool retransmit, std::optional<std::uint32_t> cookie_ts = {},
                         const TfoCookie* fastopen = nullptr);

// --- Timers (tcp_timer.cc) ------------------------------------------------------------------
void tcp_reset_rtx_timer(Host& h, Sock& s, sim::Duration when);
void tcp_clear_xmit_timers(Host& h, Sock& s);
// The timeout after the SYN (or SYN-ACK) that has been retransmitted `retransmits` times, from
// Personality::syn_rto_schedule; nullopt when the personality has no table (Linux's doubling).
std::optional<sim::Duration> tcp_syn_schedule_rto(const Personality& p, int retransmits);
// Arms the connection-establishment timer (Personality::connection_establishment_timeout; none
// when it is zero): a connection still not ESTABLISHED when it fires fails with ETIMEDOUT.
void tcp_arm_establish_timer(Host& h, Sock& s);
void tcp_schedule_delack(Host& h, Sock& s);
// tcp_time_wait: enter TIME_WAIT (or orphaned FIN_WAIT_2) for `timeo`.
void tcp_time_wait(Host& h, Sock& s, TcpState state, sim::Duration timeo);
// RFC 6298 / tcp_rtt_estimator: a new RTT sample.
void tcp_rtt_sample(Host& h, Sock& s, sim::Duration rtt);

// --- Tables and ports (tcp_ports.cc) -------------------------------------------------------
FourTuple tcp_tuple(const Sock& s);
void tcp_hash(Host& h, Sock& s);
void tcp_unhash(Host& h, Sock& s);
void tcp_bind_hash(Host& h, Sock& s, std::uint16_t port, bool from_connect);
void tcp_bind_unhash(Host& h, Sock& s);
Sock* tcp_lookup_listener(Host& h, const wire::IpAddr& daddr, std::uint16_t dport, int ifindex);
// inet_csk_get_port: bind(port) conflicts, or an ephemeral port for bind(0)/listen.
SysResult<void> tcp_get_port(Host& h, Sock& s, std::uint16_t port);
// inet_hash_connect: a local port for connect() and the 4-tuple check.
SysResult<void> tcp_hash_connect(Host& h, Sock& s);

// --- Shared helpers -------------------------------------------------------------------------
// The peer's window as the segment says, scaled unless it is a SYN.
inline std::uint32_t seg_window(const Sock& s, const wire::TcpRepr& t) {
  return (t.flags & wire::tcp_flag::kSyn) ? t.window : std::uint32_t{t.window} << s.tcp.snd_wscale;
}
// End of the sequence space a segment occupies.
inline SeqNum seg_end(const wire::TcpRepr& t) { return SeqNum(t.seq) + t.seq_len(); }
std::string tcp_flags_text(std::uint8_t flags);

}  // namespace synlab::stack
