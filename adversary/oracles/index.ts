/**
 * The property oracles of spec 12, one entry point: the monitor that judges a run step by step
 * (monitor.ts, with invites.ts and rosters.ts), the secrecy oracles over the adversary's
 * knowledge (secrecy.ts), and what they share (types.ts, context.ts).
 */
export { CHECKED_PROPERTIES, type Monitor, type PropId, type Violation } from './types.ts';
export { propertyMonitor } from './monitor.ts';
export { checkSecrecy, SECRECY_PROPERTIES, type SecrecyContext } from './secrecy.ts';
