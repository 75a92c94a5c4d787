// Gatehouse's browser SDK: waits in a waiting room of `gatehouse serve` (GatekeeperAPI's wire) or in
// the queue of `gatehouse gateway` (Wicket's wire, with its proof of work), polling politely until
// the user is let in. Plain ES modules, no dependencies, no build step.
export { createRoom } from './room.js';
export { createGatewayQueue } from './gateway.js';
export { GatehouseError } from './http.js';
export { MAX_DIFFICULTY, solvePow } from './pow.js';

/** @typedef {import('./room.js').RoomOptions} RoomOptions */
/** @typedef {import('./room.js').Room} Room */
/** @typedef {import('./room.js').Enqueued} Enqueued */
/** @typedef {import('./polling.js').WaitOptions} WaitOptions */
/** @typedef {import('./gateway.js').GatewayOptions} GatewayOptions */
/** @typedef {import('./gateway.js').GatewayQueue} GatewayQueue */
/** @typedef {import('./gateway.js').Ticket} Ticket */
/** @typedef {import('./work.js').Solver} Solver */
/** @typedef {import('./polling.js').Progress} Progress */
/** @typedef {import('./polling.js').Clock} Clock */
/** @typedef {import('./http.js').ErrorCode} ErrorCode */
