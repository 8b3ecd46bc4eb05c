/**
 * Test and simulation helpers: virtual time, seeded randomness, a simulated network of many
 * engines, and the transport compliance suite.
 * @packageDocumentation
 */
export { seededRandom } from '../random.ts'
export { type TransportTestSetup, transportCompliance } from './compliance.ts'
export { flushMicrotasks, ManualClock } from './manual-clock.ts'
export { SimNetwork, type SimOptions, type SimTraffic, simPeer } from './sim-network.ts'
