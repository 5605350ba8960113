// The two-host example: a client and a server on a lossy link, a connection, some data, an
// orderly close, and a capture of every frame. `synlab demo` runs it; it is also the smallest
// end-to-end check that every layer works together.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace synlab::harness {

struct DemoOptions {
  std::uint64_t seed = 1;
  double loss = 0.1;              // loss rate on the link, each direction
  std::string out_dir = "out";    // where demo.pcapng and demo.pcap go
  std::size_t bytes = 20000;      // sent client -> server
};

// Runs the example and prints what happened. Returns 0 when the data arrived intact and both
// sides closed, 1 otherwise.
int run_demo(const DemoOptions& opt, std::ostream& out);

}  // namespace synlab::harness
