// Named counters: SNMP/netstat MIB counters and per-reason drop counters.
//
// Every segment the stack discards is counted under a DropReason named after Linux's
// `enum skb_drop_reason` (SKB_DROP_REASON_TCP_CSUM -> "TCP_CSUM"), and the MIB counters carry
// the names `nstat` prints (TcpExtListenOverflows, TcpActiveOpens, ...), so a scenario can
// assert `ListenOverflows == 3` and mean exactly what it means on Linux. If you add a value,
// add its name to the table in counters.cc.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace synlab::stack {

enum class Mib : std::uint16_t {
  // Ip / Ip6
  kIpInReceives, kIpInHdrErrors, kIpInAddrErrors, kIpForwDatagrams, kIpInUnknownProtos,
  kIpInDiscards, kIpInDelivers, kIpOutRequests, kIpOutDiscards, kIpOutNoRoutes,
  // Icmp / Icmp6
  kIcmpInMsgs, kIcmpInErrors, kIcmpInCsumErrors, kIcmpInDestUnreachs, kIcmpOutMsgs,
  kIcmpOutDestUnreachs, kIcmpOutRateLimitGlobal, kIcmpOutRateLimitHost,
  // Tcp
  kTcpActiveOpens, kTcpPassiveOpens, kTcpAttemptFails, kTcpEstabResets, kTcpInSegs,
  kTcpOutSegs, kTcpRetransSegs, kTcpInErrs, kTcpOutRsts, kTcpInCsumErrors,
  // TcpExt
  kListenOverflows, kListenDrops, kSyncookiesSent, kSyncookiesRecv, kSyncookiesFailed,
  kTCPReqQFullDrop, kTCPReqQFullDoCookies, kEmbryonicRsts, kTCPAbortOnData, kTCPAbortOnClose,
  kTCPAbortOnTimeout, kTCPAbortOnLinger, kTCPTimeouts, kTCPLossProbes, kTCPSynRetrans, kTCPChallengeACK,
  kTCPSYNChallenge, kPAWSEstab, kTCPACKSkippedSynRecv, kOutOfWindowIcmps, kTW, kTWRecycled,
  kDelayedACKs, kTCPFastOpenActive, kTCPFastOpenActiveFail, kTCPFastOpenPassive,
  kTCPFastOpenPassiveFail, kTCPFastOpenListenOverflow, kTCPFastOpenCookieReqd,
  kTCPFastOpenPassiveAltKey,
  kTCPOrigDataSent, kTCPRcvQDrop, kTCPOFOQueue,
  // Udp / Udp6
  kUdpInDatagrams, kUdpNoPorts, kUdpInErrors, kUdpOutDatagrams, kUdpRcvbufErrors,
  kUdpInCsumErrors,
  // Neighbour tables (ip -s neigh / arp_cache stats)
  kNeighResFailed, kNeighTableFulls,
  kCount
};

enum class DropReason : std::uint16_t {
  kNotSpecified,
  kOtherHost,          // frame or packet addressed to someone else
  kPktTooSmall,        // shorter than its headers say
  kHdrTrunc,           // truncated header
  kIpCsum,             // bad IPv4 header checksum
  kIpInHdr,            // malformed IP header (version, length)
  kIpInAddrErrors,     // bad destination address
  kIpNoProto,          // unknown upper-layer protocol
  kIpOutNoRoutes,      // no route when sending or forwarding
  kIpFragmented,       // fragments are not reassembled here
  kTtlExpired,         // forwarding with TTL/hop limit 1
  kNetfilterDrop,      // a filter rule dropped it
  kUnhandledProto,     // an EtherType this host does not speak
  kArpInvalid,         // malformed ARP
  kNeighFailed,        // neighbour resolution failed (the packet was queued for it)
  kNeighQueueFull,     // too many packets waiting for one neighbour
  kIcmpCsum,
  kIcmpInvalid,        // malformed ICMP / ICMPv6 / NDP
  kUdpCsum,
  kUdpInvalid,
  kSocketRcvBuff,      // receive buffer full
  kNoSocket,           // no socket for this port
  kTcpCsum,
  kTcpInvalid,         // malformed TCP header
  kTcpFlags,           // impossible or unacceptable flag combination
  kTcpZeroWindow,
  kTcpOldData,
  kTcpOverWindow,
  kTcpRfc7323Paws,     // timestamp older than ts_recent
  kTcpInvalidSequence,
  kTcpReset,           // an RST that was accepted (the segment itself is consumed)
  kTcpInvalidSyn,
  kTcpClose,           // segment for a closed connection
  kTcpOldAck,
  kTcpTooOldAck,
  kTcpAckUnsentData,
  kTcpListenOverflow,  // SYN or final ACK with no room in the listener's queues
  kTcpReqQueueFull,    // SYN queue full and cookies off
  kTcpOldSequence,
  kTcpInvalidAckSequence,
  kTcpSyncookieFailed, // an ACK to a listener whose cookie did not check
  kTcpMinTtl,
  kCount
};

std::string_view mib_name(Mib m);          // "ListenOverflows", "TcpActiveOpens", "UdpNoPorts"
std::string_view drop_reason_name(DropReason r);  // "TCP_CSUM"
// Plain-language text for reports and capture comments: "bad TCP checksum".
std::string_view drop_reason_text(DropReason r);
// By nstat name, with or without the TcpExt/Tcp/Ip/... prefix where it is unambiguous
// ("ListenOverflows", "TcpExtListenOverflows", "TcpActiveOpens", "ActiveOpens").
std::optional<Mib> mib_from_name(std::string_view name);
std::optional<DropReason> drop_reason_from_name(std::string_view name);

struct Counters {
  std::array<std::uint64_t, static_cast<std::size_t>(Mib::kCount)> mib{};
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::kCount)> drops{};

  void inc(Mib m, std::uint64_t n = 1) { mib[static_cast<std::size_t>(m)] += n; }
  void dec(Mib m) { --mib[static_cast<std::size_t>(m)]; }
  std::uint64_t get(Mib m) const { return mib[static_cast<std::size_t>(m)]; }
  void drop(DropReason r) { ++drops[static_cast<std::size_t>(r)]; }
  std::uint64_t dropped(DropReason r) const { return drops[static_cast<std::size_t>(r)]; }
  std::uint64_t total_drops() const;
};

}  // namespace synlab::stack
