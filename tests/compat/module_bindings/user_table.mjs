// Hand-written stand-in for `spacetime generate --lang typescript` output (row type of
// the quickstart `user` table). A later issue replaces module_bindings/ with generated code.
import { t as __t } from 'spacetimedb';

export default __t.row({
  identity: __t.identity().primaryKey(),
  name: __t.option(__t.string()),
  online: __t.bool(),
});
