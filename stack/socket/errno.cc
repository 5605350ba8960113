#include "stack/socket/errno.h"

#include <array>

namespace synlab::stack {
namespace {

struct ErrnoInfo {
  Errno e;
  std::string_view name;
  int linux_no;
  int bsd_no;
  std::string_view message;  // glibc 2.36 strerror()
};

// Linux numbers: asm-generic/errno-base.h and errno.h. BSD numbers: FreeBSD sys/errno.h
// (4.4BSD's numbering). Keep in the enum's order.
constexpr std::array kErrnoTable = {
    ErrnoInfo{Errno::kOk, "0", 0, 0, "Success"},
    ErrnoInfo{Errno::kEPERM, "EPERM", 1, 1, "Operation not permitted"},
    ErrnoInfo{Errno::kENOENT, "ENOENT", 2, 2, "No such file or directory"},
    ErrnoInfo{Errno::kEINTR, "EINTR", 4, 4, "Interrupted system call"},
    ErrnoInfo{Errno::kEIO, "EIO", 5, 5, "Input/output error"},
    ErrnoInfo{Errno::kEBADF, "EBADF", 9, 9, "Bad file descriptor"},
    ErrnoInfo{Errno::kEAGAIN, "EAGAIN", 11, 35, "Resource temporarily unavailable"},
    ErrnoInfo{Errno::kENOMEM, "ENOMEM", 12, 12, "Cannot allocate memory"},
    ErrnoInfo{Errno::kEACCES, "EACCES", 13, 13, "Permission denied"},
    ErrnoInfo{Errno::kEFAULT, "EFAULT", 14, 14, "Bad address"},
    ErrnoInfo{Errno::kEBUSY, "EBUSY", 16, 16, "Device or resource busy"},
    ErrnoInfo{Errno::kEEXIST, "EEXIST", 17, 17, "File exists"},
    ErrnoInfo{Errno::kENODEV, "ENODEV", 19, 19, "No such device"},
    ErrnoInfo{Errno::kEINVAL, "EINVAL", 22, 22, "Invalid argument"},
    ErrnoInfo{Errno::kENFILE, "ENFILE", 23, 23, "Too many open files in system"},
    ErrnoInfo{Errno::kEMFILE, "EMFILE", 24, 24, "Too many open files"},
    ErrnoInfo{Errno::kENOTTY, "ENOTTY", 25, 25, "Inappropriate ioctl for device"},
    ErrnoInfo{Errno::kEPIPE, "EPIPE", 32, 32, "Broken pipe"},
    ErrnoInfo{Errno::kEDOM, "EDOM", 33, 33, "Numerical argument out of domain"},
    ErrnoInfo{Errno::kERANGE, "ERANGE", 34, 34, "Numerical result out of range"},
    ErrnoInfo{Errno::kENOSYS, "ENOSYS", 38, 78, "Function not implemented"},
    ErrnoInfo{Errno::kENOPROTOOPT, "ENOPROTOOPT", 92, 42, "Protocol not available"},
    ErrnoInfo{Errno::kEPROTONOSUPPORT, "EPROTONOSUPPORT", 93, 43, "Protocol not supported"},
    ErrnoInfo{Errno::kESOCKTNOSUPPORT, "ESOCKTNOSUPPORT", 94, 44, "Socket type not supported"},
    ErrnoInfo{Errno::kEOPNOTSUPP, "EOPNOTSUPP", 95, 45, "Operation not supported"},
    ErrnoInfo{Errno::kEPFNOSUPPORT, "EPFNOSUPPORT", 96, 46, "Protocol family not supported"},
    ErrnoInfo{Errno::kEAFNOSUPPORT, "EAFNOSUPPORT", 97, 47,
              "Address family not supported by protocol"},
    ErrnoInfo{Errno::kEADDRINUSE, "EADDRINUSE", 98, 48, "Address already in use"},
    ErrnoInfo{Errno::kEADDRNOTAVAIL, "EADDRNOTAVAIL", 99, 49, "Cannot assign requested address"},
    ErrnoInfo{Errno::kENETDOWN, "ENETDOWN", 100, 50, "Network is down"},
    ErrnoInfo{Errno::kENETUNREACH, "ENETUNREACH", 101, 51, "Network is unreachable"},
    ErrnoInfo{Errno::kENETRESET, "ENETRESET", 102, 52, "Network dropped connection on reset"},
    ErrnoInfo{Errno::kECONNABORTED, "ECONNABORTED", 103, 53, "Software caused connection abort"},
    ErrnoInfo{Errno::kECONNRESET, "ECONNRESET", 104, 54, "Connection reset by peer"},
    ErrnoInfo{Errno::kENOBUFS, "ENOBUFS", 105, 55, "No buffer space available"},
    ErrnoInfo{Errno::kEISCONN, "EISCONN", 106, 56, "Transport endpoint is already connected"},
    ErrnoInfo{Errno::kENOTCONN, "ENOTCONN", 107, 57, "Transport endpoint is not connected"},
    ErrnoInfo{Errno::kESHUTDOWN, "ESHUTDOWN", 108, 58,
              "Cannot send after transport endpoint shutdown"},
    ErrnoInfo{Errno::kETIMEDOUT, "ETIMEDOUT", 110, 60, "Connection timed out"},
    ErrnoInfo{Errno::kECONNREFUSED, "ECONNREFUSED", 111, 61, "Connection refused"},
    ErrnoInfo{Errno::kEHOSTDOWN, "EHOSTDOWN", 112, 64, "Host is down"},
    ErrnoInfo{Errno::kEHOSTUNREACH, "EHOSTUNREACH", 113, 65, "No route to host"},
    ErrnoInfo{Errno::kEALREADY, "EALREADY", 114, 37, "Operation already in progress"},
    ErrnoInfo{Errno::kEINPROGRESS, "EINPROGRESS", 115, 36, "Operation now in progress"},
    ErrnoInfo{Errno::kEDESTADDRREQ, "EDESTADDRREQ", 89, 39, "Destination address required"},
    ErrnoInfo{Errno::kEMSGSIZE, "EMSGSIZE", 90, 40, "Message too long"},
    ErrnoInfo{Errno::kEPROTOTYPE, "EPROTOTYPE", 91, 41, "Protocol wrong type for socket"},
    ErrnoInfo{Errno::kENOTSOCK, "ENOTSOCK", 88, 38, "Socket operation on non-socket"},
    ErrnoInfo{Errno::kENONET, "ENONET", 64, 64, "Machine is not on the network"},
    ErrnoInfo{Errno::kEPROTO, "EPROTO", 71, 92, "Protocol error"},
    ErrnoInfo{Errno::kERESTARTSYS, "ERESTARTSYS", 512, 512, "Interrupted system call"},
};

static_assert([] {
  for (std::size_t i = 0; i < kErrnoTable.size(); ++i) {
    if (static_cast<std::size_t>(kErrnoTable[i].e) != i) return false;
  }
  return true;
}(), "kErrnoTable must list every Errno in enum order");

const ErrnoInfo& info(Errno e) { return kErrnoTable[static_cast<std::size_t>(e)]; }

}  // namespace

std::string_view name(Errno e) { return info(e).name; }
std::string_view message(Errno e) { return info(e).message; }
int linux_number(Errno e) { return info(e).linux_no; }
int bsd_number(Errno e) { return info(e).bsd_no; }

std::optional<Errno> errno_from_name(std::string_view s) {
  if (s == "EWOULDBLOCK") return Errno::kEAGAIN;
  if (s == "ENOTSUP") return Errno::kEOPNOTSUPP;
  for (const auto& i : kErrnoTable) {
    if (i.name == s && i.e != Errno::kOk && i.e != Errno::kERESTARTSYS) return i.e;
  }
  return std::nullopt;
}

std::optional<Errno> errno_from_linux_number(int n) {
  for (const auto& i : kErrnoTable) {
    if (i.linux_no == n) return i.e;
  }
  return std::nullopt;
}

}  // namespace synlab::stack
