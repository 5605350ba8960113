#include <gtest/gtest.h>
TEST(Drill, Placeholder) {}
