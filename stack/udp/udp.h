// UDP (RFC 768) sockets with Linux's connected-UDP semantics (net/ipv4/udp.c, datagram.c):
// connect() only records a default peer (nothing is sent) and from then on filters datagrams
// from anyone else; AF_UNSPEC dissolves it; an ICMP error quoting a datagram of a connected
// socket becomes that socket's pending error (port unreachable -> ECONNREFUSED), reported by
// the next receive; send() without a peer is EDESTADDRREQ.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "stack/ip/icmp.h"
#include "stack/ip/ip.h"
#include "stack/socket/errno.h"
#include "stack/socket/sock.h"

namespace synlab::stack {

class Host;

void udp_rcv(Host& h, const IpMeta& m, wire::Bytes datagram);
void udp_err(Host& h, const IcmpError& e);

// bind() for a UDP socket: port 0 picks a random free port (udp_lib_get_port).
SysResult<void> udp_get_port(Host& h, Sock& s, std::uint16_t port);
void udp_unhash(Host& h, Sock& s);
// connect(): the default peer (ip4_datagram_connect / ip6_datagram_connect).
SysResult<void> udp_connect(Host& h, Sock& s, const SockAddr& dst);
// connect(AF_UNSPEC) (udp_disconnect).
void udp_disconnect(Host& h, Sock& s);
// sendto()/send(). `to` null: the connected peer.
SysResult<std::size_t> udp_sendmsg(Host& h, Sock& s, std::span<const std::uint8_t> data, const SockAddr* to);
// One datagram, truncated to `len`; EAGAIN when none is queued (a pending error comes first).
SysResult<std::pair<std::vector<std::uint8_t>, SockAddr>> udp_recvmsg(Host& h, Sock& s, std::size_t len, int flags);

}  // namespace synlab::stack
