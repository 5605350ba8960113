#include "sim/trace.h"

#include <algorithm>

namespace synlab::sim {

std::string_view to_string(TraceKind k) {
  switch (k) {
    case TraceKind::kFrameSent: return "frame-sent";
    case TraceKind::kFrameAltered: return "frame-altered";
    case TraceKind::kFrameDropped: return "frame-dropped";
    case TraceKind::kFrameArrived: return "frame-arrived";
    case TraceKind::kFrameNote: return "frame-note";
    case TraceKind::kFrameDone: return "frame-done";
    case TraceKind::kState: return "state";
    case TraceKind::kSyscall: return "syscall";
    case TraceKind::kTimer: return "timer";
    case TraceKind::kNote: return "note";
  }
  return "?";
}

void TraceRecorder::on_event(const TraceEvent& ev, const Packet* bytes) {
  events_.push_back(ev);
  if (bytes && ev.frame != 0) {
    frames_.push_back(Frame{ev.frame, ev.at, ev.link, ev.port, ev.node,
                            std::vector<std::uint8_t>(bytes->data(), bytes->data() + bytes->size())});
  }
}

const TraceRecorder::Frame* TraceRecorder::frame(std::uint64_t id) const {
  auto it = std::lower_bound(frames_.begin(), frames_.end(), id,
                             [](const Frame& f, std::uint64_t v) { return f.id < v; });
  return it != frames_.end() && it->id == id ? &*it : nullptr;
}

}  // namespace synlab::sim
