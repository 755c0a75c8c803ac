// Hand-written stand-in for `spacetime generate --lang typescript` output (parameters of
// the `set_name` reducer). A later issue replaces module_bindings/ with generated code.
import { t as __t } from 'spacetimedb';

export default {
  name: __t.string(),
};
