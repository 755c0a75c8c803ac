// Hand-written stand-in for `spacetime generate --lang typescript` output (row type of
// the quickstart `message` table, which has no primary key). A later issue replaces
// module_bindings/ with generated code.
import { t as __t } from 'spacetimedb';

export default __t.row({
  sender: __t.identity(),
  sent: __t.timestamp(),
  text: __t.string(),
});
