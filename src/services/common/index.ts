/**
 * What every service uses: who may do what (./access.ts), keyset pages
 * (./pagination.ts), the settings read at start (./settings.ts) and the
 * transition tables of the lifecycles (./state-machine.ts).
 */
export * from "./access.js";
export * from "./pagination.js";
export * from "./settings.js";
export * from "./state-machine.js";
