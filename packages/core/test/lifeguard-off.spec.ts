import assert from 'node:assert/strict'
import { SimNetwork } from '@murmur/core/testing'
import { encodePacket, Kind } from '@murmur/core/wire'

describe('lifeguard: false is plain SWIM', () => {
  for (const lifeguard of [true, false]) {
    it(`refuting a suspicion ${lifeguard ? 'raises' : 'leaves'} local health (lifeguard ${lifeguard})`, async () => {
      const net = new SimNetwork({ seed: 5, config: { lifeguard } })
      const a = net.addNode('a')
      await a.start()
      // b is a member: only members' accusations count
      a.handlePacket(
        'b',
        encodePacket({
          updates: [
            {
              kind: Kind.ALIVE,
              id: 'b',
              incarnation: 0,
              from: 'b',
              addrs: ['b'],
              metadata: new Uint8Array(0),
              signature: new Uint8Array(0),
            },
          ],
        }),
      )
      const accusation = encodePacket({
        updates: [
          {
            kind: Kind.SUSPECT,
            id: 'a',
            incarnation: a.self().incarnation,
            from: 'b',
            addrs: [],
            metadata: new Uint8Array(0),
            signature: new Uint8Array(0),
          },
        ],
      })
      a.handlePacket('b', accusation)
      assert.equal(a.stats().refutes, 1)
      assert.equal(a.healthScore(), lifeguard ? 1 : 0)
      a.stop()
    })
  }
})
