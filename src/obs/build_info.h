// What this build is: the version and the git commit it was configured from ("unknown"
// outside a git checkout). The commit is read when CMake configures, so a build made
// after new commits without reconfiguring reports the older one.
#pragma once

namespace stdb::obs {

inline constexpr const char* kVersion = "0.1.0";
const char* BuildCommit();

}  // namespace stdb::obs
