// "Did you mean ...?" for names a script got slightly wrong.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace synlab::harness {

// The candidate closest to `word` (Damerau-Levenshtein distance, case-insensitive) when it is
// close enough to be a typo: at most 1 edit for words of up to 4 characters, 2 up to 8, 3
// beyond. Ties go to the earlier candidate. Words over 64 characters get no suggestion.
std::optional<std::string_view> closest_match(std::string_view word,
                                              std::span<const std::string_view> candidates);

// "; did you mean 'connect'?" or "".
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace synlab::harness
