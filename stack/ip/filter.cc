#include "stack/ip/filter.h"

namespace synlab::stack {

FilterRule* Filter::match(FilterChain chain, const FilterPacket& p) {
  for (auto& r : rules_) {
    if (r.chain != chain) continue;
    if (r.protocol && *r.protocol != p.protocol) continue;
    if (r.src && !r.src->contains(p.src)) continue;
    if (r.dst && !r.dst->contains(p.dst)) continue;
    if (r.sport && *r.sport != p.sport) continue;
    if (r.dport && *r.dport != p.dport) continue;
    if ((p.tcp_flags & r.tcp_flags_mask) != r.tcp_flags_value) continue;
    ++r.hits;
    return &r;
  }
  return nullptr;
}

}  // namespace synlab::stack
