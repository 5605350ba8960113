#include "stack/counters.h"

namespace synlab::stack {
namespace {

struct MibInfo {
  Mib m;
  std::string_view name;    // nstat's name
  std::string_view prefix;  // the MIB group nstat prefixes ("TcpExt")
};

// nstat prints "<group><name>": TcpExtListenOverflows, TcpActiveOpens, UdpNoPorts.
constexpr std::array<MibInfo, static_cast<std::size_t>(Mib::kCount)> kMibs = {{
    {Mib::kIpInReceives, "IpInReceives", ""},
    {Mib::kIpInHdrErrors, "IpInHdrErrors", ""},
    {Mib::kIpInAddrErrors, "IpInAddrErrors", ""},
    {Mib::kIpForwDatagrams, "IpForwDatagrams", ""},
    {Mib::kIpInUnknownProtos, "IpInUnknownProtos", ""},
    {Mib::kIpInDiscards, "IpInDiscards", ""},
    {Mib::kIpInDelivers, "IpInDelivers", ""},
    {Mib::kIpOutRequests, "IpOutRequests", ""},
    {Mib::kIpOutDiscards, "IpOutDiscards", ""},
    {Mib::kIpOutNoRoutes, "IpOutNoRoutes", ""},
    {Mib::kIcmpInMsgs, "IcmpInMsgs", ""},
    {Mib::kIcmpInErrors, "IcmpInErrors", ""},
    {Mib::kIcmpInCsumErrors, "IcmpInCsumErrors", ""},
    {Mib::kIcmpInDestUnreachs, "IcmpInDestUnreachs", ""},
    {Mib::kIcmpOutMsgs, "IcmpOutMsgs", ""},
    {Mib::kIcmpOutDestUnreachs, "IcmpOutDestUnreachs", ""},
    {Mib::kIcmpOutRateLimitGlobal, "IcmpOutRateLimitGlobal", ""},
    {Mib::kIcmpOutRateLimitHost, "IcmpOutRateLimitHost", ""},
    {Mib::kTcpActiveOpens, "TcpActiveOpens", ""},
    {Mib::kTcpPassiveOpens, "TcpPassiveOpens", ""},
    {Mib::kTcpAttemptFails, "TcpAttemptFails", ""},
    {Mib::kTcpEstabResets, "TcpEstabResets", ""},
    {Mib::kTcpInSegs, "TcpInSegs", ""},
    {Mib::kTcpOutSegs, "TcpOutSegs", ""},
    {Mib::kTcpRetransSegs, "TcpRetransSegs", ""},
    {Mib::kTcpInErrs, "TcpInErrs", ""},
    {Mib::kTcpOutRsts, "TcpOutRsts", ""},
    {Mib::kTcpInCsumErrors, "TcpInCsumErrors", ""},
    {Mib::kListenOverflows, "ListenOverflows", "TcpExt"},
    {Mib::kListenDrops, "ListenDrops", "TcpExt"},
    {Mib::kSyncookiesSent, "SyncookiesSent", "TcpExt"},
    {Mib::kSyncookiesRecv, "SyncookiesRecv", "TcpExt"},
    {Mib::kSyncookiesFailed, "SyncookiesFailed", "TcpExt"},
    {Mib::kTCPReqQFullDrop, "TCPReqQFullDrop", "TcpExt"},
    {Mib::kTCPReqQFullDoCookies, "TCPReqQFullDoCookies", "TcpExt"},
    {Mib::kEmbryonicRsts, "EmbryonicRsts", "TcpExt"},
    {Mib::kTCPAbortOnData, "TCPAbortOnData", "TcpExt"},
    {Mib::kTCPAbortOnClose, "TCPAbortOnClose", "TcpExt"},
    {Mib::kTCPAbortOnTimeout, "TCPAbortOnTimeout", "TcpExt"},
    {Mib::kTCPAbortOnLinger, "TCPAbortOnLinger", "TcpExt"},
    {Mib::kTCPTimeouts, "TCPTimeouts", "TcpExt"},
    {Mib::kTCPLossProbes, "TCPLossProbes", "TcpExt"},
    {Mib::kTCPSynRetrans, "TCPSynRetrans", "TcpExt"},
    {Mib::kTCPChallengeACK, "TCPChallengeACK", "TcpExt"},
    {Mib::kTCPSYNChallenge, "TCPSYNChallenge", "TcpExt"},
    {Mib::kPAWSEstab, "PAWSEstab", "TcpExt"},
    {Mib::kTCPACKSkippedSynRecv, "TCPACKSkippedSynRecv", "TcpExt"},
    {Mib::kOutOfWindowIcmps, "OutOfWindowIcmps", "TcpExt"},
    {Mib::kTW, "TW", "TcpExt"},
    {Mib::kTWRecycled, "TWRecycled", "TcpExt"},
    {Mib::kDelayedACKs, "DelayedACKs", "TcpExt"},
    {Mib::kTCPFastOpenActive, "TCPFastOpenActive", "TcpExt"},
    {Mib::kTCPFastOpenActiveFail, "TCPFastOpenActiveFail", "TcpExt"},
    {Mib::kTCPFastOpenPassive, "TCPFastOpenPassive", "TcpExt"},
    {Mib::kTCPFastOpenPassiveFail, "TCPFastOpenPassiveFail", "TcpExt"},
    {Mib::kTCPFastOpenListenOverflow, "TCPFastOpenListenOverflow", "TcpExt"},
    {Mib::kTCPFastOpenCookieReqd, "TCPFastOpenCookieReqd", "TcpExt"},
    {Mib::kTCPFastOpenPassiveAltKey, "TCPFastOpenPassiveAltKey", "TcpExt"},
    {Mib::kTCPOrigDataSent, "TCPOrigDataSent", "TcpExt"},
    {Mib::kTCPRcvQDrop, "TCPRcvQDrop", "TcpExt"},
    {Mib::kTCPOFOQueue, "TCPOFOQueue", "TcpExt"},
    {Mib::kUdpInDatagrams, "UdpInDatagrams", ""},
    {Mib::kUdpNoPorts, "UdpNoPorts", ""},
    {Mib::kUdpInErrors, "UdpInErrors", ""},
    {Mib::kUdpOutDatagrams, "UdpOutDatagrams", ""},
    {Mib::kUdpRcvbufErrors, "UdpRcvbufErrors", ""},
    {Mib::kUdpInCsumErrors, "UdpInCsumErrors", ""},
    {Mib::kNeighResFailed, "NeighResFailed", ""},
    {Mib::kNeighTableFulls, "NeighTableFulls", ""},
}};

static_assert([] {
  for (std::size_t i = 0; i < kMibs.size(); ++i) {
    if (static_cast<std::size_t>(kMibs[i].m) != i) return false;
  }
  return true;
}(), "kMibs must list every Mib in enum order");

struct DropInfo {
  DropReason r;
  std::string_view name;  // Linux's SKB_DROP_REASON_<name>
  std::string_view text;
};

constexpr std::array<DropInfo, static_cast<std::size_t>(DropReason::kCount)> kDrops = {{
    {DropReason::kNotSpecified, "NOT_SPECIFIED", "dropped"},
    {DropReason::kOtherHost, "OTHERHOST", "not addressed to this host"},
    {DropReason::kPktTooSmall, "PKT_TOO_SMALL", "packet shorter than its headers"},
    {DropReason::kHdrTrunc, "HDR_TRUNC", "truncated header"},
    {DropReason::kIpCsum, "IP_CSUM", "bad IPv4 header checksum"},
    {DropReason::kIpInHdr, "IP_INHDR", "malformed IP header"},
    {DropReason::kIpInAddrErrors, "IP_INADDRERRORS", "bad destination address"},
    {DropReason::kIpNoProto, "IP_NOPROTO", "unknown IP protocol"},
    {DropReason::kIpOutNoRoutes, "IP_OUTNOROUTES", "no route"},
    {DropReason::kIpFragmented, "IP_FRAGMENTED", "IP fragment (not reassembled)"},
    {DropReason::kTtlExpired, "IP_TTL_EXPIRED", "TTL expired in transit"},
    {DropReason::kNetfilterDrop, "NETFILTER_DROP", "dropped by a filter rule"},
    {DropReason::kUnhandledProto, "UNHANDLED_PROTO", "unknown EtherType"},
    {DropReason::kArpInvalid, "ARP_INVALID", "malformed ARP"},
    {DropReason::kNeighFailed, "NEIGH_FAILED", "neighbour resolution failed"},
    {DropReason::kNeighQueueFull, "NEIGH_QUEUEFULL", "too many packets waiting for the neighbour"},
    {DropReason::kIcmpCsum, "ICMP_CSUM", "bad ICMP checksum"},
    {DropReason::kIcmpInvalid, "ICMP_INVALID", "malformed ICMP"},
    {DropReason::kUdpCsum, "UDP_CSUM", "bad UDP checksum"},
    {DropReason::kUdpInvalid, "UDP_INVALID", "malformed UDP"},
    {DropReason::kSocketRcvBuff, "SOCKET_RCVBUFF", "receive buffer full"},
    {DropReason::kNoSocket, "NO_SOCKET", "no socket on that port"},
    {DropReason::kTcpCsum, "TCP_CSUM", "bad TCP checksum"},
    {DropReason::kTcpInvalid, "TCP_INVALID", "malformed TCP header"},
    {DropReason::kTcpFlags, "TCP_FLAGS", "unacceptable TCP flags"},
    {DropReason::kTcpZeroWindow, "TCP_ZEROWINDOW", "receive window is zero"},
    {DropReason::kTcpOldData, "TCP_OLD_DATA", "old data (already received)"},
    {DropReason::kTcpOverWindow, "TCP_OVERWINDOW", "data beyond the receive window"},
    {DropReason::kTcpRfc7323Paws, "TCP_RFC7323_PAWS", "timestamp too old (PAWS)"},
    {DropReason::kTcpInvalidSequence, "TCP_INVALID_SEQUENCE", "sequence number outside the window"},
    {DropReason::kTcpReset, "TCP_RESET", "reset accepted"},
    {DropReason::kTcpInvalidSyn, "TCP_INVALID_SYN", "unexpected SYN"},
    {DropReason::kTcpClose, "TCP_CLOSE", "connection is closed"},
    {DropReason::kTcpOldAck, "TCP_OLD_ACK", "old ACK"},
    {DropReason::kTcpTooOldAck, "TCP_TOO_OLD_ACK", "ACK older than the window"},
    {DropReason::kTcpAckUnsentData, "TCP_ACK_UNSENT_DATA", "ACK of data never sent"},
    {DropReason::kTcpListenOverflow, "TCP_LISTEN_OVERFLOW", "listen queue full"},
    {DropReason::kTcpReqQueueFull, "TCP_REQQFULLDROP", "SYN queue full and SYN cookies off"},
    {DropReason::kTcpOldSequence, "TCP_OLD_SEQUENCE", "old sequence number"},
    {DropReason::kTcpInvalidAckSequence, "TCP_INVALID_ACK_SEQUENCE", "unacceptable ACK"},
    {DropReason::kTcpSyncookieFailed, "TCP_SYNCOOKIE_FAILED", "ACK did not carry a valid SYN cookie"},
    {DropReason::kTcpMinTtl, "TCP_MINTTL", "TTL below IP_MINTTL"},
}};

static_assert([] {
  for (std::size_t i = 0; i < kDrops.size(); ++i) {
    if (static_cast<std::size_t>(kDrops[i].r) != i) return false;
  }
  return true;
}(), "kDrops must list every DropReason in enum order");

}  // namespace

std::string_view mib_name(Mib m) { return kMibs[static_cast<std::size_t>(m)].name; }
std::string_view drop_reason_name(DropReason r) { return kDrops[static_cast<std::size_t>(r)].name; }
std::string_view drop_reason_text(DropReason r) { return kDrops[static_cast<std::size_t>(r)].text; }

std::optional<Mib> mib_from_name(std::string_view name) {
  for (const auto& i : kMibs) {
    if (name == i.name) return i.m;
    // "TcpExtListenOverflows"
    if (!i.prefix.empty() && name.size() == i.prefix.size() + i.name.size() &&
        name.substr(0, i.prefix.size()) == i.prefix && name.substr(i.prefix.size()) == i.name) {
      return i.m;
    }
  }
  // "ActiveOpens" for "TcpActiveOpens", "NoPorts" for "UdpNoPorts", when unambiguous.
  std::optional<Mib> found;
  for (const auto& i : kMibs) {
    for (std::string_view group : {"Tcp", "Udp", "Ip", "Icmp"}) {
      if (i.name.size() == group.size() + name.size() && i.name.substr(0, group.size()) == group &&
          i.name.substr(group.size()) == name) {
        if (found) return std::nullopt;
        found = i.m;
      }
    }
  }
  return found;
}

std::optional<DropReason> drop_reason_from_name(std::string_view name) {
  for (const auto& i : kDrops) {
    if (name == i.name) return i.r;
  }
  return std::nullopt;
}

std::uint64_t Counters::total_drops() const {
  std::uint64_t n = 0;
  for (auto d : drops) n += d;
  return n;
}

}  // namespace synlab::stack
