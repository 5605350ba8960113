// Drawing a ladder: in the terminal (colour or plain, fitted to a width), as an SVG picture, or
// as one self-contained HTML page; and the comparison of one scenario under two personalities.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "harness/explain/ladder.h"
#include "harness/xml_escape.h"

namespace synlab::harness::explain {

struct TextStyle {
  int width = 100;     // columns the output must fit in (at least 60 is used)
  bool color = false;  // ANSI colours
};

// The terminal ladder: a header (title, lesson, hosts), one row per event with the hosts as
// lanes and the details to the right, and a summary line.
void render_text(const Ladder& l, const TextStyle& style, std::ostream& out);

// An SVG ladder: hosts as vertical lines, each packet a slanted arrow from its send time to its
// arrival time, drops as crosses, calls and state changes as labels beside the lanes.
void render_svg(const Ladder& l, std::ostream& out);

// One HTML page, nothing loaded from elsewhere: the lesson text, the SVG ladder, the state
// timeline of each socket, the table of socket calls.
void render_html(const std::vector<Ladder>& ladders, std::ostream& out);

// Where two runs of one scenario under different personalities differ, step by step: each
// script call whose result or return time differs, and the packets each run sent that the
// other did not, aligned.
void render_diff(const Ladder& a, const Ladder& b, const TextStyle& style, std::ostream& out);


}  // namespace synlab::harness::explain
