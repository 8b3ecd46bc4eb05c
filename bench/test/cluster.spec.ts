import { strict as assert } from 'node:assert'
import { readdirSync, readFileSync } from 'node:fs'
import { runCluster } from '../cluster.ts'

/** PIDs of live `murmur agent` processes that are children of this test process. */
function agentChildren(): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
        return ppid === process.pid && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('agent')
      } catch {
        return false
      }
    })
    .map(Number)
}

describe('bench: real cluster measurement', function () {
  this.timeout(60_000)

  it('measures join, steady state and a SIGKILL on 3 real agents, then leaves no process behind', async () => {
    const r = await runCluster(3, { profile: 'local', windowSeconds: 1, settleSeconds: 0.5, timeoutMs: 30_000 })
    assert.equal(r.nodes, 3)
    assert.ok(r.startupMs >= 0 && r.joinConvergenceMs >= 0, JSON.stringify(r))
    assert.ok(r.cpuPercentMean > 0 && r.cpuPercentMax >= r.cpuPercentMean, JSON.stringify(r))
    assert.ok(r.rssMBMean > 10, `RSS ${r.rssMBMean} MB`)
    assert.ok(r.bytesOutPerNodePerSecond > 0 && r.bytesInPerNodePerSecond > 0, JSON.stringify(r))
    assert.ok(
      r.firstDetectionMs !== null && r.fullDetectionMs !== null,
      'every survivor declared the killed agent dead',
    )
    assert.ok(r.fullDetectionMs >= r.firstDetectionMs)
    assert.deepEqual(agentChildren(), [])
  })
})
