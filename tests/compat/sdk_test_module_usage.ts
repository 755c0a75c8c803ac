// Type-level checks of the bindings generated for sdk_test_module, compiled with them by
// the compat_bindings_typecheck ctest (bindings.mjs --check). Nothing here runs: tsc proves
// that the SDK's types give each column and parameter the TypeScript type it should have,
// that unique columns offer `find` and other indexes `filter`, and that wrong uses are
// rejected (each expect-error directive below fails the compile if its line has no type
// error), so the check is not vacuous.
import { ConnectionId, Identity, ScheduleAt, TimeDuration, Timestamp } from 'spacetimedb';

import { DbConnection, type EventContext } from './index.js';
import type { Fired, Item, Player } from './types.js';
import type { AddPlayerParams, StoreEverythingParams } from './types/reducers.js';

// One value of every type the module SDK supports, as the parameter of store_everything.
export const everything: StoreEverythingParams = {
  row: {
    flag: true,
    i8: -1,
    i16: -2,
    i32: -3,
    i64: -4n,
    u8: 1,
    u16: 2,
    u32: 3,
    u64: 4n,
    i128: -5n,
    u128: 5n,
    i256: -6n,
    u256: 6n,
    f32: 1.5,
    f64: 2.5,
    text: 'text',
    bytes: new Uint8Array([1, 2]),
    words: ['a', 'b'],
    maybe: 7,
    identity: Identity.zero(),
    connectionId: ConnectionId.random(),
    timestamp: Timestamp.now(),
    duration: new TimeDuration(1_000n),
    schedule: ScheduleAt.interval(1_000n),
    point: { x: 1, y: 2 },
    color: { tag: 'Green' },
    path: [{ x: 0, y: 0 }],
    nested: [undefined, { tag: 'Blue' }],
  },
};

export function useTables(conn: DbConnection): bigint {
  // Primary key and unique column: find, keyed by the column's type.
  const byId: Player | null = conn.db.player.id.find(1n);
  const byName: Player | null = conn.db.player.name.find('ada');
  // Declared btree indexes (one and two columns): filter.
  let levels = 0;
  for (const p of conn.db.player.playerByLevel.filter(3)) levels += p.level;
  for (const p of conn.db.player.playerAt.filter([1, 2])) levels += p.x + p.y;
  const item: Item | null = conn.db.item.id.find(2n);
  const fired: Fired | null = conn.db.fired.n.find(3n);
  conn.db.item.onUpdate((_ctx: EventContext, before: Item, after: Item) => {
    levels += Number(after.value - before.value);
  });
  // @ts-expect-error a non-unique index has no find
  conn.db.player.playerByLevel.find(3);
  // @ts-expect-error u64 keys are bigint, not number
  conn.db.item.id.find(2);
  // @ts-expect-error private tables are not in the bindings
  void conn.db.everything;
  // @ts-expect-error lifecycle reducers are not callable
  void conn.reducers.onConnect;
  void [byId, byName, item, fired];
  return BigInt(levels);
}

export async function callReducers(conn: DbConnection): Promise<void> {
  const args: AddPlayerParams = { name: 'ada', level: 1, x: 0, y: 0, team: 'red' };
  await conn.reducers.addPlayer(args);
  await conn.reducers.storeEverything(everything);
  // @ts-expect-error a missing parameter is a type error
  await conn.reducers.addPlayer({ name: 'ada' });
  // @ts-expect-error an enum value must name one of its variants
  await conn.reducers.storeEverything({ row: { ...everything.row, color: { tag: 'Purple' } } });
}
