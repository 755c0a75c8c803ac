// Type-level checks of the bindings of the hand-built edge-case schema
// (src/codegen/typescript_edge_module.cc), compiled with them by the
// compat_bindings_edge_typecheck ctest. Nothing here runs; each expect-error directive
// fails the compile if its line has no type error.
import { ConnectionId, Identity, ScheduleAt, TimeDuration, Timestamp } from 'spacetimedb';

import { DbConnection } from './index.js';
import type { EdgeCases } from './types.js';
import type { DoEverythingParams } from './types/reducers.js';

export const row: EdgeCases = {
  key: { tag: 'Red' },
  mixedCase: 1,
  'my col': true,
  class: 'c',
  shape: { tag: 'Rect', value: { w: 1, h: 2 } },
  nothing: {},
  blobs: [new Uint8Array([1])],
  when: ScheduleAt.time(0n),
  deep: [undefined, { inner: [{ tag: 'Big', value: -1n }, { tag: 'Wide', value: 1n }] }],
  a: -1n,
  b: 2n,
  since: Timestamp.now(),
  who: ConnectionId.random(),
};

export const args: DoEverythingParams = {
  shape: { tag: 'Circle', value: 1.5 },
  deep: [],
  maybeBytes: undefined,
  span: new TimeDuration(5n),
  who: Identity.zero(),
  nothing: {},
  when: ScheduleAt.interval(1n),
};

export function use(conn: DbConnection): number {
  // Simple-enum primary key and renamed unique column: find.
  const byKey: EdgeCases | null = conn.db.edgeCases.key.find({ tag: 'Green' });
  const byMixed: EdgeCases | null = conn.db.edgeCases.mixedCase.find(3);
  let n = 0;
  for (const r of conn.db.edgeCases.byClass.filter(['c', 2n])) n += r.mixedCase;
  for (const r of conn.db.edgeCases.edgeCasesABKey.filter([1n, 2n])) n += r.mixedCase;
  void conn.reducers.doEverything(args);
  // @ts-expect-error a variant payload must have the variant's type
  const bad: EdgeCases['shape'] = { tag: 'Circle', value: 'round' };
  // @ts-expect-error the composite unique constraint is not a client-side unique index
  conn.db.edgeCases.edgeCasesABKey.find([1n, 2n]);
  // @ts-expect-error private tables are not in the bindings
  void conn.db.hidden;
  // @ts-expect-error lifecycle reducers are not callable
  void conn.reducers.init;
  void [byKey, byMixed, bad];
  return n;
}
