#include "stack/socket/errno.h"

#include <gtest/gtest.h>

#include <cerrno>

using synlab::stack::Errno;

TEST(Errno, NamesNumbersAndMessages) {
  EXPECT_EQ(synlab::stack::name(Errno::kECONNREFUSED), "ECONNREFUSED");
  EXPECT_EQ(synlab::stack::message(Errno::kECONNREFUSED), "Connection refused");
  EXPECT_EQ(synlab::stack::linux_number(Errno::kEINPROGRESS), 115);
  EXPECT_EQ(synlab::stack::bsd_number(Errno::kEINPROGRESS), 36);
  EXPECT_EQ(*synlab::stack::errno_from_name("EWOULDBLOCK"), Errno::kEAGAIN);
  EXPECT_EQ(*synlab::stack::errno_from_linux_number(93), Errno::kEPROTONOSUPPORT);
  EXPECT_FALSE(synlab::stack::errno_from_name("ENOTANERRNO"));
}

// The simulated ABI is Linux's: on a Linux build host the numbers match <errno.h>.
TEST(Errno, LinuxNumbersMatchTheHost) {
  EXPECT_EQ(synlab::stack::linux_number(Errno::kEADDRNOTAVAIL), EADDRNOTAVAIL);
  EXPECT_EQ(synlab::stack::linux_number(Errno::kETIMEDOUT), ETIMEDOUT);
  EXPECT_EQ(synlab::stack::linux_number(Errno::kEHOSTUNREACH), EHOSTUNREACH);
  EXPECT_EQ(synlab::stack::linux_number(Errno::kENOTSOCK), ENOTSOCK);
  EXPECT_EQ(synlab::stack::linux_number(Errno::kEDESTADDRREQ), EDESTADDRREQ);
}
