/**
 * Test and simulation helpers: virtual time, seeded randomness, a simulated network of many
 * engines, the transport compliance suite, and internals that tests look into (the local
 * health score, the state fingerprint, the transmit-limited queue).
 * @packageDocumentation
 */

export { Awareness } from '../awareness.ts'
export { entryHash, StateDigest } from '../digest.ts'
export { TransmitLimitedQueue } from '../dissemination.ts'
export { seededRandom } from '../random.ts'
export { type TransportTestSetup, transportCompliance } from './compliance.ts'
export { flushMicrotasks, ManualClock } from './manual-clock.ts'
export { type ConnectionModel, SimNetwork, type SimOptions, type SimTraffic, simPeer } from './sim-network.ts'
