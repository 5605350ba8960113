// Small text helpers for the explain renderers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace synlab::harness::explain {

// Splits `text` into lines of at most `width` characters, at spaces; a word longer than the
// width is cut. Never returns an empty vector (an empty text is one empty line).
inline std::vector<std::string> wrap(std::string_view text, int width) {
  const std::size_t w = width < 8 ? 8 : static_cast<std::size_t>(width);
  std::vector<std::string> lines;
  std::string cur;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t sp = text.find(' ', i);
    std::string_view word = text.substr(i, sp == std::string_view::npos ? std::string_view::npos : sp - i);
    i = sp == std::string_view::npos ? text.size() : sp + 1;
    if (word.empty()) continue;
    while (word.size() > w) {
      if (!cur.empty()) {
        lines.push_back(cur);
        cur.clear();
      }
      lines.emplace_back(word.substr(0, w));
      word.remove_prefix(w);
    }
    if (cur.empty()) {
      cur = word;
    } else if (cur.size() + 1 + word.size() <= w) {
      cur += ' ';
      cur += word;
    } else {
      lines.push_back(cur);
      cur = word;
    }
  }
  if (!cur.empty() || lines.empty()) lines.push_back(cur);
  return lines;
}

inline std::string pad_left(const std::string& s, int width) {
  return static_cast<int>(s.size()) >= width ? s : std::string(static_cast<std::size_t>(width) - s.size(), ' ') + s;
}

}  // namespace synlab::harness::explain
