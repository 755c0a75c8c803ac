// Hand-written stand-in for `spacetime generate --lang typescript` output (parameters of
// the `send_message` reducer). A later issue replaces module_bindings/ with generated code.
import { t as __t } from 'spacetimedb';

export default {
  text: __t.string(),
};
