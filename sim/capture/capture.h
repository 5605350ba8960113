// Capture: writes every frame a simulation sends to pcap or pcapng files.
//
// A Capture is an Observer of the simulator's trace (sim/trace.h). It records each frame
// when it is SENT (kFrameSent), with the sending port as the interface (direction
// "outbound" in pcapng), stamped with the virtual send time. Duplicates made by a link fault
// are records of their own.
//
// Why records wait: a frame's fate is only known later (lost on the link, corrupted, or
// dropped by the receiver and why), and pcapng comments must say so. So each record is held
// until its kFrameDone, collecting every note about that frame; and because a capture must
// list frames in the order they were sent, a finished record also waits for every earlier
// one. Comments come in this order:
//   1. why it was sent   (NoteKind::kCause, as the sender gave it; for a duplicate
//                         "duplicate of frame N", N being the original's frame number in
//                         this file, as Wireshark shows it)
//   2. what the link did ("lost on link: loss rate 10% on lan", "corrupted on link: ...")
//   3. what receivers did ("dropped by server: accept queue full", "server: ...")
// Classic pcap has no comments and holds just the frames, in the same order.
//
// Determinism: output depends only on the event stream (virtual times, names, bytes). No
// wall clock, no host name, no pointer-ordered or unordered containers on the output path:
// identical event streams give byte-identical files.
//
// Ending: finish() (also run by the destructor) writes every record still waiting, with the
// notes known so far plus "still in flight when the capture ended", and closes the files so
// they are valid. It is idempotent. It is NOT async-signal-safe (it allocates, formats text
// and writes through stdio and write(2) with heap buffers), and nothing else here is either:
// a SIGINT handler must only set a `volatile std::sig_atomic_t` flag; the runner's main loop
// sees it between events and calls finish(). flush() between runs of the event loop bounds
// what a crash can lose: after it, each file on disk is a valid capture of every record
// written so far.
//
// Lifetime: open() attaches the capture to the simulator; the destructor detaches it, so a
// Capture must not outlive its Simulator. finish() only stops recording (it leaves the
// observer list alone, so it is safe to call from inside another observer's callback).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/capture/pcap_writer.h"
#include "sim/capture/pcapng_writer.h"
#include "sim/link.h"
#include "sim/packet.h"
#include "sim/result.h"
#include "sim/trace.h"

namespace synlab::sim {

class Simulator;

enum class CaptureFormat : std::uint8_t { kPcap, kPcapng };

struct CaptureOptions {
  CaptureFormat format = CaptureFormat::kPcapng;
  // Exactly one of these two: one file for the whole world...
  std::string path;
  // ...or one file per link, at the path this returns for it. Called once per link, in link
  // id order for the links that exist at open(), later for links added afterwards.
  std::function<std::string(const Link&)> path_for_link;
  // Also record frames that never arrived anywhere (lost, link down, partition, fault rule).
  bool record_dropped = true;
  // The pcapng capture comment (SHB opt_comment), e.g. the scenario's name.
  std::string comment;
  // A record whose fate is still open is written anyway (with a comment saying so) once this
  // many records wait behind it, so one frame stuck in flight cannot hold all memory.
  std::size_t max_pending = std::size_t{1} << 20;
};

// A path_for_link for the common case: "<directory>/<link name>.pcap[ng]", with every
// character of the link name outside [A-Za-z0-9._-] replaced by '_'.
std::function<std::string(const Link&)> capture_files_in(std::string directory,
                                                         CaptureFormat format);

struct CaptureStats {
  std::uint64_t written = 0;       // records in the files
  std::uint64_t not_recorded = 0;  // dropped in flight while record_dropped is off
  std::uint64_t unwritable = 0;    // frames whose file could not be opened
  std::uint64_t forced = 0;        // written before their fate was known (max_pending)
};

class Capture final : public Observer {
 public:
  // Opens the world's file (or the files of the links that exist now) and attaches to `sim`.
  static Result<std::unique_ptr<Capture>, std::string> open(Simulator& sim, CaptureOptions options);
  ~Capture() override;
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  // Names an IPv4 (4 bytes) or IPv6 (16 bytes) address in the pcapng Name Resolution Block,
  // written before the next record of each file. False (and ignored) for any other size.
  bool add_name(std::span<const std::uint8_t> ip_bytes, std::string name);

  // Pushes what the writers buffered to disk. Records still waiting for their fate stay.
  Result<void, std::string> flush();
  // Writes every waiting record and closes the files. Later events are ignored. Returns the
  // first error the capture met (the same one on every call).
  Result<void, std::string> finish();
  bool finished() const { return finished_; }

  const CaptureStats& stats() const { return stats_; }
  std::size_t pending() const { return pending_.size(); }

  void on_event(const TraceEvent& ev, const Packet* bytes) override;
  // A classic pcap has no comments: it needs the frames and their fates, not their causes.
  bool wants_text() const override { return options_.format == CaptureFormat::kPcapng; }

 private:
  // Comment groups, in the order they are written.
  enum class NoteGroup : std::uint8_t { kCause, kLink, kReceiver };
  struct Note {
    NoteGroup group;
    std::string text;
  };
  struct Pending {
    std::uint64_t frame = 0;
    std::uint64_t copy_of = 0;  // a duplicate: the frame it copies
    Time at;
    LinkId link = -1;
    PortId port = -1;
    Packet bytes;
    std::vector<Note> notes;
    std::uint32_t arrived = 0;
    std::uint32_t dropped = 0;
    std::uint32_t duplicates = 0;  // duplicates of this frame that will want its number
    bool done = false;
  };
  struct File;

  Capture(Simulator& sim, CaptureOptions options);
  Result<void, std::string> start();

  void add_pending(const TraceEvent& ev, const Packet& bytes, std::uint64_t copy_of);
  Pending* find(std::uint64_t frame);
  void note(std::uint64_t frame, NoteGroup group, std::string text);
  void release_done();
  void write(Pending& p, std::string_view unfinished);
  const std::vector<std::string>& comments_for(Pending& p, File& f, std::string_view unfinished);
  std::optional<std::uint64_t> original_number(File& f, std::uint64_t frame);
  std::uint32_t interface_for(File& f, LinkId link, PortId port);
  void write_names(File& f);
  File* file_for(LinkId link);
  std::string node_name(NodeId node) const;
  void set_error(std::string message);

  Simulator& sim_;
  CaptureOptions options_;
  std::deque<Pending> pending_;        // in send order
  bool sorted_ = true;                 // frame ids arrived increasing (they do: see find())
  std::vector<std::string> comments_;  // scratch for the record being written
  std::vector<NameRecord> names_;
  std::vector<std::unique_ptr<File>> files_;  // the world's at [0], or one per LinkId
  CaptureStats stats_;
  std::string error_;  // the first error
  bool finished_ = false;
};

}  // namespace synlab::sim
