// The schedule column of a schedule table is a stdb::ScheduleAt.
// expect-error: must be a stdb::ScheduleAt
#include <stdb/module.h>

struct Job {
  uint64_t scheduled_id;
  stdb::ScheduleAt scheduled_at;
  stdb::Timestamp created;
};
STDB_STRUCT(Job, scheduled_id, scheduled_at, created);
STDB_TABLE(Job, job, stdb::Private);

void run_job(stdb::ReducerContext&, Job) {}
STDB_REDUCER(run_job, job);
#if STDB_COMPILE_FAIL
STDB_SCHEDULE(job, run_job, created);
#else
STDB_SCHEDULE(job, run_job, scheduled_at);
#endif
