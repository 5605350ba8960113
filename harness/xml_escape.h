// Text for XML and HTML attributes and content: the JUnit report (`synlab run --junit`) and
// explain's SVG and HTML pages share this one definition.
#pragma once

#include <string>
#include <string_view>

namespace synlab::harness {

// Escapes & < > " ' and replaces the control characters XML 1.0 cannot carry at all (not even
// as character references) with '?'; tab, newline and carriage return pass.
inline std::string xml_escape(std::string_view in) {
  std::string s;
  s.reserve(in.size() + 16);
  for (const char c : in) {
    switch (c) {
      case '&': s += "&amp;"; break;
      case '<': s += "&lt;"; break;
      case '>': s += "&gt;"; break;
      case '"': s += "&quot;"; break;
      case '\'': s += "&apos;"; break;
      default: s += (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') ? '?' : c;
    }
  }
  return s;
}

}  // namespace synlab::harness
