// errno as a typed, named enum.
//
// Inside the stack every failure is an `Errno` value; scenario scripts, reports and matchers
// compare errno by NAME ("ECONNREFUSED"), because numbers differ between systems (EAGAIN is 11
// on Linux and 35 on the BSDs). Numbers only appear at the edge: `linux_number` for reports
// in packetdrill's form ("errno 111 (Connection refused)") and `bsd_number` for the bsd
// personality. If you add a value, add it to kErrnoTable in errno.cc too.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string_view>

#include "sim/result.h"

namespace synlab::stack {

enum class Errno : std::uint8_t {
  kOk = 0,  // no error (SO_ERROR 0)
  kEPERM,
  kENOENT,
  kEINTR,
  kEIO,
  kEBADF,
  kEAGAIN,  // == EWOULDBLOCK on Linux
  kENOMEM,
  kEACCES,
  kEFAULT,
  kEBUSY,
  kEEXIST,
  kENODEV,
  kEINVAL,
  kENFILE,
  kEMFILE,
  kENOTTY,
  kEPIPE,
  kEDOM,
  kERANGE,
  kENOSYS,
  kENOPROTOOPT,
  kEPROTONOSUPPORT,
  kESOCKTNOSUPPORT,
  kEOPNOTSUPP,  // == ENOTSUP on Linux
  kEPFNOSUPPORT,
  kEAFNOSUPPORT,
  kEADDRINUSE,
  kEADDRNOTAVAIL,
  kENETDOWN,
  kENETUNREACH,
  kENETRESET,
  kECONNABORTED,
  kECONNRESET,
  kENOBUFS,
  kEISCONN,
  kENOTCONN,
  kESHUTDOWN,
  kETIMEDOUT,
  kECONNREFUSED,
  kEHOSTDOWN,
  kEHOSTUNREACH,
  kEALREADY,
  kEINPROGRESS,
  kEDESTADDRREQ,
  kEMSGSIZE,
  kEPROTOTYPE,
  kENOTSOCK,
  kENONET,
  kEPROTO,
  kERESTARTSYS,  // internal only: a blocked call was interrupted and may restart
};

// "ECONNREFUSED"; "0" for kOk.
std::string_view name(Errno e);
// glibc's strerror text: "Connection refused".
std::string_view message(Errno e);
int linux_number(Errno e);
int bsd_number(Errno e);  // 4.4BSD / FreeBSD numbering
// By name ("ECONNREFUSED", also the aliases "EWOULDBLOCK" and "ENOTSUP"), or by Linux number.
std::optional<Errno> errno_from_name(std::string_view s);
std::optional<Errno> errno_from_linux_number(int n);

// Prints the name, so test failures read "ECONNREFUSED" (GoogleTest uses operator<<).
inline std::ostream& operator<<(std::ostream& os, Errno e) { return os << name(e); }

// The result of a socket call inside the stack: a value or an errno.
template <class T>
using SysResult = Result<T, Errno>;

}  // namespace synlab::stack
