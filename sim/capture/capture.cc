// Capture's bookkeeping: a deque of waiting records in send order (frame ids increase with
// it, so lookups are a binary search after checking both ends), one File per output with the
// interfaces it has declared, and the frame numbers of originals whose duplicates will name
// them. Records leave the front of the deque only when they and everything before them are done.

#include "sim/capture/capture.h"

#include <algorithm>

#include "sim/simulator.h"

namespace synlab::sim {

// One output file with the interfaces it has declared and the numbers Wireshark will show.
struct Capture::File {
  bool failed = false;
  PcapWriter pcap;
  PcapngWriter pcapng;
  std::map<std::pair<LinkId, PortId>, std::uint32_t> interfaces;
  std::size_t names_written = 0;
  std::uint64_t frames = 0;  // records written; the last one's Wireshark frame number
  // Frame numbers of written originals whose duplicates are still to come:
  // sim frame id -> (frame number, duplicates still to write).
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint32_t>> originals;
};

namespace {

// "text: detail", or whichever of the two is there.
std::string join(std::string_view text, std::string_view detail) {
  if (detail.empty()) return std::string(text);
  if (text.empty()) return std::string(detail);
  std::string s;
  s.reserve(text.size() + 2 + detail.size());
  s.append(text).append(": ").append(detail);
  return s;
}

}  // namespace

std::function<std::string(const Link&)> capture_files_in(std::string directory,
                                                         CaptureFormat format) {
  return [dir = std::move(directory), format](const Link& link) {
    std::string name = link.name();
    for (char& c : name) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
      if (!ok) c = '_';
    }
    if (name.empty() || name == "." || name == "..") name = "link" + std::to_string(link.id());
    const char* ext = format == CaptureFormat::kPcap ? ".pcap" : ".pcapng";
    return (dir.empty() ? std::string() : dir + "/") + name + ext;
  };
}

Result<std::unique_ptr<Capture>, std::string> Capture::open(Simulator& sim,
                                                            CaptureOptions options) {
  if (options.path.empty() == !options.path_for_link) {
    return fail(std::string("capture: give either a file path or a file name for each link"));
  }
  std::unique_ptr<Capture> c(new Capture(sim, std::move(options)));
  if (Result<void, std::string> r = c->start(); !r.ok()) {
    c->finished_ = true;  // nothing to write; the destructor only detaches
    return fail(r.error());
  }
  return c;
}

Capture::Capture(Simulator& sim, CaptureOptions options) : sim_(sim), options_(std::move(options)) {
  if (options_.max_pending == 0) options_.max_pending = 1;
  sim_.add_observer(this);
}

// Opens files now so that a bad path is reported before the simulation runs.
Result<void, std::string> Capture::start() {
  if (options_.path_for_link) {
    for (std::size_t l = 0; l < sim_.link_count(); ++l) file_for(static_cast<LinkId>(l));
  } else {
    file_for(0);
  }
  if (!error_.empty()) return fail(error_);
  return {};
}

Capture::~Capture() {
  (void)finish();
  sim_.remove_observer(this);
}

bool Capture::add_name(std::span<const std::uint8_t> ip_bytes, std::string name) {
  std::optional<NameRecord> r = NameRecord::make(ip_bytes, std::move(name));
  if (!r) return false;
  if (std::find(names_.begin(), names_.end(), *r) == names_.end()) names_.push_back(std::move(*r));
  return true;
}

void Capture::on_event(const TraceEvent& ev, const Packet* bytes) {
  if (finished_) return;
  const bool comments = options_.format == CaptureFormat::kPcapng;
  switch (ev.kind) {
    case TraceKind::kFrameSent:
      if (bytes) add_pending(ev, *bytes, 0);
      break;
    case TraceKind::kFrameAltered:
      if (bytes) {
        // A duplicate: a new frame id with its own bytes and its own fate. The original is
        // still waiting (the copy is made while it is sent); it is told first, before a new
        // record could push it out.
        if (Pending* original = ev.copy_of ? find(ev.copy_of) : nullptr) {
          ++original->duplicates;
          if (comments) {
            original->notes.push_back(
                {NoteGroup::kLink, join(ev.text, "a copy follows as its own frame")});
          }
        }
        add_pending(ev, *bytes, ev.copy_of);
      } else if (comments) {
        // Corrupted or reordered. The capture holds the frame as it was sent, so say so for
        // a corruption (link.cc's text), or the reader wonders why the checksum is right.
        std::string text = join(ev.text, ev.detail);
        if (ev.text.starts_with("corrupted")) text += " (captured as sent)";
        note(ev.frame, NoteGroup::kLink, std::move(text));
      }
      break;
    case TraceKind::kFrameDropped:
      if (Pending* p = find(ev.frame)) {
        ++p->dropped;
        if (comments) p->notes.push_back({NoteGroup::kLink, join(ev.text, ev.detail)});
      }
      break;
    case TraceKind::kFrameArrived:
      if (Pending* p = find(ev.frame)) ++p->arrived;
      break;
    case TraceKind::kFrameNote:
      if (!comments) break;
      switch (ev.note) {
        case NoteKind::kCause:
          note(ev.frame, NoteGroup::kCause, join(ev.text, ev.detail));
          break;
        case NoteKind::kDrop:
          note(ev.frame, NoteGroup::kReceiver,
               "dropped by " + node_name(ev.node) + ": " + join(ev.text, ev.detail));
          break;
        case NoteKind::kInfo:
          note(ev.frame, NoteGroup::kReceiver,
               node_name(ev.node) + ": " + join(ev.text, ev.detail));
          break;
      }
      break;
    case TraceKind::kFrameDone:
      if (Pending* p = find(ev.frame)) {
        p->done = true;
        release_done();
      }
      break;
    case TraceKind::kState:
    case TraceKind::kSyscall:
    case TraceKind::kTimer:
    case TraceKind::kNote:
      break;
  }
}

void Capture::add_pending(const TraceEvent& ev, const Packet& bytes, std::uint64_t copy_of) {
  if (!pending_.empty() && ev.frame <= pending_.back().frame) sorted_ = false;
  Pending& p = pending_.emplace_back();
  p.frame = ev.frame;
  p.copy_of = copy_of;
  p.at = ev.at;
  p.link = ev.link;
  p.port = ev.port;
  p.bytes = bytes.clone();
  if (pending_.size() > options_.max_pending) {
    // The oldest record has waited too long; write it with what is known.
    ++stats_.forced;
    write(pending_.front(), "written before its fate was known: too many frames were waiting");
    pending_.pop_front();
    release_done();
  }
}

// Frame ids come from one counter and each is traced the moment it is handed out, so the
// queue is sorted by id and a binary search finds a frame. Should an id ever arrive out of
// order (another event source), a linear search keeps the answer right.
Capture::Pending* Capture::find(std::uint64_t frame) {
  if (pending_.empty() || frame == 0) return nullptr;
  // The common cases first: notes follow their send at the back; fates and completions
  // mostly come to the oldest frames at the front.
  if (pending_.back().frame == frame) return &pending_.back();
  if (pending_.front().frame == frame) return &pending_.front();
  if (sorted_) {
    auto it = std::lower_bound(pending_.begin(), pending_.end(), frame,
                               [](const Pending& p, std::uint64_t f) { return p.frame < f; });
    return it != pending_.end() && it->frame == frame ? &*it : nullptr;
  }
  for (Pending& p : pending_) {
    if (p.frame == frame) return &p;
  }
  return nullptr;
}

void Capture::note(std::uint64_t frame, NoteGroup group, std::string text) {
  if (Pending* p = find(frame)) p->notes.push_back({group, std::move(text)});
}

void Capture::release_done() {
  while (!pending_.empty() && pending_.front().done) {
    write(pending_.front(), {});
    pending_.pop_front();
  }
}

// Writes one record. `unfinished` is the comment for a record whose fate is still open.
void Capture::write(Pending& p, std::string_view unfinished) {
  File* f = file_for(p.link);
  if (!f) {
    ++stats_.unwritable;
    return;
  }
  if (!options_.record_dropped && p.done && p.arrived == 0 && p.dropped > 0) {
    ++stats_.not_recorded;
    if (p.copy_of != 0) (void)original_number(*f, p.copy_of);  // it will not be asked again
    return;
  }
  if (options_.format == CaptureFormat::kPcap) {
    f->pcap.write(p.at, p.bytes.bytes());
  } else {
    const std::uint32_t itf = interface_for(*f, p.link, p.port);
    write_names(*f);
    const std::vector<std::string>& comments = comments_for(p, *f, unfinished);
    f->pcapng.write_packet({.interface = itf,
                            .at = p.at,
                            .bytes = p.bytes.bytes(),
                            .direction = PacketDirection::kOutbound,
                            .comments = comments,
                            .packet_id = p.frame});
  }
  ++f->frames;
  ++stats_.written;
  // Only pcapng names the original in a duplicate's comment.
  if (p.duplicates > 0 && options_.format == CaptureFormat::kPcapng) {
    f->originals[p.frame] = {f->frames, p.duplicates};
  }
}

// The frame number of `frame` in `f`, for one of its duplicates (each asks once).
std::optional<std::uint64_t> Capture::original_number(File& f, std::uint64_t frame) {
  auto it = f.originals.find(frame);
  if (it == f.originals.end()) return std::nullopt;
  const std::uint64_t number = it->second.first;
  if (--it->second.second == 0) f.originals.erase(it);
  return number;
}

const std::vector<std::string>& Capture::comments_for(Pending& p, File& f,
                                                      std::string_view unfinished) {
  std::vector<std::string>& out = comments_;  // reused: no allocation per record
  out.clear();
  if (p.copy_of != 0) {
    const std::optional<std::uint64_t> n = original_number(f, p.copy_of);
    out.push_back(n ? "duplicate of frame " + std::to_string(*n)
                    : std::string("duplicate of a frame not in this capture"));
  }
  // Causes, then the link's doings, then the receivers'; each group in event order.
  const auto by_group = [](const Note& a, const Note& b) { return a.group < b.group; };
  if (!std::is_sorted(p.notes.begin(), p.notes.end(), by_group)) {
    std::stable_sort(p.notes.begin(), p.notes.end(), by_group);
  }
  for (Note& n : p.notes) out.push_back(std::move(n.text));
  if (!p.done) {
    out.emplace_back(unfinished.empty() ? "still in flight when the capture ended" : unfinished);
  }
  return out;
}

std::uint32_t Capture::interface_for(File& f, LinkId link, PortId port) {
  const auto key = std::make_pair(link, port);
  if (auto it = f.interfaces.find(key); it != f.interfaces.end()) return it->second;
  PcapngInterface itf;
  if (link >= 0 && static_cast<std::size_t>(link) < sim_.link_count()) {
    const Link& l = sim_.link(link);
    if (port >= 0 && static_cast<std::size_t>(port) < l.port_count()) {
      itf.name = l.port(port).name;
      itf.mac = l.port(port).mac.b;
    }
    if (itf.name.empty()) itf.name = l.name() + ":" + std::to_string(port);
    itf.description = itf.name + " on link " + l.name();
  }
  const std::uint32_t id = f.pcapng.add_interface(itf);
  f.interfaces.emplace(key, id);
  return id;
}

void Capture::write_names(File& f) {
  if (f.names_written == names_.size()) return;
  f.pcapng.add_names(std::span(names_).subspan(f.names_written));
  f.names_written = names_.size();
}

Capture::File* Capture::file_for(LinkId link) {
  if (link < 0) return nullptr;
  const std::size_t slot = options_.path_for_link ? static_cast<std::size_t>(link) : 0;
  if (options_.path_for_link && slot >= sim_.link_count()) return nullptr;
  if (slot >= files_.size()) files_.resize(slot + 1);
  std::unique_ptr<File>& f = files_[slot];
  if (!f) {
    f = std::make_unique<File>();
    const std::string path =
        options_.path_for_link ? options_.path_for_link(sim_.link(link)) : options_.path;
    Result<void, std::string> r = options_.format == CaptureFormat::kPcap
                                      ? f->pcap.open(path)
                                      : f->pcapng.open(path, {.comment = options_.comment});
    if (!r.ok()) {
      f->failed = true;
      set_error(r.error());
    }
  }
  return f->failed ? nullptr : f.get();
}

std::string Capture::node_name(NodeId node) const {
  if (node >= 0 && static_cast<std::size_t>(node) < sim_.node_count()) return sim_.node_name(node);
  return "the receiver";
}

Result<void, std::string> Capture::flush() {
  for (auto& f : files_) {
    if (!f || f->failed) continue;
    Result<void, std::string> r =
        options_.format == CaptureFormat::kPcap ? f->pcap.flush() : f->pcapng.flush();
    if (!r.ok()) set_error(r.error());
  }
  if (!error_.empty()) return fail(error_);
  return {};
}

Result<void, std::string> Capture::finish() {
  if (!finished_) {
    finished_ = true;
    for (Pending& p : pending_) write(p, {});
    pending_.clear();
    // A link that carried nothing still gets its (empty, valid) file.
    if (options_.path_for_link) {
      for (std::size_t l = 0; l < sim_.link_count(); ++l) file_for(static_cast<LinkId>(l));
    }
    for (auto& f : files_) {
      if (!f || f->failed) continue;
      Result<void, std::string> r{};
      if (options_.format == CaptureFormat::kPcap) {
        r = f->pcap.close();
      } else {
        write_names(*f);
        r = f->pcapng.close();
      }
      if (!r.ok()) set_error(r.error());
    }
  }
  if (!error_.empty()) return fail(error_);
  return {};
}

void Capture::set_error(std::string message) {
  if (error_.empty()) error_ = std::move(message);
}

}  // namespace synlab::sim
