// Client bindings for examples/quickstart-chat, written by hand in plain JavaScript in the
// shape that `spacetime generate --lang typescript` emits for SDK 2.x (index + one file per
// table row type and per reducer). A later issue replaces module_bindings/ with real
// `spacetime generate` output; until then, keep this in step with
// examples/quickstart-chat/src/lib.cc (schema: GET /v1/database/<name>/schema).
import {
  DbConnectionBuilder as __DbConnectionBuilder,
  DbConnectionImpl as __DbConnectionImpl,
  SubscriptionBuilderImpl as __SubscriptionBuilderImpl,
  convertToAccessorMap as __convertToAccessorMap,
  makeQueryBuilder as __makeQueryBuilder,
  procedures as __procedures,
  reducerSchema as __reducerSchema,
  reducers as __reducers,
  schema as __schema,
  table as __table,
} from 'spacetimedb';

// Reducer parameter schemas (lifecycle reducers are not callable and are left out).
import SendMessageReducer from './send_message_reducer.mjs';
import SetNameReducer from './set_name_reducer.mjs';

// Row types of the public tables.
import MessageRow from './message_table.mjs';
import UserRow from './user_table.mjs';

// The tables of the module, keyed by accessor name. `user` has a primary key (`identity`),
// so the SDK reports a delete+insert of one key in one update as an update.
const tablesSchema = __schema({
  message: __table({ name: 'message', indexes: [], constraints: [] }, MessageRow),
  user: __table(
    {
      name: 'user',
      indexes: [
        { accessor: 'identity', name: 'user_identity_idx_btree', algorithm: 'btree', columns: ['identity'] },
      ],
      constraints: [{ name: 'user_identity_key', constraint: 'unique', columns: ['identity'] }],
    },
    UserRow,
  ),
});

// The callable reducers; the SDK exposes each as `conn.reducers.<camelCaseName>(args)`.
const reducersSchema = __reducers(
  __reducerSchema('send_message', SendMessageReducer),
  __reducerSchema('set_name', SetNameReducer),
);

const proceduresSchema = __procedures();

// The SDK refuses bindings whose cliVersion is missing or older than 1.4.0.
const REMOTE_MODULE = {
  versionInfo: {
    cliVersion: '2.0.0',
  },
  tables: tablesSchema.schemaType.tables,
  reducers: reducersSchema.reducersType.reducers,
  ...proceduresSchema,
};

/** The tables of the module; each doubles as a typed query builder. */
export const tables = __makeQueryBuilder(tablesSchema.schemaType);

/** The reducers of the module, keyed by accessor name. */
export const reducers = __convertToAccessorMap(reducersSchema.reducersType.reducers);

/** Builder for a subscription to the module's tables. */
export class SubscriptionBuilder extends __SubscriptionBuilderImpl {}

/** Builder for a connection to a database running this module. */
export class DbConnectionBuilder extends __DbConnectionBuilder {}

/** A connection to a database running this module. */
export class DbConnection extends __DbConnectionImpl {
  static builder = () => {
    return new DbConnectionBuilder(REMOTE_MODULE, (config) => new DbConnection(config));
  };

  subscriptionBuilder = () => {
    return new SubscriptionBuilder(this);
  };
}
