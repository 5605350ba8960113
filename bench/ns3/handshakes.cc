// bench/ns3/handshakes.cc: the ns-3 half of `./dev bench --vs-ns3` (issue 7).
//
// The same workload as synlab's scale runner in `--mode accept`: two nodes joined by one
// point-to-point link (10 Gbit/s, 50 us one-way delay, no loss). The server node has one TCP
// listener on port 8080 that accepts everything; the client node opens N TCP sockets, socket i
// calling connect() at simulated time i microseconds. Every connection stays open. The run stops
// as soon as N connections are established on both sides (N connect-succeeded callbacks on the
// client and N accept callbacks on the server), or at a generous simulated deadline.
//
// TCP is ns-3's default (TcpL4Protocol::SocketType, reported in the "tcp" field; TcpCubic in
// 3.37). ns-3's listener has no backlog limit: every SYN forks a socket.
//
// Ports: ns-3 hands out ephemeral ports only from 49152..65535, per node whatever the local
// address, so every client socket is bound explicitly instead: socket i to port
// 1024 + i % 64512 in address block k = i / 64512. A bound address alone does not stick in ns-3
// (Connect() always resets the local address to the routing's source address for the
// destination), so block k is a pair of addresses in its own /24 on the same link: the client's
// 10.1.k.2 connects to the server's 10.1.k.1, where the one listener (bound to 0.0.0.0:8080)
// accepts it. Up to N = 64512 this is plain 10.1.0.2 -> 10.1.0.1:8080. Blocks are kept few on
// purpose: every extra server address slows ns-3's endpoint lookup (two blocks cost it ~10%).
//
// Build: bench/ns3/build.sh OUTDIR   (installs Debian's libns3-dev when missing)
// Run:   OUTDIR/ns3-handshakes --n 10000
// Prints one JSON object on one line on stdout: n, mode, simulator, tcp, completed,
// client_connected, server_accepted, wall_s (Simulator::Run only), handshakes_per_s, events
// (Simulator::GetEventCount()), events_per_s, peak_rss_bytes, bytes_per_connection (resident
// growth from just before the sockets exist to the end, divided by N).

#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#ifndef NS3_VERSION_STRING
#define NS3_VERSION_STRING "3.37"
#endif

using namespace ns3;

namespace
{

constexpr uint16_t kServerPort = 8080;
constexpr uint32_t kPortFirst = 1024;
constexpr uint32_t kPortsPerAddress = 65536 - kPortFirst; // client sockets per address pair

uint64_t g_n = 0;
uint64_t g_clientConnected = 0;
uint64_t g_clientFailed = 0;
uint64_t g_serverAccepted = 0;
Ptr<Node> g_client;
std::vector<Ipv4Address> g_clientAddresses; // block k: 10.1.k.2
std::vector<Ipv4Address> g_serverAddresses; // block k: 10.1.k.1
std::vector<Ptr<Socket>> g_clientSockets;
std::vector<Ptr<Socket>> g_serverSockets;

long ResidentBytes()
{
    long pages = 0;
    long resident = 0;
    FILE* f = std::fopen("/proc/self/statm", "r");
    if (f != nullptr)
    {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
        {
            resident = 0;
        }
        std::fclose(f);
    }
    return resident * sysconf(_SC_PAGESIZE);
}

void MaybeStop()
{
    if (g_clientConnected >= g_n && g_serverAccepted >= g_n)
    {
        Simulator::Stop();
    }
}

void ClientConnected(Ptr<Socket>)
{
    ++g_clientConnected;
    MaybeStop();
}

void ClientFailed(Ptr<Socket>)
{
    ++g_clientFailed;
}

bool ServerConnectionRequest(Ptr<Socket>, const Address&)
{
    return true;
}

void ServerAccepted(Ptr<Socket> socket, const Address&)
{
    g_serverSockets.push_back(socket); // keep every accepted connection open
    ++g_serverAccepted;
    MaybeStop();
}

// Starts connection i at i microseconds; each start schedules the next (as synlab's runner
// does), so the event queue never holds N pending starts.
void StartConnect(uint64_t i)
{
    if (i + 1 < g_n)
    {
        Simulator::Schedule(MicroSeconds(1), &StartConnect, i + 1);
    }
    Ptr<Socket> s = Socket::CreateSocket(g_client, TcpSocketFactory::GetTypeId());
    uint64_t block = i / kPortsPerAddress;
    auto port = static_cast<uint16_t>(kPortFirst + i % kPortsPerAddress);
    if (s->Bind(InetSocketAddress(g_clientAddresses[block], port)) != 0)
    {
        std::fprintf(stderr, "handshakes: bind %u failed for socket %llu\n", port,
                     static_cast<unsigned long long>(i));
        std::exit(1);
    }
    s->SetConnectCallback(MakeCallback(&ClientConnected), MakeCallback(&ClientFailed));
    if (s->Connect(InetSocketAddress(g_serverAddresses[block], kServerPort)) != 0)
    {
        std::fprintf(stderr, "handshakes: connect failed for socket %llu\n",
                     static_cast<unsigned long long>(i));
        std::exit(1);
    }
    Address name;
    s->GetSockName(name);
    if (InetSocketAddress::ConvertFrom(name).GetIpv4() != g_clientAddresses[block])
    {
        std::fprintf(stderr, "handshakes: socket %llu lost its bound address\n",
                     static_cast<unsigned long long>(i));
        std::exit(1);
    }
    g_clientSockets.push_back(s);
}

[[noreturn]] void Usage()
{
    std::fprintf(stderr, "usage: handshakes --n N\n");
    std::exit(2);
}

} // namespace

int main(int argc, char** argv)
{
    for (int a = 1; a < argc; ++a)
    {
        std::string arg = argv[a];
        std::string value;
        if (arg == "--n" && a + 1 < argc)
        {
            value = argv[++a];
        }
        else if (arg.rfind("--n=", 0) == 0)
        {
            value = arg.substr(4);
        }
        else
        {
            Usage();
        }
        char* end = nullptr;
        g_n = std::strtoull(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0')
        {
            Usage();
        }
    }
    if (g_n == 0)
    {
        Usage();
    }

    NodeContainer nodes;
    nodes.Create(2);
    Ptr<Node> server = nodes.Get(0);
    g_client = nodes.Get(1);

    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", StringValue("10Gbps"));
    p2p.SetChannelAttribute("Delay", StringValue("50us"));
    NetDeviceContainer devices = p2p.Install(nodes);

    InternetStackHelper stack;
    stack.Install(nodes);
    Ipv4AddressHelper addresses("10.1.0.0", "255.255.255.0");
    Ipv4InterfaceContainer interfaces = addresses.Assign(devices); // 10.1.0.1, 10.1.0.2
    g_serverAddresses.push_back(interfaces.GetAddress(0));
    g_clientAddresses.push_back(interfaces.GetAddress(1));

    // One more address pair per further 64512 sockets: 10.1.k.1/24 on the server's interface,
    // 10.1.k.2/24 on the client's (adding an address also adds the /24's on-link route).
    uint64_t blocks = (g_n + kPortsPerAddress - 1) / kPortsPerAddress;
    if (blocks > 256)
    {
        std::fprintf(stderr, "handshakes: N too large (at most %u)\n", 256 * kPortsPerAddress);
        return 2;
    }
    for (uint64_t k = 1; k < blocks; ++k)
    {
        uint32_t net = (10u << 24) | (1u << 16) | (static_cast<uint32_t>(k) << 8);
        for (int side = 0; side < 2; ++side)
        {
            Ipv4Address a(net | static_cast<uint32_t>(side + 1));
            Ptr<Ipv4> ipv4 = interfaces.Get(side).first;
            ipv4->AddAddress(interfaces.Get(side).second,
                             Ipv4InterfaceAddress(a, Ipv4Mask("255.255.255.0")));
            (side == 0 ? g_serverAddresses : g_clientAddresses).push_back(a);
        }
    }

    Ptr<TcpL4Protocol> tcp = server->GetObject<TcpL4Protocol>();
    TypeIdValue socketType;
    tcp->GetAttribute("SocketType", socketType);
    std::string tcpVariant = socketType.Get().GetName();

    Ptr<Socket> listener = Socket::CreateSocket(server, TcpSocketFactory::GetTypeId());
    listener->Bind(InetSocketAddress(Ipv4Address::GetAny(), kServerPort));
    listener->Listen();
    listener->SetAcceptCallback(MakeCallback(&ServerConnectionRequest),
                                MakeCallback(&ServerAccepted));

    g_clientSockets.reserve(g_n);
    g_serverSockets.reserve(g_n);
    long rssBefore = ResidentBytes();
    Simulator::ScheduleNow(&StartConnect, uint64_t{0});
    // Generous deadline: the last connect starts at N-1 us and needs about one RTT (100 us);
    // ten extra simulated seconds cover several SYN retransmission timeouts.
    Simulator::Stop(MicroSeconds(g_n) + Seconds(10));

    auto t0 = std::chrono::steady_clock::now();
    Simulator::Run();
    auto t1 = std::chrono::steady_clock::now();
    long rssAfter = ResidentBytes();
    uint64_t events = Simulator::GetEventCount();

    double wall = std::chrono::duration<double>(t1 - t0).count();
    uint64_t completed = std::min(g_clientConnected, g_serverAccepted);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long long peakRss = static_cast<long long>(ru.ru_maxrss) * 1024;
    double perConnection = static_cast<double>(rssAfter - rssBefore) / static_cast<double>(g_n);

    std::printf("{\"n\":%llu,\"mode\":\"accept\",\"simulator\":\"ns-3 %s\",\"tcp\":\"%s\","
                "\"completed\":%llu,\"client_connected\":%llu,\"client_failed\":%llu,"
                "\"server_accepted\":%llu,\"wall_s\":%.6f,\"handshakes_per_s\":%.3f,"
                "\"events\":%llu,\"events_per_s\":%.1f,\"peak_rss_bytes\":%lld,"
                "\"bytes_per_connection\":%.1f}\n",
                static_cast<unsigned long long>(g_n), NS3_VERSION_STRING, tcpVariant.c_str(),
                static_cast<unsigned long long>(completed),
                static_cast<unsigned long long>(g_clientConnected),
                static_cast<unsigned long long>(g_clientFailed),
                static_cast<unsigned long long>(g_serverAccepted), wall,
                wall > 0 ? completed / wall : 0.0, static_cast<unsigned long long>(events),
                wall > 0 ? events / wall : 0.0, peakRss, perConnection);
    std::fflush(stdout);

    // Tearing down N sockets through ns-3's object system takes as long as the run itself at
    // large N and is not part of the measurement: the JSON is out, so leave without it.
    std::_Exit(completed == g_n ? 0 : 1);
}
