// A Boost.Test log formatter that prints TAP, so meson (protocol: 'tap') sees every test case.
//
// meson's JUnit log, which CI counts cases from, only expands GoogleTest and TAP tests; a
// Boost.Test binary in its own formats counts as one. With this formatter its standard output
// is TAP version 12, one line per test case and the plan at the end:
//
//   # examples/boost_connect_test.cc(42): error: in "refused": check r.error() == ... failed
//   not ok 1 - connect/refused
//   ok 2 - connect/accepted
//   1..2
//
// Failed checks, messages and exceptions come out as "# " comment lines before their test's
// result line. A test case's verdict is Boost's own (results_collector), so expected failures
// and timeouts count as Boost counts them. Disabled or skipped units print "ok N - name # SKIP
// reason". Boost's end-of-run report still goes to its report stream (standard error), without
// colour codes: meson copies standard error into its JUnit XML, where the ESC byte is not
// allowed, and Boost colours its report even when the stream is not a terminal.
//
// Use it with one line in the test module, after <boost/test/unit_test.hpp>:
//
//   #include "harness/gtest/boost_tap.h"
//   SYNLAB_BOOST_TAP_LOG();
//
// which is the framework's documented way to install a formatter (a global configuration,
// which runs before the log starts), spelled out:
//
//   using TapLog = synlab::boost_tap::UseTapLog;  // the macro pastes the name: no "::"
//   BOOST_TEST_GLOBAL_CONFIGURATION(TapLog);
//
// Header-only; depends on Boost.Test only (not on GoogleTest or the rest of synlab).
#pragma once

#include <boost/test/execution_monitor.hpp>
#include <boost/test/results_collector.hpp>
#include <boost/test/results_reporter.hpp>
#include <boost/test/tree/test_unit.hpp>
#include <boost/test/unit_test_log.hpp>
#include <boost/test/unit_test_log_formatter.hpp>

#include <cstddef>
#include <ostream>
#include <streambuf>
#include <string>

namespace synlab::boost_tap {

class TapLogFormatter : public boost::unit_test::unit_test_log_formatter {
 public:
  using boost::unit_test::unit_test_log_formatter::log_entry_value;
  using boost::unit_test::unit_test_log_formatter::test_unit_skipped;

  // How many result lines were printed (the plan).
  std::size_t count() const { return n_; }

  void log_start(std::ostream&, boost::unit_test::counter_t) override {}
  void log_finish(std::ostream& os) override {
    end_line(os);
    os << "1.." << n_ << std::endl;
  }
  void log_build_info(std::ostream&, bool) override {}

  void test_unit_start(std::ostream&, const boost::unit_test::test_unit&) override {}
  void test_unit_finish(std::ostream& os, const boost::unit_test::test_unit& tu,
                        unsigned long) override {
    if (tu.p_type != boost::unit_test::TUT_CASE) return;
    end_line(os);
    const bool passed = boost::unit_test::results_collector.results(tu.p_id).passed();
    os << (passed ? "ok " : "not ok ") << ++n_ << " - " << tap_name(tu) << std::endl;
  }
  void test_unit_skipped(std::ostream& os, const boost::unit_test::test_unit& tu,
                         boost::unit_test::const_string reason) override {
    end_line(os);
    os << "ok " << ++n_ << " - " << tap_name(tu) << " # SKIP "
       << one_line(std::string(reason.begin(), reason.end())) << std::endl;
  }

  void log_exception_start(std::ostream& os, const boost::unit_test::log_checkpoint_data& cp,
                           const boost::execution_exception& ex) override {
    end_line(os);
    const auto& where = ex.where();
    begin_line(os);
    os << std::string(where.m_file_name.begin(), where.m_file_name.end()) << "(" << where.m_line_num
       << "): fatal error: ";
    write(os, std::string(ex.what().begin(), ex.what().end()));
    if (!cp.m_file_name.is_empty()) {
      end_line(os);
      begin_line(os);
      os << "last checkpoint: " << std::string(cp.m_file_name.begin(), cp.m_file_name.end()) << "("
         << cp.m_line_num << ")";
      if (!cp.m_message.empty()) write(os, ": " + cp.m_message);
    }
  }
  void log_exception_finish(std::ostream& os) override { end_line(os); }

  void log_entry_start(std::ostream& os, const boost::unit_test::log_entry_data& led,
                       log_entry_types type) override {
    end_line(os);
    begin_line(os);
    os << led.m_file_name << "(" << led.m_line_num << "): " << type_name(type);
  }
  void log_entry_value(std::ostream& os, boost::unit_test::const_string value) override {
    write(os, std::string(value.begin(), value.end()));
  }
  void log_entry_finish(std::ostream& os) override { end_line(os); }

  void entry_context_start(std::ostream& os, boost::unit_test::log_level) override {
    end_line(os);
    begin_line(os);
    os << "context:";
  }
  void log_entry_context(std::ostream& os, boost::unit_test::log_level,
                         boost::unit_test::const_string value) override {
    end_line(os);
    begin_line(os);
    write(os, "  " + std::string(value.begin(), value.end()));
  }
  void entry_context_finish(std::ostream& os, boost::unit_test::log_level) override {
    end_line(os);
  }

 private:
  // "suite/case" (Boost's full name, without the master suite); '#' would start a TAP
  // directive, so it is replaced.
  static std::string tap_name(const boost::unit_test::test_unit& tu) {
    std::string s = tu.full_name();
    for (char& c : s) {
      if (c == '#') c = '_';
    }
    return one_line(s);
  }
  static std::string one_line(std::string s) {
    for (char& c : s) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return s;
  }
  static const char* type_name(log_entry_types t) {
    switch (t) {
      case BOOST_UTL_ET_INFO:
        return "info: ";
      case BOOST_UTL_ET_MESSAGE:
        return "message: ";
      case BOOST_UTL_ET_WARNING:
        return "warning: ";
      case BOOST_UTL_ET_ERROR:
        return "error: ";
      case BOOST_UTL_ET_FATAL_ERROR:
        return "fatal error: ";
    }
    return "";
  }
  // Diagnostics are "# " lines: a value with newlines continues on new comment lines.
  void begin_line(std::ostream& os) {
    os << "# ";
    in_line_ = true;
  }
  void end_line(std::ostream& os) {
    if (in_line_) os << std::endl;
    in_line_ = false;
  }
  void write(std::ostream& os, const std::string& text) {
    for (char c : text) {
      if (c == '\n') {
        os << '\n';
        in_line_ = false;
        continue;
      }
      if (!in_line_) begin_line(os);
      os << c;
    }
  }

  std::size_t n_ = 0;
  bool in_line_ = false;
};

// Forwards to another stream buffer, dropping ANSI colour sequences (ESC [ ... final byte).
class NoColourBuf : public std::streambuf {
 public:
  explicit NoColourBuf(std::streambuf* out) : out_(out) {}

 protected:
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    const char c = traits_type::to_char_type(ch);
    if (escape_) {
      // ECMA-48: a control sequence ends with a byte in 0x40..0x7E ('[' opens it).
      if (c >= '@' && c <= '~' && c != '[') escape_ = false;
      return ch;
    }
    if (c == '\x1b') {
      escape_ = true;
      return ch;
    }
    return out_->sputc(c);
  }
  int sync() override { return out_->pubsync(); }

 private:
  std::streambuf* out_;
  bool escape_ = false;
};

// As a global configuration: makes TAP the only log format (Boost.Test takes ownership of the
// formatter; the stream stays as configured).
// Boost forwards test-unit starts and ends to a formatter only at log level "unit_scope" or
// below, so the level is lowered to that (a lower one, "all", is kept).
struct UseTapLog {
  UseTapLog() {
    auto* f = new TapLogFormatter;
    boost::unit_test::unit_test_log.set_formatter(f);
    if (f->get_log_level() > boost::unit_test::log_test_units) {
      boost::unit_test::unit_test_log.set_threshold_level(boost::unit_test::OF_CUSTOM_LOGGER,
                                                          boost::unit_test::log_test_units);
    }
    // The report is printed after the global configuration is gone: static lifetime.
    static NoColourBuf buf(boost::unit_test::results_reporter::get_stream().rdbuf());
    static std::ostream report(&buf);
    boost::unit_test::results_reporter::set_stream(report);
  }
};

}  // namespace synlab::boost_tap

// Installs TapLogFormatter for the test module (once, at namespace scope, in one file).
#define SYNLAB_BOOST_TAP_LOG()                                 \
  using synlab_boost_tap_log = ::synlab::boost_tap::UseTapLog; \
  BOOST_TEST_GLOBAL_CONFIGURATION(synlab_boost_tap_log)
