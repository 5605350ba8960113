// The eleven TCP states of RFC 9293 §3.3.2, with both spellings: the RFC's ("SYN-SENT") for
// explanations and Linux's ("SYN_SENT", as ss and packetdrill's tcpi_state print them) for
// scripts.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string_view>

namespace synlab::stack {

enum class TcpState : std::uint8_t {
  kClosed,
  kListen,
  kSynSent,
  kSynReceived,
  kEstablished,
  kFinWait1,
  kFinWait2,
  kCloseWait,
  kClosing,
  kLastAck,
  kTimeWait,
};

constexpr std::string_view rfc_name(TcpState s) {
  switch (s) {
    case TcpState::kClosed: return "CLOSED";
    case TcpState::kListen: return "LISTEN";
    case TcpState::kSynSent: return "SYN-SENT";
    case TcpState::kSynReceived: return "SYN-RECEIVED";
    case TcpState::kEstablished: return "ESTABLISHED";
    case TcpState::kFinWait1: return "FIN-WAIT-1";
    case TcpState::kFinWait2: return "FIN-WAIT-2";
    case TcpState::kCloseWait: return "CLOSE-WAIT";
    case TcpState::kClosing: return "CLOSING";
    case TcpState::kLastAck: return "LAST-ACK";
    case TcpState::kTimeWait: return "TIME-WAIT";
  }
  return "?";
}

// Linux's names (include/net/tcp_states.h): "CLOSE", "SYN_RECV", ...
constexpr std::string_view linux_name(TcpState s) {
  switch (s) {
    case TcpState::kClosed: return "CLOSE";
    case TcpState::kListen: return "LISTEN";
    case TcpState::kSynSent: return "SYN_SENT";
    case TcpState::kSynReceived: return "SYN_RECV";
    case TcpState::kEstablished: return "ESTABLISHED";
    case TcpState::kFinWait1: return "FIN_WAIT1";
    case TcpState::kFinWait2: return "FIN_WAIT2";
    case TcpState::kCloseWait: return "CLOSE_WAIT";
    case TcpState::kClosing: return "CLOSING";
    case TcpState::kLastAck: return "LAST_ACK";
    case TcpState::kTimeWait: return "TIME_WAIT";
  }
  return "?";
}

// Linux's numeric values (TCP_ESTABLISHED = 1 ... TCP_CLOSING = 11), as tcp_info reports them.
constexpr int linux_number(TcpState s) {
  switch (s) {
    case TcpState::kEstablished: return 1;
    case TcpState::kSynSent: return 2;
    case TcpState::kSynReceived: return 3;
    case TcpState::kFinWait1: return 4;
    case TcpState::kFinWait2: return 5;
    case TcpState::kTimeWait: return 6;
    case TcpState::kClosed: return 7;
    case TcpState::kCloseWait: return 8;
    case TcpState::kLastAck: return 9;
    case TcpState::kListen: return 10;
    case TcpState::kClosing: return 11;
  }
  return 0;
}

inline std::ostream& operator<<(std::ostream& os, TcpState s) { return os << linux_name(s); }

// Accepts every spelling: "SYN_SENT", "SYN-SENT", "TCP_SYN_SENT", "SYN_RECV", "CLOSE", "CLOSED".
std::optional<TcpState> tcp_state_from_name(std::string_view s);

}  // namespace synlab::stack
