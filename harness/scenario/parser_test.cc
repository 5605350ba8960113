// The scenario parser on well-formed input: every header, declaration and event form, the
// spec's examples, time resolution, group and repeat expansion.
#include "harness/scenario/parser.h"

#include <gtest/gtest.h>

#include <source_location>
#include <string>

namespace synlab::harness {
namespace {

using sim::Duration;
using sim::Time;

// Two hosts and a link, for tests about events.
constexpr std::string_view kNet =
    "title: t\n"
    "host client 10.0.0.1/24\n"
    "host server 10.0.0.2/24\n"
    "link client server delay 50ms\n";

Scenario parse_ok(std::string_view text,
                  std::source_location where = std::source_location::current()) {
  auto r = parse_scenario(text, "t.scn");
  if (!r) {
    ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line())) << r.error().to_string();
    return {};
  }
  return std::move(r).value();
}

// The events of kNet + `events`.
std::vector<Event> events_of(std::string_view events,
                             std::source_location where = std::source_location::current()) {
  return parse_ok(std::string(kNet) + std::string(events), where).events;
}

template <class T>
const T& body(const Event& e) {
  return std::get<T>(e.body);
}

Time at_ms(std::int64_t ms) {
  return Time::zero() + Duration::millis(ms);
}

std::int64_t int_of(const Expr& e) {
  return std::get<IntExpr>(e.v).value;
}
const SymbolExpr& sym_of(const Expr& e) {
  return std::get<SymbolExpr>(e.v);
}

// The spec's first example, with the times a 50 ms link gives (see the language reference).
TEST(Parser, SpecConnectionRefused) {
  const Scenario s = parse_ok(R"(# Connecting to a closed port
title: Connection refused
about: The client sends a SYN to a port where nothing listens. The server's stack answers
about: with RST, and connect() fails with ECONNREFUSED after one round trip.
seed: 1

host client 10.0.0.1/24
host server 10.0.0.2/24
link client server delay 50ms

0      client: socket(AF_INET, SOCK_STREAM, 0) = 3
+0...0.100 client: connect(3, server:5001) = -1 ECONNREFUSED (Connection refused)
+0     client > server S 0:0(0) win 64240 <mss 1460,sackOK,TS val * ecr 0,nop,wscale 10>
0.050  server > client R. 0:0(0) ack 1 win 0
)");
  EXPECT_EQ(s.title, "Connection refused");
  ASSERT_EQ(s.about.size(), 1u);
  EXPECT_EQ(s.about[0],
            "The client sends a SYN to a port where nothing listens. The server's stack answers "
            "with RST, and connect() fails with ECONNREFUSED after one round trip.");
  EXPECT_EQ(s.seed, 1u);
  ASSERT_EQ(s.declarations.size(), 3u);
  const auto& client = std::get<HostDecl>(s.declarations[0]);
  EXPECT_EQ(client.name, "client");
  ASSERT_EQ(client.addresses.size(), 1u);
  EXPECT_EQ(client.addresses[0].to_string(), "10.0.0.1/24");
  EXPECT_EQ(client.loc.line, 7);
  EXPECT_EQ(client.loc.col, 1);
  EXPECT_EQ(client.loc.file_name(), "t.scn");
  const auto& link = std::get<LinkDecl>(s.declarations[2]);
  EXPECT_EQ(link.name, "client-server");
  EXPECT_EQ(link.options.delay, Duration::millis(50));

  ASSERT_EQ(s.events.size(), 4u);
  const Syscall& sock = body<Syscall>(s.events[0]);
  EXPECT_EQ(sock.host, "client");
  EXPECT_EQ(sock.thread, "main");
  EXPECT_EQ(sock.name, "socket");
  ASSERT_EQ(sock.args.size(), 3u);
  EXPECT_EQ(sym_of(sock.args[0]).name, "AF_INET");
  EXPECT_EQ(sym_of(sock.args[0]).value, 2);
  EXPECT_EQ(int_of(sock.args[2]), 0);
  EXPECT_EQ(int_of(sock.result), 3);
  EXPECT_EQ(sock.args[1].loc.line, 11);
  EXPECT_EQ(sock.args[1].loc.col, 32);

  const Syscall& conn = body<Syscall>(s.events[1]);
  EXPECT_EQ(s.events[1].time.kind, TimeSpec::Kind::kRelative);
  EXPECT_EQ(s.events[1].at, Time::zero());
  EXPECT_EQ(conn.returns_at, at_ms(100));
  EXPECT_EQ(conn.errno_name, "ECONNREFUSED");
  EXPECT_EQ(conn.errno_text, "Connection refused");
  EXPECT_EQ(int_of(conn.result), -1);
  const Address& dst = std::get<AddressExpr>(conn.args[1].v).address;
  EXPECT_EQ(dst.kind, Address::Kind::kHost);
  EXPECT_EQ(dst.host, "server");
  EXPECT_EQ(dst.port.kind, PortSpec::Kind::kNumber);
  EXPECT_EQ(dst.port.number, 5001);

  const PacketPattern& syn = body<ExpectPacket>(s.events[2]).packet;
  EXPECT_EQ(s.events[2].at, Time::zero());
  EXPECT_EQ(syn.src.host, "client");
  EXPECT_EQ(syn.dst.host, "server");
  ASSERT_EQ(syn.kind, PacketPattern::Kind::kTcp);
  const TcpPattern& tcp = std::get<TcpPattern>(syn.detail);
  EXPECT_EQ(tcp.flags.text, "S");
  EXPECT_EQ(tcp.flags.bits, tcp_flag::kSyn);
  ASSERT_TRUE(tcp.seq);
  EXPECT_EQ(tcp.seq->start, 0u);
  EXPECT_EQ(tcp.seq->len, 0u);
  EXPECT_FALSE(tcp.ack);
  EXPECT_EQ(tcp.win, 64240u);
  ASSERT_EQ(tcp.options_mode, TcpPattern::Options::kList);
  ASSERT_EQ(tcp.options.size(), 5u);
  EXPECT_EQ(tcp.options[0].kind, TcpOptionPattern::Kind::kMss);
  EXPECT_EQ(tcp.options[0].value, 1460u);
  EXPECT_EQ(tcp.options[1].kind, TcpOptionPattern::Kind::kSackPermitted);
  EXPECT_EQ(tcp.options[2].kind, TcpOptionPattern::Kind::kTimestamps);
  EXPECT_FALSE(tcp.options[2].ts_val);  // *
  EXPECT_EQ(tcp.options[2].ts_ecr, 0u);
  EXPECT_EQ(tcp.options[3].kind, TcpOptionPattern::Kind::kNop);
  EXPECT_EQ(tcp.options[4].kind, TcpOptionPattern::Kind::kWindowScale);
  EXPECT_EQ(tcp.options[4].value, 10u);

  const TcpPattern& rst = std::get<TcpPattern>(body<ExpectPacket>(s.events[3]).packet.detail);
  EXPECT_EQ(s.events[3].at, at_ms(50));
  EXPECT_EQ(rst.flags.bits, tcp_flag::kRst | tcp_flag::kAck);
  EXPECT_EQ(rst.ack, 1u);
  EXPECT_EQ(rst.win, 0u);
  EXPECT_EQ(rst.options_mode, TcpPattern::Options::kNone);
}

// The spec's repeat example: five clients, each iteration 1 ms after the previous.
TEST(Parser, SpecRepeat) {
  const Scenario s = parse_ok(R"(title: backlog
host server 10.0.0.100/24
host client{1..5} 10.0.0.{11..15}/24
segment lan delay 1ms
attach server lan
attach client{1..5} lan
0 server: socket(AF_INET, SOCK_STREAM, 0) = 3
repeat I = 1..5 every 1ms
  +0 client{I}: socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0) = 3
  +0 client{I}: connect(3, server:7000) = -1 EINPROGRESS
end
+1 note done
)");
  ASSERT_EQ(s.declarations.size(), 1u + 5u + 1u + 1u + 5u);
  for (int i = 0; i < 5; ++i) {
    const auto& h = std::get<HostDecl>(s.declarations[1 + i]);
    EXPECT_EQ(h.name, "client" + std::to_string(i + 1));
    EXPECT_EQ(h.addresses[0].addr.to_string(), "10.0.0." + std::to_string(11 + i));
    EXPECT_EQ(h.loc.line, 3);
    EXPECT_EQ(std::get<AttachDecl>(s.declarations[8 + i]).host, "client" + std::to_string(i + 1));
  }
  ASSERT_EQ(s.events.size(), 1u + 10u + 1u);
  for (int i = 0; i < 5; ++i) {
    const Event& a = s.events[1 + 2 * i];
    const Event& b = s.events[2 + 2 * i];
    EXPECT_EQ(body<Syscall>(a).host, "client" + std::to_string(i + 1));
    EXPECT_EQ(body<Syscall>(a).name, "socket");
    EXPECT_EQ(body<Syscall>(b).name, "connect");
    EXPECT_EQ(a.at, at_ms(i));
    EXPECT_EQ(b.at, at_ms(i));
    EXPECT_EQ(a.loc.line, 9);
    EXPECT_EQ(b.loc.line, 10);
    ASSERT_EQ(a.repeat.size(), 1u);
    EXPECT_EQ(a.repeat[0].name, "I");
    EXPECT_EQ(a.repeat[0].value, i + 1);
    EXPECT_EQ(a.repeat[0].loc.line, 8);
    const auto& flags = std::get<BitOrExpr>(body<Syscall>(a).args[1].v);
    EXPECT_EQ(flags.terms.size(), 2u);
  }
  // After the repeat, relative times count from its last event (4 ms).
  EXPECT_EQ(s.events[11].at, at_ms(1004));
  EXPECT_EQ(body<Note>(s.events[11]).text, "done");
}

TEST(Parser, Header) {
  const Scenario s = parse_ok(
      "title:   A lesson   \n"
      "about: one\n"
      "about: two\n"
      "about:\n"
      "about: three # not a comment\n"
      "seed: 0x10\n"
      "personality: linux-3.11\n"
      "tags: handshake  rst\n"
      "tags: refused\n"
      "expect-failure: expected RST\n");
  EXPECT_EQ(s.title, "A lesson");
  EXPECT_EQ(s.about, (std::vector<std::string>{"one two", "three # not a comment"}));
  EXPECT_EQ(s.seed, 16u);
  EXPECT_EQ(s.personality, "linux-3.11");
  EXPECT_EQ(s.tags, (std::vector<std::string>{"handshake", "rst", "refused"}));
  EXPECT_EQ(s.expect_failure, "expected RST");
  EXPECT_TRUE(s.events.empty());
  EXPECT_EQ(s.path, "t.scn");
}

TEST(Parser, HostDeclarations) {
  const Scenario s = parse_ok(
      "title: t\n"
      "host a 10.0.0.1/24 fd00::1/64 personality linux mtu 9000 unprivileged\n"
      "host b\n"
      "link a b\n");
  const auto& a = std::get<HostDecl>(s.declarations[0]);
  ASSERT_EQ(a.addresses.size(), 2u);
  EXPECT_TRUE(a.addresses[1].addr.is_v6());
  EXPECT_EQ(a.addresses[1].len, 64);
  EXPECT_EQ(a.personality, "linux");
  EXPECT_EQ(a.mtu, 9000);
  EXPECT_TRUE(a.unprivileged);
  const auto& b = std::get<HostDecl>(s.declarations[1]);
  EXPECT_TRUE(b.addresses.empty());
  EXPECT_FALSE(b.personality);
  EXPECT_FALSE(b.unprivileged);
}

TEST(Parser, LinkAndSegmentDeclarations) {
  const Scenario s = parse_ok(
      "title: t\n"
      "host a 10.0.0.1/24\nhost b 10.0.0.2/24\nhost c\n"
      "link wan a b delay 10ms jitter 1ms rate 10Mbit loss 1% duplicate 0.5% reorder 2% gap 5ms "
      "corrupt 0.01% mtu 1400\n"
      "link a b rate 1.5Gbit\n"
      "segment lan delay 100us rate 500kbit\n"
      "attach c lan 192.168.1.3/24 mtu 1280\n"
      "attach a lan\n");
  const auto& wan = std::get<LinkDecl>(s.declarations[3]);
  EXPECT_EQ(wan.name, "wan");
  EXPECT_EQ(wan.a, "a");
  EXPECT_EQ(wan.b, "b");
  EXPECT_EQ(wan.options.delay, Duration::millis(10));
  EXPECT_EQ(wan.options.jitter, Duration::millis(1));
  EXPECT_EQ(wan.options.rate_bps, 10'000'000u);
  EXPECT_DOUBLE_EQ(*wan.options.loss, 0.01);
  EXPECT_DOUBLE_EQ(*wan.options.duplicate, 0.005);
  EXPECT_DOUBLE_EQ(*wan.options.reorder, 0.02);
  EXPECT_EQ(wan.options.reorder_gap, Duration::millis(5));
  EXPECT_DOUBLE_EQ(*wan.options.corrupt, 0.0001);
  EXPECT_EQ(wan.options.mtu, 1400);
  const auto& ab = std::get<LinkDecl>(s.declarations[4]);
  EXPECT_EQ(ab.name, "a-b");
  EXPECT_EQ(ab.options.rate_bps, 1'500'000'000u);
  EXPECT_FALSE(ab.options.delay);
  const auto& lan = std::get<SegmentDecl>(s.declarations[5]);
  EXPECT_EQ(lan.name, "lan");
  EXPECT_EQ(lan.options.delay, Duration::micros(100));
  EXPECT_EQ(lan.options.rate_bps, 500'000u);
  const auto& at = std::get<AttachDecl>(s.declarations[6]);
  EXPECT_EQ(at.host, "c");
  EXPECT_EQ(at.segment, "lan");
  EXPECT_EQ(at.addresses[0].to_string(), "192.168.1.3/24");
  EXPECT_EQ(at.mtu, 1280);
}

TEST(Parser, RouteDeclarations) {
  const Scenario s = parse_ok(
      "title: t\nhost r 10.0.0.1/24\nhost x 10.0.0.2/24\nlink r x\n"
      "route r default via 10.0.0.254\n"
      "route r default via fd00::1 dev eth0\n"
      "route r 192.168.0.0/16 dev eth1 src 10.0.0.1 metric 10\n"
      "route r unreachable 172.16.0.0/12\n"
      "route r prohibit 10.9.9.9 metric 3\n"
      "route r blackhole default\n"
      "route r throw fd00:1::/32\n"
      "host y\nlink y r\n");  // r's eth1, declared after the route that uses it
  auto route = [&](int i) { return std::get<RouteDecl>(s.declarations[3 + i]); };
  EXPECT_TRUE(route(0).dest_default);
  EXPECT_EQ(route(0).dest.to_string(), "0.0.0.0/0");
  EXPECT_EQ(route(0).via->to_string(), "10.0.0.254");
  EXPECT_EQ(route(0).type, RouteDecl::Type::kUnicast);
  EXPECT_EQ(route(1).dest.to_string(), "::/0");
  EXPECT_EQ(route(1).dev, "eth0");
  EXPECT_EQ(route(2).dest.to_string(), "192.168.0.0/16");
  EXPECT_EQ(route(2).src->to_string(), "10.0.0.1");
  EXPECT_EQ(route(2).metric, 10u);
  EXPECT_EQ(route(3).type, RouteDecl::Type::kUnreachable);
  EXPECT_EQ(route(4).type, RouteDecl::Type::kProhibit);
  EXPECT_EQ(route(4).dest.to_string(), "10.9.9.9/32");
  EXPECT_EQ(route(4).metric, 3u);
  EXPECT_EQ(route(5).type, RouteDecl::Type::kBlackhole);
  EXPECT_TRUE(route(5).dest_default);
  EXPECT_EQ(route(6).type, RouteDecl::Type::kThrow);
}

TEST(Parser, SysctlFilterAndPacketPolicy) {
  const Scenario s = parse_ok(
      "title: t\nhost a 10.0.0.1/24\nhost b 10.0.0.2/24\nlink a b\n"
      "sysctl a net.ipv4.tcp_syn_retries = 2\n"
      "sysctl * net.ipv4.tcp_rmem = 4096 131072 6291456   # three numbers\n"
      "sysctl b /proc/sys/net/ipv4/tcp_abort_on_overflow=1\n"
      "filter b input tcp dport 80 flags S drop\n"
      "filter b input tcp src 10.0.0.0/24 dport 81 reject with tcp-reset\n"
      "filter b forward icmp dst 10.0.0.1 reject with icmp unreachable host_prohibited\n"
      "filter b output udp sport 53 reject\n"
      "filter a input tcp flags S/S. accept\n"
      "filter a input reject with icmpv6 unreachable admin_prohibited\n"
      "packets strict\n"
      "packets ignore a, b > * tcp\n"
      "packets ignore * > b\n");
  const auto& s1 = std::get<SysctlDecl>(s.declarations[3]);
  EXPECT_EQ(s1.host, "a");
  EXPECT_EQ(s1.name, "net.ipv4.tcp_syn_retries");
  EXPECT_EQ(s1.value, "2");
  const auto& s2 = std::get<SysctlDecl>(s.declarations[4]);
  EXPECT_EQ(s2.host, "*");
  EXPECT_EQ(s2.value, "4096 131072 6291456");
  EXPECT_EQ(std::get<SysctlDecl>(s.declarations[5]).value, "1");

  const auto& f1 = std::get<FilterDecl>(s.declarations[6]);
  EXPECT_EQ(f1.host, "b");
  EXPECT_EQ(f1.chain, FilterDecl::Chain::kInput);
  EXPECT_EQ(f1.protocol, FilterDecl::Protocol::kTcp);
  EXPECT_EQ(f1.dport, 80);
  EXPECT_EQ(f1.tcp_flags_value, tcp_flag::kSyn);
  EXPECT_EQ(f1.tcp_flags_mask, 0xff);
  EXPECT_EQ(f1.verdict, FilterDecl::Verdict::kDrop);
  EXPECT_EQ(f1.text, "input tcp dport 80 flags S drop");
  const auto& f2 = std::get<FilterDecl>(s.declarations[7]);
  EXPECT_EQ(f2.src->to_string(), "10.0.0.0/24");
  EXPECT_EQ(f2.verdict, FilterDecl::Verdict::kReject);
  EXPECT_EQ(f2.reject_with, FilterDecl::RejectWith::kTcpReset);
  const auto& f3 = std::get<FilterDecl>(s.declarations[8]);
  EXPECT_EQ(f3.chain, FilterDecl::Chain::kForward);
  EXPECT_EQ(f3.dst->to_string(), "10.0.0.1/32");
  EXPECT_EQ(f3.reject_with, FilterDecl::RejectWith::kIcmp);
  EXPECT_EQ(f3.icmp_type, 3);
  EXPECT_EQ(f3.icmp_code, 10);
  const auto& f4 = std::get<FilterDecl>(s.declarations[9]);
  EXPECT_EQ(f4.chain, FilterDecl::Chain::kOutput);
  EXPECT_EQ(f4.sport, 53);
  EXPECT_EQ(f4.reject_with, FilterDecl::RejectWith::kDefault);
  const auto& f5 = std::get<FilterDecl>(s.declarations[10]);
  EXPECT_EQ(f5.tcp_flags_value, tcp_flag::kSyn);
  EXPECT_EQ(f5.tcp_flags_mask, tcp_flag::kSyn | tcp_flag::kAck);
  EXPECT_EQ(f5.verdict, FilterDecl::Verdict::kAccept);
  const auto& f6 = std::get<FilterDecl>(s.declarations[11]);
  EXPECT_EQ(f6.reject_with, FilterDecl::RejectWith::kIcmpv6);
  EXPECT_EQ(f6.icmp_type, 1);
  EXPECT_EQ(f6.icmp_code, 1);

  EXPECT_EQ(std::get<PacketPolicyDecl>(s.declarations[12]).mode, PacketPolicyDecl::Mode::kStrict);
  const auto& p2 = std::get<PacketPolicyDecl>(s.declarations[13]);
  EXPECT_EQ(p2.mode, PacketPolicyDecl::Mode::kIgnore);
  EXPECT_EQ(p2.from, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p2.to, (std::vector<std::string>{"*"}));
  EXPECT_EQ(p2.kind, PacketPolicyDecl::Kind::kTcp);
  EXPECT_EQ(std::get<PacketPolicyDecl>(s.declarations[14]).kind, PacketPolicyDecl::Kind::kAll);
}

TEST(Parser, TimeForms) {
  const auto ev = events_of(
      "0 note a\n"
      "100ms note b\n"
      "+.05 note c\n"
      "+1s note d\n"
      "* client > server S\n"
      "1.2~1.3 client > server S\n"
      "+0~+0.04 client > server S\n"
      "+0 ~ +5ms client > server S\n"
      "1.25...1.5 client: connect(3, server:80) = 0\n"
      "+0...+250ms client.t2: accept(3) = 4\n"
      "1.5 note e\n"
      "+1500us note f\n"
      "+0.000000001 note g\n");
  ASSERT_EQ(ev.size(), 13u);
  EXPECT_EQ(ev[0].at, Time::zero());
  EXPECT_EQ(ev[0].time.kind, TimeSpec::Kind::kAbsolute);
  EXPECT_EQ(ev[1].at, at_ms(100));
  EXPECT_EQ(ev[2].at, at_ms(150));
  EXPECT_EQ(ev[2].time.kind, TimeSpec::Kind::kRelative);
  EXPECT_EQ(ev[2].time.value, Duration::millis(50));
  EXPECT_EQ(ev[3].at, at_ms(1150));
  EXPECT_EQ(ev[4].time.kind, TimeSpec::Kind::kAny);
  EXPECT_EQ(ev[4].at, at_ms(1150));
  EXPECT_EQ(ev[4].latest, Time::max());
  EXPECT_EQ(ev[5].time.kind, TimeSpec::Kind::kRange);
  EXPECT_FALSE(ev[5].time.range_relative);
  EXPECT_EQ(ev[5].at, at_ms(1200));
  EXPECT_EQ(ev[5].latest, at_ms(1300));
  EXPECT_TRUE(ev[6].time.range_relative);
  EXPECT_EQ(ev[6].at, at_ms(1200));  // a window's start is the base of the next relative time
  EXPECT_EQ(ev[6].latest, at_ms(1240));
  EXPECT_EQ(ev[7].latest, at_ms(1205));
  EXPECT_EQ(ev[8].at, at_ms(1250));
  EXPECT_EQ(body<Syscall>(ev[8]).returns_at, at_ms(1500));
  EXPECT_FALSE(ev[8].time.end->relative);
  EXPECT_EQ(ev[9].at, at_ms(1250));  // a blocking call's start is the base, not its end
  EXPECT_EQ(body<Syscall>(ev[9]).returns_at, at_ms(1500));
  EXPECT_TRUE(ev[9].time.end->relative);
  EXPECT_EQ(body<Syscall>(ev[9]).thread, "t2");
  EXPECT_EQ(ev[10].at, at_ms(1500));
  EXPECT_EQ(ev[11].at.ns(), 1'501'500'000);
  EXPECT_EQ(ev[12].at.ns(), 1'501'500'001);
}

TEST(Parser, SyscallArguments) {
  const auto ev = events_of(
      "0 client: setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n"
      "+0 client: setsockopt(3, SOL_SOCKET, SO_RCVTIMEO, {tv_sec=0, tv_usec=100000}) = 0\n"
      "+0 client: setsockopt(3, SOL_SOCKET, SO_BINDTODEVICE, \"eth0\\x00\") = 0\n"
      "+0 client: getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0\n"
      "+0 client: fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
      "+0 client: fcntl(3, F_GETFL) = 0x802 (flags O_RDWR|O_NONBLOCK)\n"
      "+0 client: connect(3, addr(10.0.0.2:80, len=15)) = -1 EINVAL\n"
      "+0 client: connect(3, addr(NULL, len=16)) = -1 EFAULT\n"
      "+0 client: connect(3, addr([fd00::2]:80, family=AF_INET6, len=28)) = -1 EINVAL\n"
      "+0 client: connect(3, BAD) = -1 EFAULT\n"
      "+0 client: connect(3, AF_UNSPEC) = 0\n"
      "+0 client: connect(3, [fe80::2%2]:8080) = -1 EHOSTUNREACH\n"
      "+0 client: getsockname(3) = 10.0.0.1:*\n"
      "+0 client: write(3, ..., 1000) = 1000\n"
      "+0 client: read(3, 5) = \"hello\"\n"
      "+0 client: recv(3, 10, MSG_PEEK|MSG_DONTWAIT) = *\n"
      "+0 client: socket_connect6(3, fd00::2, 80, 0) = -1 EINPROGRESS\n"
      "+0 client: pipe() = [5, 6]\n"
      "+0 client: accept(3, ..., ...) = 4\n"
      "+0 client: poll([{fd=3, events=POLLOUT, revents=POLLOUT}], 1, 100ms) = 1\n"
      "+0 client:shutdown(3, SHUT_WR) = 0\n");
  ASSERT_EQ(ev.size(), 21u);
  const auto& linger = std::get<StructExpr>(body<Syscall>(ev[0]).args[3].v);
  ASSERT_EQ(linger.fields.size(), 2u);
  EXPECT_EQ(linger.fields[0].name, "onoff");
  EXPECT_EQ(int_of(linger.fields[1].value), 0);
  EXPECT_EQ(std::get<StringExpr>(body<Syscall>(ev[2]).args[3].v).bytes, std::string("eth0\0", 5));
  const auto& list = std::get<ListExpr>(body<Syscall>(ev[3]).args[3].v);
  EXPECT_EQ(sym_of(list.items[0]).value, 111);
  const auto& flags = std::get<BitOrExpr>(body<Syscall>(ev[4]).args[2].v);
  EXPECT_EQ(sym_of(flags.terms[1]).name, "O_NONBLOCK");
  EXPECT_EQ(sym_of(flags.terms[1]).value, 04000);
  EXPECT_EQ(int_of(body<Syscall>(ev[5]).result), 0x802);
  EXPECT_EQ(body<Syscall>(ev[5]).errno_text, "flags O_RDWR|O_NONBLOCK");
  const auto& raw = std::get<RawAddrExpr>(body<Syscall>(ev[6]).args[1].v);
  ASSERT_TRUE(raw.address);
  EXPECT_EQ(raw.address->ip.to_string(), "10.0.0.2");
  EXPECT_EQ(raw.address->host, "server");  // the owner of a literal is recorded
  EXPECT_EQ(raw.len, 15);
  const auto& null = std::get<RawAddrExpr>(body<Syscall>(ev[7]).args[1].v);
  EXPECT_FALSE(null.address);
  EXPECT_EQ(null.pointer, PointerExpr::Kind::kNull);
  const auto& fam = std::get<RawAddrExpr>(body<Syscall>(ev[8]).args[1].v);
  EXPECT_EQ(fam.family, 10);
  EXPECT_EQ(fam.len, 28);
  EXPECT_EQ(std::get<PointerExpr>(body<Syscall>(ev[9]).args[1].v).kind, PointerExpr::Kind::kBad);
  EXPECT_EQ(sym_of(body<Syscall>(ev[10]).args[1]).name, "AF_UNSPEC");
  const Address& scoped = std::get<AddressExpr>(body<Syscall>(ev[11]).args[1].v).address;
  EXPECT_EQ(scoped.ip.to_string(), "fe80::2");
  EXPECT_EQ(scoped.scope_id, 2u);
  EXPECT_EQ(scoped.port.number, 8080);
  const Address& pattern = std::get<AddressExpr>(body<Syscall>(ev[12]).result.v).address;
  EXPECT_EQ(pattern.port.kind, PortSpec::Kind::kAny);
  EXPECT_EQ(pattern.host, "client");
  EXPECT_TRUE(std::holds_alternative<EllipsisExpr>(body<Syscall>(ev[13]).args[1].v));
  EXPECT_EQ(std::get<StringExpr>(body<Syscall>(ev[14]).result.v).bytes, "hello");
  EXPECT_TRUE(std::holds_alternative<WildcardExpr>(body<Syscall>(ev[15]).result.v));
  const Address& bare6 = std::get<AddressExpr>(body<Syscall>(ev[16]).args[1].v).address;
  EXPECT_EQ(bare6.ip.to_string(), "fd00::2");
  EXPECT_EQ(bare6.port.kind, PortSpec::Kind::kNone);
  EXPECT_EQ(std::get<ListExpr>(body<Syscall>(ev[17]).result.v).items.size(), 2u);
  EXPECT_EQ(body<Syscall>(ev[18]).args.size(), 3u);
  const auto& fds = std::get<ListExpr>(body<Syscall>(ev[19]).args[0].v);
  const auto& pfd = std::get<StructExpr>(fds.items[0].v);
  EXPECT_EQ(pfd.fields[2].name, "revents");
  EXPECT_EQ(std::get<DurationExpr>(body<Syscall>(ev[19]).args[2].v).value, Duration::millis(100));
  EXPECT_EQ(body<Syscall>(ev[20]).name, "shutdown");
}

TEST(Parser, ErrnoAliasesAreCanonical) {
  const auto ev =
      events_of("0 client: read(3, 1) = -1 EWOULDBLOCK (Resource temporarily unavailable)\n");
  EXPECT_EQ(body<Syscall>(ev[0]).errno_name, "EAGAIN");
}

TEST(Parser, TcpPackets) {
  const auto ev = events_of(
      "0 client:40000 > server:80 S. 0:0(0) ack 1 win 65160 <mss 1460,nop,nop,sackOK,nop,wscale "
      "7>\n"
      "+0 client > server P. 1:1001(1000) ack 1 urg 3 <...>\n"
      "+0 client > server . 1:1(0) ack 1 <>\n"
      "+0 client > 10.0.0.2:* - \n"
      "+0 10.0.0.1 > server FPUEWA.\n"
      "+0 client > server S 0:0(0) <FO, FOEXP *, FO abcd1234, sack 1:2 3:4, eol, kind 30 0102, md5 "
      "*, "
      "mss *, wscale *, TS val 1 ecr *>\n"
      "+0 client > server . 4294967295:9(10)\n");
  const auto tcp = [&](int i) {
    return std::get<TcpPattern>(body<ExpectPacket>(ev[i]).packet.detail);
  };
  const PacketPattern& p0 = body<ExpectPacket>(ev[0]).packet;
  EXPECT_EQ(p0.src.port.number, 40000);
  EXPECT_EQ(p0.dst.port.number, 80);
  EXPECT_EQ(tcp(0).flags.bits, tcp_flag::kSyn | tcp_flag::kAck);
  EXPECT_EQ(tcp(0).ack, 1u);
  EXPECT_EQ(tcp(0).options.size(), 6u);
  EXPECT_EQ(tcp(1).seq->end, 1001u);
  EXPECT_EQ(tcp(1).urg, 3u);
  EXPECT_FALSE(tcp(1).win);
  EXPECT_EQ(tcp(1).options_mode, TcpPattern::Options::kAny);
  EXPECT_EQ(tcp(2).options_mode, TcpPattern::Options::kList);
  EXPECT_TRUE(tcp(2).options.empty());
  EXPECT_EQ(tcp(3).flags.bits, 0);
  EXPECT_EQ(tcp(3).flags.text, "-");
  EXPECT_TRUE(tcp(3).flags.none);
  EXPECT_FALSE(tcp(2).flags.none);
  EXPECT_EQ(body<ExpectPacket>(ev[3]).packet.dst.port.kind, PortSpec::Kind::kAny);
  EXPECT_FALSE(tcp(3).seq);
  EXPECT_EQ(tcp(4).flags.bits, 0xff & ~tcp_flag::kSyn & ~tcp_flag::kRst);
  EXPECT_TRUE(tcp(4).flags.ae);
  EXPECT_EQ(body<ExpectPacket>(ev[4]).packet.src.host, "client");
  const auto opts = tcp(5).options;
  ASSERT_EQ(opts.size(), 10u);
  EXPECT_EQ(opts[0].kind, TcpOptionPattern::Kind::kFastOpen);
  EXPECT_EQ(opts[0].kind_number, 34);
  EXPECT_EQ(opts[0].data, std::vector<std::uint8_t>{});
  EXPECT_EQ(opts[1].kind, TcpOptionPattern::Kind::kFastOpenExp);
  EXPECT_EQ(opts[1].kind_number, 254);
  EXPECT_FALSE(opts[1].data);
  EXPECT_EQ(opts[2].data, (std::vector<std::uint8_t>{0xab, 0xcd, 0x12, 0x34}));
  ASSERT_EQ(opts[3].sack.size(), 2u);
  EXPECT_EQ(opts[3].sack[1], std::make_pair(3u, 4u));
  EXPECT_EQ(opts[4].kind, TcpOptionPattern::Kind::kEol);
  EXPECT_EQ(opts[5].kind_number, 30);
  EXPECT_EQ(opts[5].data, (std::vector<std::uint8_t>{1, 2}));
  EXPECT_EQ(opts[6].kind, TcpOptionPattern::Kind::kMd5);
  EXPECT_FALSE(opts[7].value);
  EXPECT_FALSE(opts[8].value);
  EXPECT_EQ(opts[9].ts_val, 1u);
  EXPECT_FALSE(opts[9].ts_ecr);
  EXPECT_EQ(opts[9].loc.col, 113);
  EXPECT_EQ(tcp(6).seq->len, 10u);  // wraps
}

TEST(Parser, UdpIcmpArpPackets) {
  const auto ev = events_of(
      "0 client > server udp (100)\n"
      "+0 client > server udp\n"
      "+0 server > client icmp unreachable port_unreachable\n"
      "+0 server > client icmp unreachable frag_needed mtu 1400 [1:1001(1000)]\n"
      "+0 server > client icmp time_exceeded\n"
      "+0 server > client icmp type_42 code_7\n"
      "+0 server > client icmpv6 packet_too_big mtu 1280\n"
      "+0 server > client icmpv6 unreachable address_unreachable\n"
      "+0 client > * arp who-has 10.0.0.2 tell 10.0.0.1\n"
      "+0 server > client arp reply 10.0.0.2\n");
  const auto& u0 = std::get<UdpPattern>(body<ExpectPacket>(ev[0]).packet.detail);
  EXPECT_EQ(u0.len, 100u);
  EXPECT_FALSE(std::get<UdpPattern>(body<ExpectPacket>(ev[1]).packet.detail).len);
  auto icmp = [&](int i) { return std::get<IcmpPattern>(body<ExpectPacket>(ev[i]).packet.detail); };
  EXPECT_EQ(icmp(2).type, 3);
  EXPECT_EQ(icmp(2).code, 3);
  EXPECT_EQ(icmp(2).code_name, "port_unreachable");
  EXPECT_EQ(icmp(3).code, 4);
  EXPECT_EQ(icmp(3).mtu, 1400u);
  EXPECT_EQ(icmp(3).quoted_seq->end, 1001u);
  EXPECT_EQ(icmp(4).type, 11);
  EXPECT_EQ(icmp(4).code, 0);
  EXPECT_TRUE(icmp(4).code_name.empty());
  EXPECT_EQ(icmp(5).type, 42);
  EXPECT_EQ(icmp(5).code, 7);
  EXPECT_TRUE(icmp(6).v6);
  EXPECT_EQ(body<ExpectPacket>(ev[6]).packet.kind, PacketPattern::Kind::kIcmpv6);
  EXPECT_EQ(body<ExpectPacket>(ev[2]).packet.kind, PacketPattern::Kind::kIcmp);
  EXPECT_EQ(icmp(6).type, 2);
  EXPECT_EQ(icmp(7).code, 3);
  const PacketPattern& arp = body<ExpectPacket>(ev[8]).packet;
  EXPECT_EQ(arp.kind, PacketPattern::Kind::kArp);
  EXPECT_EQ(arp.dst.kind, Address::Kind::kAnyHost);
  const auto& a = std::get<ArpPattern>(arp.detail);
  EXPECT_EQ(a.op, ArpPattern::Op::kRequest);
  EXPECT_EQ(a.target->to_string(), "10.0.0.2");
  EXPECT_EQ(a.sender->to_string(), "10.0.0.1");
  EXPECT_EQ(std::get<ArpPattern>(body<ExpectPacket>(ev[9]).packet.detail).op,
            ArpPattern::Op::kReply);
}

TEST(Parser, FaultsSignalsInjectAndChecks) {
  const auto ev = events_of(
      "0 client.worker: connect(3, server:80) = 0\n"
      "+0 link client-server down\n"
      "+1 link client-server up\n"
      "+0 link client-server delay 10ms loss 5%\n"
      "+0 partition client | server\n"
      "+0 heal\n"
      "+0 drop next 2 server > client S. on client-server\n"
      "+0 drop next 1 * > server\n"
      "+0 signal client.worker SIGALRM restart\n"
      "+0 signal client.worker SIGINT\n"
      "+0 inject server:80 > client:40000 R. 1:1(0) ack 1 win 0\n"
      "+0 inject server > client raw \"45 00 00 14 00 00 00 00 40 06 00 00 0a000002 0a000001\"\n"
      "+0 inject server > client S 0:0(0) win 1000 <mss 1460,TS val 5 ecr 0>\n"
      "+0 inject server > client udp (8)\n"
      "+0 expect client fd 3 state SYN_SENT\n"
      "+0 expect client fd 3 poll POLLOUT|POLLERR\n"
      "+0 expect server counter ListenOverflows == 3\n"
      "+0 expect server counter TcpActiveOpens >= 1\n"
      "+0 expect server drops TCP_LISTEN_OVERFLOW < 4\n"
      "+0 note the server drops the SYN # not a comment\n"
      "2 end\n");
  ASSERT_EQ(ev.size(), 21u);
  EXPECT_EQ(body<Syscall>(ev[0]).thread, "worker");
  EXPECT_FALSE(body<LinkUpDown>(ev[1]).up);
  EXPECT_TRUE(body<LinkUpDown>(ev[2]).up);
  EXPECT_EQ(ev[2].at, at_ms(1000));
  const auto& change = body<LinkChange>(ev[3]);
  EXPECT_EQ(change.link, "client-server");
  EXPECT_EQ(change.options.delay, Duration::millis(10));
  EXPECT_DOUBLE_EQ(*change.options.loss, 0.05);
  EXPECT_FALSE(change.options.jitter);
  const auto& part = body<Partition>(ev[4]);
  EXPECT_EQ(part.groups, (std::vector<std::vector<std::string>>{{"client"}, {"server"}}));
  EXPECT_TRUE(std::holds_alternative<Heal>(ev[5].body));
  const auto& drop = body<DropNext>(ev[6]);
  EXPECT_EQ(drop.count, 2);
  EXPECT_EQ(drop.link, "client-server");
  EXPECT_EQ(std::get<TcpPattern>(drop.pattern.detail).flags.text, "S.");
  const auto& drop_any = body<DropNext>(ev[7]);
  EXPECT_EQ(drop_any.pattern.kind, PacketPattern::Kind::kAny);
  EXPECT_EQ(drop_any.pattern.src.kind, Address::Kind::kAnyHost);
  const auto& sig = body<Signal>(ev[8]);
  EXPECT_EQ(sig.thread, "worker");
  EXPECT_EQ(sig.number, 14);
  EXPECT_TRUE(sig.restart);
  EXPECT_FALSE(body<Signal>(ev[9]).restart);
  const auto& rst = body<Inject>(ev[10]);
  EXPECT_FALSE(rst.raw);
  EXPECT_EQ(rst.packet.src.port.number, 80);
  const auto& raw = body<Inject>(ev[11]);
  ASSERT_TRUE(raw.raw);
  EXPECT_EQ(raw.raw->size(), 20u);
  EXPECT_EQ((*raw.raw)[0], 0x45);
  EXPECT_EQ((*raw.raw)[19], 0x01);
  EXPECT_EQ(std::get<TcpPattern>(body<Inject>(ev[12]).packet.detail).options.size(), 2u);
  const auto& st = body<Expect>(ev[14]);
  EXPECT_EQ(st.kind, Expect::Kind::kFdState);
  EXPECT_EQ(st.fd, 3);
  EXPECT_EQ(st.name, "SYN_SENT");
  const auto& poll = body<Expect>(ev[15]);
  EXPECT_EQ(poll.kind, Expect::Kind::kFdPoll);
  EXPECT_EQ(poll.value, 0x4 | 0x8);
  EXPECT_EQ(poll.value_text, "POLLOUT|POLLERR");
  const auto& c = body<Expect>(ev[16]);
  EXPECT_EQ(c.kind, Expect::Kind::kCounter);
  EXPECT_EQ(c.op, CompareOp::kEq);
  EXPECT_EQ(c.value, 3);
  EXPECT_EQ(body<Expect>(ev[17]).op, CompareOp::kGe);
  const auto& d = body<Expect>(ev[18]);
  EXPECT_EQ(d.kind, Expect::Kind::kDrops);
  EXPECT_EQ(d.op, CompareOp::kLt);
  EXPECT_EQ(body<Note>(ev[19]).text, "the server drops the SYN # not a comment");
  EXPECT_TRUE(std::holds_alternative<End>(ev[20].body));
  EXPECT_EQ(ev[20].at, at_ms(2000));
}

TEST(Parser, LinesContinueInsideBracketsAndAfterBackslash) {
  const auto ev = events_of(
      "0 client: poll([{fd=4,\n"
      "                 events=POLLIN|POLLOUT,   // a comment inside\n"
      "                 revents=POLLOUT}], 1, 100) = 1\n"
      "+0 client > server S 0:0(0) <mss 1460,\n"
      "     sackOK> /* block\n"
      "   comment */\n"
      "+0 client: connect(3, \\\n"
      "   server:80) = 0\n");
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[1].loc.line, 8);
  EXPECT_EQ(std::get<TcpPattern>(body<ExpectPacket>(ev[1]).packet.detail).options.size(), 2u);
  EXPECT_EQ(ev[2].loc.line, 11);
}

TEST(Parser, PacketdrillLinesPaste) {
  const auto ev = events_of(
      "0 client: socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 client: setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
      "+0 client: bind(3, ..., ...) = 0\n"
      "+0 client: sendto(3, ..., 1000, MSG_FASTOPEN, ..., ...) = -1 EINPROGRESS (Operation is now "
      "in progress)\n"
      "+0 client: read(4, ..., 1000) = -1 EPIPE(Broken Pipe)\n"
      "+0 client: getsockopt(4, SOL_TCP, TCP_MAXSEG, [1100], [4]) = 0\n");
  EXPECT_EQ(body<Syscall>(ev[4]).errno_name, "EPIPE");
  EXPECT_EQ(body<Syscall>(ev[4]).errno_text, "Broken Pipe");
}

TEST(Parser, GroupExpansion) {
  const Scenario s = parse_ok(
      "title: t\n"
      "host server 10.0.0.1/24\n"
      "host c{08..10} 10.0.0.{8..10}/24 fd00::{1..3}/64\n"
      "link c{08..10} server delay {1..3}ms\n"
      "sysctl c{08..10} net.ipv4.tcp_syn_retries = {1..3}\n"
      "host down{3..1}\n");
  ASSERT_EQ(s.declarations.size(), 1u + 3u + 3u + 3u + 3u);
  EXPECT_EQ(std::get<HostDecl>(s.declarations[1]).name, "c08");
  EXPECT_EQ(std::get<HostDecl>(s.declarations[3]).name, "c10");
  EXPECT_EQ(std::get<HostDecl>(s.declarations[3]).addresses[1].addr.to_string(), "fd00::3");
  EXPECT_EQ(std::get<LinkDecl>(s.declarations[4]).name, "c08-server");
  EXPECT_EQ(std::get<LinkDecl>(s.declarations[6]).options.delay, Duration::millis(3));
  EXPECT_EQ(std::get<SysctlDecl>(s.declarations[8]).value, "2");
  EXPECT_EQ(std::get<HostDecl>(s.declarations[10]).name, "down3");
  EXPECT_EQ(std::get<HostDecl>(s.declarations[12]).name, "down1");
}

TEST(Parser, RepeatIterationsOverlapAndMergeByTime) {
  const auto ev = events_of(
      "0 note start\n"
      "repeat I = 1..3 every 1ms\n"
      "  +0 note a{I}\n"
      "  +2ms note b{I}\n"
      "end\n"
      "+0 note after\n");
  std::vector<std::string> order;
  for (const Event& e : ev)
    order.push_back(body<Note>(e).text + "@" + std::to_string(e.at.ns() / 1'000'000));
  EXPECT_EQ(order, (std::vector<std::string>{"start@0", "a1@0", "a2@1", "b1@2", "a3@2", "b2@3",
                                             "b3@4", "after@4"}));
}

TEST(Parser, NestedRepeatWithTime) {
  const auto ev = events_of(
      "0 note start\n"
      "0.5 repeat I = 1..2 every 100ms\n"
      "  repeat J = 0..1 every 10ms\n"
      "    +0 client: socket(AF_INET, SOCK_DGRAM, 0) = {I}{J}\n"
      "  end\n"
      "end\n");
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(int_of(body<Syscall>(ev[1]).result), 10);
  EXPECT_EQ(ev[1].at, at_ms(500));
  EXPECT_EQ(int_of(body<Syscall>(ev[2]).result), 11);
  EXPECT_EQ(ev[2].at, at_ms(510));
  EXPECT_EQ(int_of(body<Syscall>(ev[3]).result), 20);
  EXPECT_EQ(ev[3].at, at_ms(600));
  ASSERT_EQ(ev[4].repeat.size(), 2u);
  EXPECT_EQ(ev[4].repeat[0].value, 2);
  EXPECT_EQ(ev[4].repeat[1].value, 1);
  EXPECT_EQ(ev[4].loc.line, 8);
  EXPECT_EQ(ev[4].loc.col, 5);
}

TEST(Parser, RepeatVariableInNotesAndAddresses) {
  const Scenario s = parse_ok(
      "title: t\nhost s 10.0.0.1/24\nhost c{1..2} 10.0.0.{2..3}/24\nlink c{1..2} s\n"
      "0 note go\n"
      "repeat N = 1..2\n"
      "  +0 c{N}: connect(3, 10.0.0.1:70{N}) = 0\n"
      "  +0 note client {N} of 2\n"
      "end\n");
  EXPECT_EQ(std::get<AddressExpr>(body<Syscall>(s.events[3]).args[1].v).address.port.number, 702);
  EXPECT_EQ(body<Note>(s.events[4]).text, "client 2 of 2");
}

TEST(Parser, FirstEventMayBeRelativeZero) {
  const auto ev = events_of("+0 note first\n");
  EXPECT_EQ(ev[0].at, Time::zero());
}

TEST(Parser, ParsesFromAFile) {
  auto r = parse_scenario_file("/nonexistent/x.scn");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string().rfind("/nonexistent/x.scn: error: cannot read the file", 0), 0u);
}

TEST(Parser, ByteOrderMarkAndCrlf) {
  const Scenario s = parse_ok("\xEF\xBB\xBFtitle: t\r\nhost a\r\n");
  EXPECT_EQ(s.title, "t");
  EXPECT_EQ(std::get<HostDecl>(s.declarations[0]).loc.line, 2);
}

// Per-personality lines: `[NAME]` keeps a line for that personality (and its NAME-* variants),
// and relative times resolve along the lines each personality runs.
TEST(Parser, PersonalityPrefixSelectsLinesAndResolvesTimesPerPersonality) {
  const Scenario s = parse_ok(std::string(kNet) +
                              "0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
                              "[linux] +1 note linux only\n"
                              "[bsd] +2 note bsd only\n"
                              "+0 note both\n"
                              "[linux,bsd] +0.5 note listed\n");
  EXPECT_TRUE(s.has_personality_lines);
  // Default (linux): 0, 1 (linux only), 1 (both), 1.5.
  ASSERT_EQ(s.events.size(), 4u);
  EXPECT_EQ(std::get<Note>(s.events[1].body).text, "linux only");
  EXPECT_EQ(s.events[1].personalities, std::vector<std::string>{"linux"});
  EXPECT_EQ(s.events[2].at, sim::Time::zero() + sim::Duration::seconds(1));
  EXPECT_EQ(s.events[3].at, sim::Time::zero() + sim::Duration::millis(1500));
  // bsd: the +0 counts from the bsd line at 2 s, not from the linux line.
  ASSERT_TRUE(s.events_for.count("bsd"));
  const auto& b = s.events_for.at("bsd");
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(std::get<Note>(b[1].body).text, "bsd only");
  EXPECT_EQ(b[2].at, sim::Time::zero() + sim::Duration::seconds(2));
  EXPECT_EQ(b[3].at, sim::Time::zero() + sim::Duration::millis(2500));
  // linux-3.11 is a variant of linux: it takes the [linux] lines.
  const auto& old = s.events_for.at("linux-3.11");
  ASSERT_EQ(old.size(), 4u);
  EXPECT_EQ(std::get<Note>(old[1].body).text, "linux only");
  EXPECT_EQ(&events_for_run(s, std::string("bsd")), &b);
  EXPECT_EQ(&events_for_run(s, std::nullopt), &s.events);
}

TEST(Parser, PersonalityPrefixFollowsTheHostsPersonality) {
  const Scenario s = parse_ok(
      "title: t\nhost client 10.0.0.1/24 personality bsd\nhost server 10.0.0.2/24\n"
      "link client server\n"
      "0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
      "[bsd] +0 client: socket(AF_INET, SOCK_STREAM, 0) = 4\n"
      "[bsd] +0 server: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
      "[linux] +0 server: socket(AF_INET, SOCK_STREAM, 0) = 3\n");
  ASSERT_EQ(s.events.size(), 3u);
  EXPECT_EQ(std::get<Syscall>(s.events[1].body).host, "client");
  EXPECT_EQ(s.events[2].loc.line, 8);
}

TEST(Parser, PersonalityPrefixErrors) {
  auto bad = parse_scenario(std::string(kNet) + "0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
                                                "[bds] +0 note x\n",
                            "t.scn");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().line, 6);
  EXPECT_EQ(bad.error().col, 2);
  EXPECT_NE(bad.error().message.find("unknown personality 'bds' in a line prefix; did you mean 'bsd'?"),
            std::string::npos)
      << bad.error().message;
  // Times must not go backwards along each personality's own lines.
  auto back = parse_scenario(std::string(kNet) + "0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
                                                 "[bsd] 5 note late\n"
                                                 "2 note early\n",
                             "t.scn");
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().line, 7);
  EXPECT_NE(back.error().message.find("personality bsd"), std::string::npos) << back.error().message;
  EXPECT_FALSE(parse_scenario(std::string(kNet) + "[bsd] 0 repeat I = 1..2\n  +0 note x\nend\n", "t.scn"));
}

}  // namespace
}  // namespace synlab::harness
