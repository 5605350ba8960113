// The trace: a structured, timestamped record of what happened in a world.
//
// Frames, their fates on links (delivered, lost, corrupted, duplicated, reordered, blocked),
// why each was sent or dropped, socket calls and TCP state changes all pass through one
// stream of `TraceEvent`s. Reports, ladder diagrams (explain) and capture comments are all
// built from it, so they can never disagree with each other.
//
// Observers see events as they happen. Nobody pays for text that no observer reads: senders
// check `Simulator::wants_text()` before formatting a cause.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/packet.h"
#include "sim/time.h"

namespace synlab::sim {

using NodeId = std::int32_t;  // a host (or any frame endpoint); -1 = none
using LinkId = std::int32_t;  // -1 = none
using PortId = std::int32_t;  // a link attachment point, unique per link; -1 = none

enum class TraceKind : std::uint8_t {
  kFrameSent,       // a port handed a frame to a link; `bytes` holds the frame
  kFrameAltered,    // a link fault changed a frame in flight (corrupt, duplicate, reorder)
  kFrameDropped,    // a link dropped a frame (loss, link down, partition, fault rule)
  kFrameArrived,    // a frame reached a port, before the receiver processes it
  kFrameNote,       // why a frame was sent, or why its receiver dropped it
  kFrameDone,       // every copy of a frame has been delivered or dropped
  kState,           // a socket/connection state change
  kSyscall,         // a socket call and its result
  kTimer,           // a protocol timer fired (retransmission, TIME_WAIT, ...)
  kNote,            // anything else worth a line in a report
};

std::string_view to_string(TraceKind k);

enum class NoteKind : std::uint8_t {
  kCause,  // why the sender sent it ("SYN retransmission 2, RTO 2 s")
  kDrop,   // why the receiver discarded it ("accept queue full (2 of 1+1)")
  kInfo,   // anything else the receiver did with it
};

struct TraceEvent {
  Time at;
  TraceKind kind = TraceKind::kNote;
  NoteKind note = NoteKind::kInfo;  // for kFrameNote
  NodeId node = -1;                 // host the event happened on (sender for frames)
  LinkId link = -1;
  PortId port = -1;                 // sending port (kFrameSent) or receiving port (kFrameArrived)
  std::uint64_t frame = 0;          // frame id, 0 = none
  std::uint64_t object = 0;         // socket / connection id on `node`, 0 = none
  std::uint64_t copy_of = 0;        // a duplicate's kFrameAltered: the frame it copies
  std::string text;                 // what happened
  std::string detail;               // why, or a second line
};

class Observer {
 public:
  virtual ~Observer() = default;
  // `bytes` is the frame for kFrameSent (and for a duplicate's kFrameAltered), else null.
  virtual void on_event(const TraceEvent& ev, const Packet* bytes) = 0;
  // Whether this observer reads the events' text. When no observer does, senders skip
  // formatting causes and notes (Simulator::wants_text), and only frame events flow. Read
  // once, when the observer is added.
  virtual bool wants_text() const { return true; }
};

// Records every event (and a copy of every frame) in memory.
class TraceRecorder final : public Observer {
 public:
  struct Frame {
    std::uint64_t id;
    Time at;
    LinkId link;
    PortId port;
    NodeId node;
    std::vector<std::uint8_t> bytes;
  };

  void on_event(const TraceEvent& ev, const Packet* bytes) override;

  const std::vector<TraceEvent>& events() const { return events_; }
  const std::vector<Frame>& frames() const { return frames_; }
  // The frame with this id, or null.
  const Frame* frame(std::uint64_t id) const;

 private:
  std::vector<TraceEvent> events_;
  std::vector<Frame> frames_;  // in id order (ids are handed out in increasing order)
};

}  // namespace synlab::sim
