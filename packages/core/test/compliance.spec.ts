import { SimNetwork, simPeer, transportCompliance } from '@murmur/core/testing'
import { SEED } from './helpers.ts'

// The simulator is held to the same contract as the libp2p transport.
transportCompliance('SimNetwork', {
  async create() {
    const net = new SimNetwork({ seed: SEED, latencyMs: 3, jitterMs: 2 })
    return {
      a: { id: 'a', transport: net.transport('a') },
      b: { id: 'b', transport: net.transport('b'), peer: simPeer('b') },
      settle: () => net.clock.run(50, 1),
      teardown: async () => {},
    }
  },
})
