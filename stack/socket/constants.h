// Linux's numeric values for socket options and levels (asm-generic/socket.h, linux/tcp.h,
// linux/in.h, linux/in6.h). The simulated API uses them on every build host; scripts name
// them (harness/symbols maps names to these values).
#pragma once

namespace synlab::stack {

inline constexpr int kSolSocket = 1;
inline constexpr int kSolIp = 0;
inline constexpr int kSolTcp = 6;
inline constexpr int kSolIpv6 = 41;

inline constexpr int kSoReuseaddr = 2;
inline constexpr int kSoType = 3;
inline constexpr int kSoError = 4;
inline constexpr int kSoBroadcast = 6;
inline constexpr int kSoSndbuf = 7;
inline constexpr int kSoRcvbuf = 8;
inline constexpr int kSoKeepalive = 9;
inline constexpr int kSoLinger = 13;
inline constexpr int kSoReuseport = 15;
inline constexpr int kSoRcvlowat = 18;
inline constexpr int kSoRcvtimeo = 20;
inline constexpr int kSoSndtimeo = 21;
inline constexpr int kSoBindtodevice = 25;
inline constexpr int kSoAcceptconn = 30;
inline constexpr int kSoProtocol = 38;
inline constexpr int kSoDomain = 39;

inline constexpr int kTcpNodelay = 1;
inline constexpr int kTcpMaxseg = 2;
inline constexpr int kTcpCork = 3;
inline constexpr int kTcpKeepidle = 4;
inline constexpr int kTcpKeepintvl = 5;
inline constexpr int kTcpKeepcnt = 6;
inline constexpr int kTcpSyncnt = 7;
inline constexpr int kTcpLinger2 = 8;
inline constexpr int kTcpDeferAccept = 9;
inline constexpr int kTcpWindowClamp = 10;
inline constexpr int kTcpInfo = 11;
inline constexpr int kTcpQuickack = 12;
inline constexpr int kTcpCongestion = 13;
inline constexpr int kTcpUserTimeout = 18;
inline constexpr int kTcpFastopen = 23;
inline constexpr int kTcpFastopenConnect = 30;
inline constexpr int kTcpFastopenKey = 33;
inline constexpr int kTcpFastopenNoCookie = 34;

inline constexpr int kIpTos = 1;
inline constexpr int kIpTtl = 2;
inline constexpr int kIpRecverr = 11;
inline constexpr int kIpFreebind = 15;
inline constexpr int kIpBindAddressNoPort = 24;
inline constexpr int kIpLocalPortRange = 51;

inline constexpr int kIpv6UnicastHops = 16;
inline constexpr int kIpv6Recverr = 25;
inline constexpr int kIpv6V6only = 26;

// Signals (x86-64 Linux numbering).
inline constexpr int kSigInt = 2;
inline constexpr int kSigPipe = 13;
inline constexpr int kSigAlrm = 14;
inline constexpr int kSigTerm = 15;
inline constexpr int kSigUsr1 = 10;

}  // namespace synlab::stack
