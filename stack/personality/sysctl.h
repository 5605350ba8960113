// Personality knobs by their Linux sysctl names, so scenarios and packetdrill scripts can set
// them per host: "net.ipv4.tcp_syn_retries = 1", or packetdrill's
// `set_sysctls.py /proc/sys/net/ipv4/tcp_syn_retries=1`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/result.h"
#include "stack/personality/personality.h"

namespace synlab::stack {

// Accepts "net.ipv4.tcp_syn_retries", "net/ipv4/tcp_syn_retries" and
// "/proc/sys/net/ipv4/tcp_syn_retries". Values are text as in /proc ("4096 131072 6291456").
// On failure, the error says why ("unknown sysctl", "expects 3 integers").
Result<void, std::string> set_sysctl(Personality& p, std::string_view name, std::string_view value);
std::optional<std::string> get_sysctl(const Personality& p, std::string_view name);
// Every supported name, sorted.
std::vector<std::string_view> sysctl_names();
// True for sysctls a real system has but that change nothing this simulator models (e.g.
// net.core.default_qdisc): setting them is accepted and ignored, and reported as such.
bool sysctl_is_ignored(std::string_view name);

}  // namespace synlab::stack
