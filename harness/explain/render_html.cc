// Placeholder until the HTML renderer lands (the next commit).
#include "harness/explain/render.h"
namespace synlab::harness::explain {
void render_html(const std::vector<Ladder>&, std::ostream& out) { out << "<!doctype html><html></html>\n"; }
}  // namespace synlab::harness::explain
