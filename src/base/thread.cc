#include "base/thread.h"

#include <pthread.h>

#include <cstring>

namespace stdb {

void SetThreadName(const char* name) {
  char buffer[16];
  std::strncpy(buffer, name, sizeof buffer - 1);
  buffer[sizeof buffer - 1] = '\0';
  pthread_setname_np(pthread_self(), buffer);  // fails only for names over 15 bytes
}

}  // namespace stdb
