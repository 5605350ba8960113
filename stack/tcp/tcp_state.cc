#include "stack/tcp/tcp_state.h"

#include <array>
#include <cctype>
#include <string>

namespace synlab::stack {

std::optional<TcpState> tcp_state_from_name(std::string_view s) {
  std::string n;
  for (char c : s) n += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (n.rfind("TCP_", 0) == 0) n = n.substr(4);
  constexpr std::array all = {TcpState::kClosed,    TcpState::kListen,    TcpState::kSynSent,
                              TcpState::kSynReceived, TcpState::kEstablished, TcpState::kFinWait1,
                              TcpState::kFinWait2,  TcpState::kCloseWait, TcpState::kClosing,
                              TcpState::kLastAck,   TcpState::kTimeWait};
  for (TcpState st : all) {
    std::string rfc(rfc_name(st));
    for (char& c : rfc) c = c == '-' ? '_' : c;
    if (n == rfc || n == linux_name(st)) return st;
  }
  if (n == "FIN_WAIT_1") return TcpState::kFinWait1;
  if (n == "FIN_WAIT_2") return TcpState::kFinWait2;
  return std::nullopt;
}

}  // namespace synlab::stack
