/**
 * Test and simulation helpers: virtual time, seeded randomness, a simulated network of many
 * engines, and the transport compliance suite.
 * @packageDocumentation
 */
export { seededRandom } from '../random.ts'
export { flushMicrotasks, ManualClock } from './manual-clock.ts'
export { type SimOptions, type SimTraffic, SimNetwork, simPeer } from './sim-network.ts'
export { type TransportTestSetup, transportCompliance } from './compliance.ts'
