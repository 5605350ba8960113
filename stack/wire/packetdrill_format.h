// One-line renderings of TCP and UDP reprs in packetdrill's script syntax (packetdrill's
// syntax.md; its packet_to_string.c and tcp_options_to_string.c print the same way):
//
//   S 0:0(0) win 64240 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>
//   S. 0:0(0) ack 1 win 65160 <mss 1460,sackOK,TS val 7 ecr 1,nop,wscale 7>
//   P. 1:11(10) ack 1 win 257
//   udp (1000)
//
// These strings are what failure reports show and what scenario scripts are written in, so a
// printed packet can be pasted into a script. Where packetdrill's printer and its parser
// disagree we follow the parser (see format_tcp_flags). Values are printed as held: a harness
// that wants relative sequence numbers maps them before printing.
#pragma once

#include <cstdint>
#include <string>

#include "stack/wire/tcp.h"
#include "stack/wire/tcp_options.h"
#include "stack/wire/udp.h"

namespace synlab::wire {

// Letters F S R P U E W A (FIN SYN RST PSH URG ECE CWR, and AE from `reserved`), then "." for
// ACK: "S", "S.", "F.", "FP.", "R.", ".", "SEW", "SE.". No flags at all is "-", the script form
// (packetdrill's printer prints nothing there). packetdrill's printer would put U/E/W/A after
// the dot ("S.E"), which its own grammar (`flags: WORD '.'`) cannot read back, and its scripts
// write "SE.", so we print that.
std::string format_tcp_flags(std::uint8_t flags, std::uint8_t reserved = 0);

// "<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>", every option in wire order: "eol", "nop",
// "mss N", "wscale N", "sackOK", "sack L:R L:R", "TS val V ecr E", "md5 HEX", "FO", "FO HEX",
// "FOEXP HEX". Anything else (unknown kinds, a known kind with the wrong length) prints as
// "kind K HEX"; an option whose length byte is broken ends the list as "malformed HEX" with the
// rest of the area. An empty area is "<>".
std::string format_tcp_options(const TcpOptions& options);

// "FLAGS SEQ:END(LEN) [ack A] win W [urg U] [<options>]". END is seq + payload length (SYN and
// FIN do not count, as in packetdrill); ack only with ACK set; urg when URG is set or the
// pointer is non-zero; options when the area is not empty.
std::string format_tcp(const TcpRepr& tcp);

// "udp (LEN)", LEN the payload length.
std::string format_udp(const UdpRepr& udp);

}  // namespace synlab::wire
