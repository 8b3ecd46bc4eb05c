import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { relayedFirst } from '../src/browser-addrs.ts'

const R1 = '12D3KooWRGQ75LyxRYS45NLmeafNw2nYcyEFdrhyeRFz7kTuhnKZ'
const R2 = '12D3KooWLgWTQpatpBDVyovfQJ7RwSYfjncAst8DFFb9txWAyCb9'
const ME = '12D3KooWFWEnd258kX8zPgcj6F4zxWsAspn2bBmrtPUahbgcdm14'

describe('browser tab addresses (relayedFirst)', () => {
  it('announces one relayed address per relay (its WebSockets one first), then WebRTC, nothing else', () => {
    const addrs = [
      `/ip4/127.0.0.1/tcp/4001/p2p/${R1}/p2p-circuit/p2p/${ME}`,
      `/ip4/127.0.0.1/tcp/4002/ws/p2p/${R1}/p2p-circuit/p2p/${ME}`,
      `/ip4/127.0.0.1/tcp/4002/ws/p2p/${R1}/p2p-circuit/webrtc/p2p/${ME}`,
      `/ip4/127.0.0.1/tcp/4001/p2p/${R1}/p2p-circuit/webrtc/p2p/${ME}`,
      `/ip4/127.0.0.1/tcp/5001/p2p/${R2}/p2p-circuit/p2p/${ME}`,
      '/ip4/192.168.1.2/tcp/80/ws', // not relayed: nobody can dial a tab there
    ].map((a) => multiaddr(a))
    assert.deepEqual(relayedFirst(addrs).map(String), [
      `/ip4/127.0.0.1/tcp/4002/ws/p2p/${R1}/p2p-circuit/p2p/${ME}`,
      `/ip4/127.0.0.1/tcp/5001/p2p/${R2}/p2p-circuit/p2p/${ME}`,
      `/ip4/127.0.0.1/tcp/4002/ws/p2p/${R1}/p2p-circuit/webrtc/p2p/${ME}`,
    ])
  })

  it('announces nothing before a relay reservation', () => {
    assert.deepEqual(relayedFirst([multiaddr('/ip4/127.0.0.1/tcp/1/ws')]), [])
  })
})
