// A scheduled reducer receives the schedule table's row.
// expect-error: a scheduled reducer's parameter must be the schedule table's row type
#include <stdb/module.h>

#include <string>

struct Job {
  uint64_t scheduled_id;
  stdb::ScheduleAt scheduled_at;
};
STDB_STRUCT(Job, scheduled_id, scheduled_at);
STDB_TABLE(Job, job, stdb::Private);

#if STDB_COMPILE_FAIL
void run_job(stdb::ReducerContext&, std::string) {}
#else
void run_job(stdb::ReducerContext&, const Job&) {}
#endif
STDB_REDUCER(run_job, job);
STDB_SCHEDULE(job, run_job, scheduled_at);
