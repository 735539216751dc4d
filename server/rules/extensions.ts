/**
 * Modules that add rule kinds and rules to the engine, loaded after the
 * built-ins (./setup.ts). To add a kind (e.g. the access engine's 15-minute
 * basic medical service circle, 003:31), write a module that calls
 * `registerEvaluator()` and `registerRules()` from ./registry.ts and add one
 * import line below. See README.md, "Adding a rule kind".
 */
import '../access/rule.ts';
